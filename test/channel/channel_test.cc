// Behaviour every flavor shares: delivery in order, move-only values,
// failed sends that hand their value back, closing, sender counting,
// iteration, and moves that throw. Each typed case runs over the unbounded
// flavor, bounded channels of 1 and 16 slots, and the rendezvous flavor;
// values go through a second thread wherever a rendezvous needs a partner.
#define BOOST_TEST_MODULE channel
#include <atomic>
#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>
#include <cstddef>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "chan/chan.h"
#include "test/channel/channel_testing.h"
#include "test/support/scale.h"

namespace chan::testing {
namespace {

using AllFlavors = boost::mpl::list<UnboundedMaker, BoundedMaker<1>,
                                    BoundedMaker<16>, RendezvousMaker>;
using BufferedFlavors =
    boost::mpl::list<UnboundedMaker, BoundedMaker<1>, BoundedMaker<16>>;

BOOST_AUTO_TEST_CASE(StatusNames) {
  BOOST_TEST(StatusName(Status::kOk) == "ok");
  BOOST_TEST(StatusName(Status::kEmpty) == "empty");
  BOOST_TEST(StatusName(Status::kFull) == "full");
  BOOST_TEST(StatusName(Status::kTimeout) == "timeout");
  BOOST_TEST(StatusName(Status::kDisconnected) == "disconnected");
  std::ostringstream os;
  os << Status::kFull << ' ' << Status::kDisconnected;
  BOOST_TEST(os.str() == "full disconnected");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(FreshChannelReportsItsShape, Maker, AllFlavors) {
  auto [tx, rx] = Maker::template Make<int>();
  BOOST_TEST(tx.Len() == 0u);
  BOOST_TEST(rx.Len() == 0u);
  BOOST_TEST(tx.Empty());
  BOOST_TEST(rx.Empty());
  BOOST_TEST(!tx.IsDisconnected());
  BOOST_TEST(!rx.IsDisconnected());
  const std::optional<size_t> capacity = tx.Capacity();
  BOOST_TEST(capacity.has_value() == (Maker::kKind != Kind::kUnbounded));
  BOOST_TEST(rx.Capacity().has_value() == capacity.has_value());
  if constexpr (Maker::kKind == Kind::kBounded) {
    BOOST_TEST(*capacity == Maker::kCapacity);
    BOOST_TEST(!tx.Full());
    BOOST_TEST(!rx.Full());
  } else if constexpr (Maker::kKind == Kind::kRendezvous) {
    BOOST_TEST(*capacity == 0u);
    BOOST_TEST(tx.Full());
    BOOST_TEST(rx.Full());
  } else {
    BOOST_TEST(!tx.Full());
    BOOST_TEST(!rx.Full());
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(DeliversOneSendersValuesInOrder, Maker,
                              AllFlavors) {
  const int n = Scaled(2'000);
  auto [tx, rx] = Maker::template Make<int>();
  std::vector<Status> send_statuses;
  std::thread sender([&, tx = std::move(tx)]() mutable {
    for (int i = 0; i < n; ++i) send_statuses.push_back(tx.Send(i).status());
  });
  std::vector<int> received;
  for (int i = 0; i < n; ++i) {
    RecvResult<int> r = rx.Recv();
    if (!r) break;
    received.push_back(*r);
  }
  sender.join();
  // The sender is gone and everything was taken.
  BOOST_TEST(rx.Recv().status() == Status::kDisconnected);

  std::vector<int> expected(n);
  for (int i = 0; i < n; ++i) expected[i] = i;
  BOOST_TEST(received == expected);
  BOOST_TEST(send_statuses == std::vector<Status>(n, Status::kOk));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(CarriesMoveOnlyValuesWithoutCopying, Maker,
                              AllFlavors) {
  const int n = 100;
  auto [tx, rx] = Maker::template Make<Boxed>();
  std::vector<const int*> sent_cells;
  std::thread sender([&, tx = std::move(tx)]() mutable {
    for (int i = 0; i < n; ++i) {
      Boxed box(i);
      sent_cells.push_back(box.cell());
      if (!tx.Send(std::move(box))) return;
    }
  });
  std::vector<Boxed> received;
  while (RecvResult<Boxed> r = rx.Recv()) received.push_back(*std::move(r));
  sender.join();

  BOOST_TEST_REQUIRE(received.size() == static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    BOOST_TEST(received[i].value() == i);
    // The very heap cell the sender made: the value moved, all the way.
    BOOST_TEST(received[i].cell() == sent_cells[i]);
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(TryRecvOnAnEmptyLiveChannelIsEmpty, Maker,
                              AllFlavors) {
  auto [tx, rx] = Maker::template Make<Boxed>();
  RecvResult<Boxed> r = rx.TryRecv();
  BOOST_TEST(r.status() == Status::kEmpty);
  BOOST_TEST(!r.ok());
  BOOST_TEST(!static_cast<bool>(r));
  BOOST_TEST(!std::move(r).to_optional().has_value());
  BOOST_TEST(!rx.IsDisconnected());
}

// Every send form fails with kDisconnected and returns the very value.
void ExpectEverySendHandsBack(Sender<Boxed>& tx) {
  const auto check = [](SendResult<Boxed> r, const int* cell, int value) {
    BOOST_TEST(r.status() == Status::kDisconnected);
    BOOST_TEST(!r.ok());
    Boxed back = std::move(r).value();
    BOOST_TEST(back.value() == value);
    BOOST_TEST(back.cell() == cell);
  };
  Boxed a(1), b(2), c(3), d(4);
  const int *ca = a.cell(), *cb = b.cell(), *cc = c.cell(), *cd = d.cell();
  check(tx.Send(std::move(a)), ca, 1);
  check(tx.TrySend(std::move(b)), cb, 2);
  check(tx.SendFor(std::move(c), absl::Seconds(10)), cc, 3);
  check(tx.SendUntil(std::move(d), absl::Now() + absl::Seconds(10)), cd, 4);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(SendsToADroppedReceiverHandTheValueBack, Maker,
                              AllFlavors) {
  auto [tx, rx] = Maker::template Make<Boxed>();
  { Receiver<Boxed> gone = std::move(rx); }
  BOOST_TEST(tx.IsDisconnected());
  const absl::Time start = absl::Now();
  ExpectEverySendHandsBack(tx);
  // None of them waited for its timeout.
  BOOST_TEST(absl::Now() - start < absl::Seconds(10));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(CopyingSendOverloadsKeepTheOriginal, Maker,
                              AllFlavors) {
  auto [tx, rx] = Maker::template Make<std::string>();
  const std::string word = "unchanged";
  std::thread sender([&, tx = std::move(tx)]() mutable {
    (void)tx.Send(word);
    (void)tx.SendFor(word, absl::Seconds(10));
    (void)tx.SendUntil(word, absl::Now() + absl::Seconds(10));
  });
  std::vector<std::string> received;
  for (std::string& s : rx) received.push_back(std::move(s));
  sender.join();
  BOOST_TEST(received == std::vector<std::string>(3, "unchanged"));
  BOOST_TEST(word == "unchanged");

  // A failed copying send hands back a copy and leaves the original be.
  auto [tx2, rx2] = Maker::template Make<std::string>();
  rx2.Close();
  SendResult<std::string> r = tx2.TrySend(word);
  BOOST_TEST(r.status() == Status::kDisconnected);
  BOOST_TEST(r.value() == "unchanged");
  BOOST_TEST(word == "unchanged");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(CloseFailsSendsAndEndsReceives, Maker,
                              AllFlavors) {
  auto [tx, rx] = Maker::template Make<Boxed>();
  rx.Close();
  BOOST_TEST(rx.IsDisconnected());
  BOOST_TEST(tx.IsDisconnected());
  ExpectEverySendHandsBack(tx);
  rx.Close();  // Closing twice changes nothing.
  BOOST_TEST(rx.TryRecv().status() == Status::kDisconnected);
  BOOST_TEST(rx.Recv().status() == Status::kDisconnected);
  BOOST_TEST(rx.RecvFor(absl::Seconds(10)).status() == Status::kDisconnected);
  BOOST_TEST(rx.RecvUntil(absl::InfiniteFuture()).status() ==
             Status::kDisconnected);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(CloseKeepsWhatIsQueued, Maker, BufferedFlavors) {
  const size_t n = RoomFor<Maker>(5);
  auto [tx, rx] = Maker::template Make<Boxed>();
  for (size_t i = 0; i < n; ++i) {
    BOOST_TEST(tx.TrySend(Boxed(static_cast<int>(i))).ok());
  }
  rx.Close();
  SendResult<Boxed> late = tx.TrySend(Boxed(99));
  BOOST_TEST(late.status() == Status::kDisconnected);
  BOOST_TEST(late.value().value() == 99);
  BOOST_TEST(rx.Len() == n);

  for (size_t i = 0; i < n; ++i) {
    RecvResult<Boxed> r = rx.Recv();
    BOOST_TEST_REQUIRE(r.ok());
    BOOST_TEST(r->value() == static_cast<int>(i));
  }
  BOOST_TEST(rx.Recv().status() == Status::kDisconnected);
  BOOST_TEST(rx.TryRecv().status() == Status::kDisconnected);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(EverySenderCopyKeepsTheChannelConnected, Maker,
                              AllFlavors) {
  auto [tx, rx] = Maker::template Make<int>();
  std::optional<Sender<int>> first(std::move(tx));
  std::optional<Sender<int>> copy(*first);  // Copy construction counts.

  // Copy assignment counts too, and releases the channel it replaces: the
  // other channel loses its only sender.
  auto [other_tx, other_rx] = Maker::template Make<int>();
  std::optional<Sender<int>> assigned(std::move(other_tx));
  *assigned = *copy;
  BOOST_TEST(other_rx.IsDisconnected());
  BOOST_TEST(other_rx.TryRecv().status() == Status::kDisconnected);

  *assigned = *assigned;  // Self-assignment changes no count.

  // A move hands over the count without adding one.
  std::optional<Sender<int>> moved(std::move(*first));
  first.reset();

  moved.reset();
  BOOST_TEST(!rx.IsDisconnected());
  BOOST_TEST(rx.TryRecv().status() == Status::kEmpty);
  copy.reset();
  BOOST_TEST(!rx.IsDisconnected());
  BOOST_TEST(rx.TryRecv().status() == Status::kEmpty);
  BOOST_TEST(rx.RecvFor(absl::Milliseconds(1)).status() == Status::kTimeout);

  assigned.reset();  // The last one.
  BOOST_TEST(rx.IsDisconnected());
  BOOST_TEST(rx.TryRecv().status() == Status::kDisconnected);
  BOOST_TEST(rx.Recv().status() == Status::kDisconnected);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(SenderCopiesInManyThreadsAllCount, Maker,
                              AllFlavors) {
  const int kThreads = 4;
  const int n = Scaled(500);
  auto [tx, rx] = Maker::template Make<int>();
  std::vector<std::thread> senders;
  for (int t = 0; t < kThreads; ++t) {
    senders.emplace_back([t, n, tx]() mutable {
      for (int i = 0; i < n; ++i) {
        if (!tx.Send(t * n + i)) return;
      }
    });
  }
  { Sender<int> drop = std::move(tx); }  // Only the threads' copies remain.

  std::vector<int> count(kThreads * n, 0);
  int received = 0;
  for (int v : rx) {
    if (v >= 0 && v < kThreads * n) ++count[v];
    ++received;
  }
  for (std::thread& t : senders) t.join();
  BOOST_TEST(received == kThreads * n);
  BOOST_TEST(count == std::vector<int>(kThreads * n, 1));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(RangeForEndsAfterTheLastValue, Maker,
                              AllFlavors) {
  const int n = Scaled(300);
  auto [tx, rx] = Maker::template Make<Boxed>();
  std::thread sender([n, tx = std::move(tx)]() mutable {
    for (int i = 0; i < n; ++i) {
      if (!tx.Send(Boxed(i))) return;
    }
    // Leaving the scope drops the last sender.
  });
  std::vector<int> received;
  for (Boxed& box : rx) received.push_back(box.value());
  sender.join();

  std::vector<int> expected(n);
  for (int i = 0; i < n; ++i) expected[i] = i;
  BOOST_TEST(received == expected);
  BOOST_TEST(rx.Recv().status() == Status::kDisconnected);
}

// Values queued when the last sender leaves are all yielded before the
// loop ends.
BOOST_AUTO_TEST_CASE_TEMPLATE(RangeForDrainsWhatIsQueuedAfterDisconnect, Maker,
                              BufferedFlavors) {
  const size_t n = RoomFor<Maker>(5);
  auto [tx, rx] = Maker::template Make<Boxed>();
  for (size_t i = 0; i < n; ++i) {
    BOOST_TEST(tx.TrySend(Boxed(static_cast<int>(i))).ok());
  }
  { Sender<Boxed> gone = std::move(tx); }
  std::vector<int> received;
  for (Boxed& box : rx) received.push_back(box.value());
  std::vector<int> expected;
  for (size_t i = 0; i < n; ++i) expected.push_back(static_cast<int>(i));
  BOOST_TEST(received == expected);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(DrainTakesOnlyWhatIsQueued, Maker, AllFlavors) {
  auto [tx, rx] = Maker::template Make<Boxed>();
  // Nothing queued: returns at once although the channel stays connected.
  int drained = 0;
  for (Boxed& box : rx.Drain()) {
    (void)box;
    ++drained;
  }
  BOOST_TEST(drained == 0);

  const size_t n = RoomFor<Maker>(5);
  for (size_t i = 0; i < n; ++i) {
    BOOST_TEST(tx.TrySend(Boxed(static_cast<int>(i))).ok());
  }
  std::vector<int> received;
  for (Boxed& box : rx.Drain()) received.push_back(box.value());
  std::vector<int> expected;
  for (size_t i = 0; i < n; ++i) expected.push_back(static_cast<int>(i));
  BOOST_TEST(received == expected);
  BOOST_TEST(!rx.IsDisconnected());

  // Draining again finds nothing; the channel still works afterwards.
  for (Boxed& box : rx.Drain()) received.push_back(box.value());
  BOOST_TEST(received.size() == n);
  std::thread sender([&] { (void)tx.Send(Boxed(42)); });
  RecvResult<Boxed> r = rx.Recv();
  sender.join();
  BOOST_TEST_REQUIRE(r.ok());
  BOOST_TEST(r->value() == 42);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(ReceiverMovesBetweenThreads, Maker, AllFlavors) {
  auto [tx, rx] = Maker::template Make<int>();
  Receiver<int> moved = std::move(rx);
  // Move assignment onto a receiver of another channel drops that one.
  auto [other_tx, other_rx] = Maker::template Make<int>();
  other_rx = std::move(moved);
  BOOST_TEST(other_tx.IsDisconnected());

  std::vector<int> received;
  std::thread receiver([&received, rx = std::move(other_rx)]() mutable {
    for (int v : rx) received.push_back(v);
  });
  for (int i = 0; i < 10; ++i) BOOST_TEST(tx.Send(i).ok());
  { Sender<int> drop = std::move(tx); }
  receiver.join();
  BOOST_TEST(received == (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

// What a sender wrote before sending is visible to the receiver; under
// ThreadSanitizer a missing happens-before edge would be reported here.
BOOST_AUTO_TEST_CASE_TEMPLATE(SendHappensBeforeTheReceive, Maker, AllFlavors) {
  struct Record {
    int a = 0;
    std::string b;
  };
  const int n = Scaled(1'000);
  auto [tx, rx] = Maker::template Make<Record*>();
  std::thread sender([n, tx = std::move(tx)]() mutable {
    for (int i = 0; i < n; ++i) {
      auto* record = new Record;
      record->a = i;
      record->b = std::to_string(i);
      if (SendResult<Record*> r = tx.Send(record); !r) delete r.value();
    }
  });
  int matching = 0;
  for (Record* record : rx) {
    if (std::to_string(record->a) == record->b) ++matching;
    delete record;
  }
  sender.join();
  BOOST_TEST(matching == n);
}

// A move that throws inside a send leaves the value with the caller, puts
// nothing in the channel, and leaves the channel working.
BOOST_AUTO_TEST_CASE_TEMPLATE(SendWhoseMoveThrowsKeepsTheValue, Maker,
                              BufferedFlavors) {
  auto [tx, rx] = Maker::template Make<ThrowsOnMove>();
  using Send =
      SendResult<ThrowsOnMove> (*)(Sender<ThrowsOnMove>&, ThrowsOnMove &&);
  const Send forms[] = {
      [](Sender<ThrowsOnMove>& s, ThrowsOnMove&& v) {
        return s.Send(std::move(v));
      },
      [](Sender<ThrowsOnMove>& s, ThrowsOnMove&& v) {
        return s.TrySend(std::move(v));
      },
      [](Sender<ThrowsOnMove>& s, ThrowsOnMove&& v) {
        return s.SendFor(std::move(v), absl::Seconds(10));
      },
      [](Sender<ThrowsOnMove>& s, ThrowsOnMove&& v) {
        return s.SendUntil(std::move(v), absl::InfiniteFuture());
      },
  };
  int sent = 0;
  int form_index = 0;
  for (Send send : forms) {
    BOOST_TEST_CONTEXT("send form " << form_index++) {
      ThrowsOnMove value(10 + sent);
      ThrowsOnMove::Arm();
      BOOST_CHECK_THROW((void)send(tx, std::move(value)), MoveError);
      ThrowsOnMove::Disarm();
      BOOST_TEST(value.value() == 10 + sent);  // Still ours.
      // Nothing arrived.
      BOOST_TEST(rx.TryRecv().status() == Status::kEmpty);
      // The same value goes through on the next try.
      BOOST_TEST(send(tx, std::move(value)).ok());
      ++sent;
      RecvResult<ThrowsOnMove> r = rx.TryRecv();
      BOOST_TEST_REQUIRE(r.ok());
      BOOST_TEST(r->value() == 10 + sent - 1);
    }
  }
  BOOST_TEST(sent == 4);
  BOOST_TEST(rx.TryRecv().status() == Status::kEmpty);
}

// A send whose move threw must not count as queued or take up room: the
// channel holds nothing more than before the attempt.
BOOST_AUTO_TEST_CASE_TEMPLATE(SendWhoseMoveThrowsLeavesLenUnchanged, Maker,
                              BufferedFlavors) {
  auto [tx, rx] = Maker::template Make<ThrowsOnMove>();
  ThrowsOnMove value(1);
  ThrowsOnMove::Arm();
  BOOST_CHECK_THROW((void)tx.Send(std::move(value)), MoveError);
  ThrowsOnMove::Disarm();
  BOOST_TEST(tx.Len() == 0u);
  BOOST_TEST(rx.Len() == 0u);
  BOOST_TEST(tx.Empty());
  BOOST_TEST(!tx.Full());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(SendWhoseMoveThrowsTakesNoRoom, Maker,
                              BufferedFlavors) {
  auto [tx, rx] = Maker::template Make<ThrowsOnMove>();
  ThrowsOnMove value(1);
  ThrowsOnMove::Arm();
  BOOST_CHECK_THROW((void)tx.Send(std::move(value)), MoveError);
  ThrowsOnMove::Disarm();
  // Every slot is still free: as many sends as the channel has room for
  // go through without a receive in between.
  const size_t room = RoomFor<Maker>(20);
  size_t accepted = 0;
  for (size_t i = 0; i < room; ++i) {
    if (tx.TrySend(ThrowsOnMove(static_cast<int>(i))).ok()) ++accepted;
  }
  BOOST_TEST(accepted == room);
  for (size_t i = 0; i < accepted; ++i) {
    RecvResult<ThrowsOnMove> r = rx.TryRecv();
    BOOST_TEST_REQUIRE(r.ok());
    BOOST_TEST(r->value() == static_cast<int>(i));
  }
}

// A move that throws inside a receive leaves the value queued, at the head.
BOOST_AUTO_TEST_CASE_TEMPLATE(RecvWhoseMoveThrowsLeavesTheValueQueued, Maker,
                              BufferedFlavors) {
  using Recv = RecvResult<ThrowsOnMove> (*)(Receiver<ThrowsOnMove>&);
  const Recv forms[] = {
      [](Receiver<ThrowsOnMove>& r) { return r.Recv(); },
      [](Receiver<ThrowsOnMove>& r) { return r.TryRecv(); },
      [](Receiver<ThrowsOnMove>& r) { return r.RecvFor(absl::Seconds(10)); },
      [](Receiver<ThrowsOnMove>& r) {
        return r.RecvUntil(absl::InfiniteFuture());
      },
  };
  auto [tx, rx] = Maker::template Make<ThrowsOnMove>();
  const size_t queued = RoomFor<Maker>(2);
  int next_sent = 0;
  int next_expected = 0;
  int form_index = 0;
  for (Recv recv : forms) {
    BOOST_TEST_CONTEXT("receive form " << form_index++) {
      while (tx.Len() < queued) {
        BOOST_TEST_REQUIRE(tx.TrySend(ThrowsOnMove(next_sent)).ok());
        ++next_sent;
      }
      ThrowsOnMove::Arm();
      BOOST_CHECK_THROW((void)recv(rx), MoveError);
      ThrowsOnMove::Disarm();
      BOOST_TEST(rx.Len() == queued);
      RecvResult<ThrowsOnMove> r = recv(rx);
      BOOST_TEST_REQUIRE(r.ok());
      BOOST_TEST(r->value() == next_expected);
      ++next_expected;
    }
  }
  // Exactly the values sent, each once, in order.
  for (;;) {
    RecvResult<ThrowsOnMove> r = rx.TryRecv();
    if (!r) break;
    BOOST_TEST(r->value() == next_expected);
    ++next_expected;
  }
  BOOST_TEST(next_expected == next_sent);
}

// Moves that throw now and then, on both sides and (for a rendezvous) in
// whichever thread does the hand-off: every value arrives exactly once, in
// order, however many attempts it took.
BOOST_AUTO_TEST_CASE_TEMPLATE(MovesThatThrowLoseAndDuplicateNothing, Maker,
                              AllFlavors) {
  const int n = Scaled(3'000);
  auto [tx, rx] = Maker::template Make<ThrowsOnMove>();
  int send_throws = 0;
  bool send_failed = false;
  std::thread sender([&, tx = std::move(tx)]() mutable {
    for (int i = 0; i < n; ++i) {
      ThrowsOnMove value(i);
      if (i % 3 == 0) ThrowsOnMove::Arm();
      for (;;) {
        try {
          if (!tx.Send(std::move(value))) send_failed = true;
          break;
        } catch (const MoveError&) {
          ++send_throws;
        }
      }
    }
  });
  int recv_throws = 0;
  std::vector<int> received;
  for (int k = 0;; ++k) {
    if (k % 5 == 0) ThrowsOnMove::Arm();
    try {
      RecvResult<ThrowsOnMove> r = rx.Recv();
      if (!r) break;
      received.push_back(r->value());
    } catch (const MoveError&) {
      ++recv_throws;
    }
  }
  ThrowsOnMove::Disarm();
  sender.join();

  std::vector<int> expected(n);
  for (int i = 0; i < n; ++i) expected[i] = i;
  BOOST_TEST(received == expected);
  BOOST_TEST(!send_failed);
  BOOST_TEST(send_throws + recv_throws > 0);
}

}  // namespace
}  // namespace chan::testing
