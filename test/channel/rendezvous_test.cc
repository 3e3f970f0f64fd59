// The rendezvous flavor, Bounded(0): no slots, so a send completes only when
// the receiver takes the value, and the value moves once, from the sender to
// the receiver, in whichever thread arrived second.
#define BOOST_TEST_MODULE rendezvous
#include <sys/types.h>

#include <atomic>
#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <optional>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "chan/chan.h"
#include "test/channel/channel_testing.h"
#include "test/support/scale.h"
#include "test/support/thread_state.h"

namespace chan::testing {
namespace {

using std::chrono_literals::operator""ms;

// Retries `attempt` every millisecond until it returns true or ten seconds
// pass; returns whether it succeeded. For waiting until a partner thread
// has blocked, which no API reports.
template <class F>
bool RetryFor10s(F attempt) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    if (attempt()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return false;
}

BOOST_AUTO_TEST_CASE(HoldsNothingAndIsAlwaysFull) {
  auto [tx, rx] = Bounded<int>(0);
  BOOST_TEST(tx.Capacity().value() == 0u);
  BOOST_TEST(rx.Capacity().value() == 0u);
  BOOST_TEST(tx.Full());
  BOOST_TEST(rx.Full());
  BOOST_TEST(tx.Empty());

  // Not even a sender blocked on it counts as queued.
  std::atomic<bool> sent{false};
  std::thread sender([&] {
    (void)tx.Send(1);
    sent = true;
  });
  std::this_thread::sleep_for(20ms);
  BOOST_TEST(tx.Len() == 0u);
  BOOST_TEST(rx.Len() == 0u);
  BOOST_TEST(tx.Full());
  BOOST_TEST(rx.Recv().value() == 1);
  sender.join();
  BOOST_TEST(sent.load());
}

BOOST_AUTO_TEST_CASE(TrySendWithNoReceiverWaitingIsFull) {
  auto [tx, rx] = Bounded<Boxed>(0);
  for (int i = 0; i < 3; ++i) {
    Boxed box(i);
    const int* cell = box.cell();
    SendResult<Boxed> r = tx.TrySend(std::move(box));
    BOOST_TEST(r.status() == Status::kFull);
    BOOST_TEST(!r.ok());
    Boxed back = std::move(r).value();
    BOOST_TEST(back.value() == i);
    BOOST_TEST(back.cell() == cell);
  }
  // A failed try leaves nothing behind for the receiver.
  BOOST_TEST(rx.TryRecv().status() == Status::kEmpty);
}

BOOST_AUTO_TEST_CASE(TryRecvWithNoSenderWaitingIsEmpty) {
  auto [tx, rx] = Bounded<Boxed>(0);
  BOOST_TEST(rx.TryRecv().status() == Status::kEmpty);
  BOOST_TEST(!rx.IsDisconnected());
  // Nor did it leave a receiver behind for a sender to pair with.
  BOOST_TEST(tx.TrySend(Boxed(1)).status() == Status::kFull);
}

BOOST_AUTO_TEST_CASE(SendCompletesOnlyWhenReceived) {
  auto [tx, rx] = Bounded<int>(0);
  std::atomic<bool> returned{false};
  Status status = Status::kEmpty;
  std::thread sender([&] {
    status = tx.Send(7).status();
    returned = true;
  });
  std::this_thread::sleep_for(30ms);
  BOOST_TEST(!returned.load());  // Nobody has received yet.
  RecvResult<int> r = rx.Recv();
  sender.join();
  BOOST_TEST(returned.load());
  BOOST_TEST(status == Status::kOk);
  BOOST_TEST_REQUIRE(r.ok());
  BOOST_TEST(*r == 7);
}

BOOST_AUTO_TEST_CASE(EachSendWaitsForItsOwnReceive) {
  const int n = Scaled(200);
  auto [tx, rx] = Bounded<int>(0);
  std::atomic<int> completed{0};
  std::thread sender([&] {
    for (int i = 0; i < n; ++i) {
      if (!tx.Send(i)) return;
      completed.fetch_add(1);
    }
  });
  int mismatches = 0;
  for (int i = 0; i < n; ++i) {
    // Before the i-th receive, at most i sends can have completed.
    if (completed.load() > i) ++mismatches;
    if (rx.Recv().value() != i) ++mismatches;
  }
  sender.join();
  BOOST_TEST(mismatches == 0);
  BOOST_TEST(completed.load() == n);
}

BOOST_AUTO_TEST_CASE(TrySendSucceedsWhileAReceiverWaits) {
  auto [tx, rx] = Bounded<Boxed>(0);
  int received = -1;
  const int* received_cell = nullptr;
  std::thread receiver([&] {
    if (RecvResult<Boxed> r = rx.Recv()) {
      received = r->value();
      received_cell = r->cell();
    }
  });
  Boxed box(5);
  const int* cell = box.cell();
  const bool sent = RetryFor10s([&] {
    SendResult<Boxed> r = tx.TrySend(std::move(box));
    if (r.ok()) return true;
    BOOST_TEST(r.status() == Status::kFull);
    box = std::move(r).value();  // Not sent: ours again, for the next try.
    return false;
  });
  receiver.join();
  BOOST_TEST(sent);
  BOOST_TEST(received == 5);
  // The same value throughout, however often it was handed back.
  BOOST_TEST(received_cell == cell);
}

BOOST_AUTO_TEST_CASE(TryRecvSucceedsWhileASenderWaits) {
  auto [tx, rx] = Bounded<Boxed>(0);
  Status status = Status::kEmpty;
  std::thread sender([&] { status = tx.Send(Boxed(9)).status(); });
  int received = -1;
  const bool got = RetryFor10s([&] {
    RecvResult<Boxed> r = rx.TryRecv();
    if (!r) {
      BOOST_TEST(r.status() == Status::kEmpty);
      return false;
    }
    received = r->value();
    return true;
  });
  sender.join();
  BOOST_TEST(got);
  BOOST_TEST(received == 9);
  BOOST_TEST(status == Status::kOk);
}

// Counts how many times the value was move-constructed on its way.
struct MoveCount {
  explicit MoveCount(int id) : id(id) {}
  MoveCount(MoveCount&& other) noexcept
      : id(other.id), moves(other.moves + 1) {}
  MoveCount(const MoveCount&) = delete;
  int id;
  int moves = 0;
};

BOOST_AUTO_TEST_CASE(ValueMovesOnceWhicheverSideWaits) {
  for (const bool receiver_first : {true, false}) {
    BOOST_TEST_CONTEXT("receiver waits first: " << receiver_first) {
      auto [tx, rx] = Bounded<MoveCount>(0);
      std::thread sender([&] {
        if (receiver_first) std::this_thread::sleep_for(20ms);
        (void)tx.Send(MoveCount(3));
      });
      if (!receiver_first) std::this_thread::sleep_for(20ms);
      RecvResult<MoveCount> r = rx.Recv();
      sender.join();
      BOOST_TEST_REQUIRE(r.ok());
      BOOST_TEST(r->id == 3);
      BOOST_TEST(r->moves == 1);
    }
  }
}

// A move-only value small and trivial enough to travel in the lane itself.
struct Handle {
  explicit Handle(int fd) : fd(fd) {}
  Handle(Handle&&) = default;
  Handle(const Handle&) = delete;
  int fd;
};
static_assert(std::is_trivially_copyable_v<Handle>);

BOOST_AUTO_TEST_CASE(MoveOnlyTrivialValueTravelsWhicheverSideWaits) {
  for (const bool receiver_first : {true, false}) {
    BOOST_TEST_CONTEXT("receiver waits first: " << receiver_first) {
      auto [tx, rx] = Bounded<Handle>(0);
      std::atomic<pid_t> tid{0};
      bool sent = false;
      std::thread sender([&] {
        tid = ThisThreadId();
        if (receiver_first) std::this_thread::sleep_for(20ms);
        sent = tx.Send(Handle(7)).ok();
      });
      if (!receiver_first) BOOST_TEST_REQUIRE(AwaitAsleep(AwaitThreadId(tid)));
      RecvResult<Handle> r = rx.Recv();
      sender.join();
      BOOST_TEST(sent);
      BOOST_TEST_REQUIRE(r.ok());
      BOOST_TEST(r->fd == 7);
    }
  }
}

BOOST_AUTO_TEST_CASE(ManyBlockedSendersAreAllServed) {
  const int kSenders = 4;
  auto [tx, rx] = Bounded<int>(0);
  std::vector<std::thread> senders;
  std::vector<Status> statuses(kSenders, Status::kEmpty);
  for (int i = 0; i < kSenders; ++i) {
    senders.emplace_back(
        [&, i, tx]() mutable { statuses[i] = tx.Send(i).status(); });
  }
  std::this_thread::sleep_for(20ms);
  std::multiset<int> received;
  for (int i = 0; i < kSenders; ++i) received.insert(rx.Recv().value());
  for (std::thread& t : senders) t.join();
  BOOST_TEST(received == (std::multiset<int>{0, 1, 2, 3}));
  BOOST_TEST(statuses == std::vector<Status>(kSenders, Status::kOk));
}

BOOST_AUTO_TEST_CASE(TimedOutSendLeavesNoSenderBehind) {
  auto [tx, rx] = Bounded<Boxed>(0);
  SendResult<Boxed> r = tx.SendFor(Boxed(1), absl::Milliseconds(20));
  BOOST_TEST(r.status() == Status::kTimeout);
  BOOST_TEST(r.value().value() == 1);
  // The timed-out send is gone: there is nothing to receive.
  BOOST_TEST(rx.TryRecv().status() == Status::kEmpty);
  BOOST_TEST(rx.RecvFor(absl::Milliseconds(20)).status() == Status::kTimeout);
}

BOOST_AUTO_TEST_CASE(TimedOutRecvLeavesNoReceiverBehind) {
  auto [tx, rx] = Bounded<Boxed>(0);
  BOOST_TEST(rx.RecvFor(absl::Milliseconds(20)).status() == Status::kTimeout);
  // No receiver waits any more: a try cannot hand its value to anyone.
  SendResult<Boxed> r = tx.TrySend(Boxed(2));
  BOOST_TEST(r.status() == Status::kFull);
  BOOST_TEST(r.value().value() == 2);
}

BOOST_AUTO_TEST_CASE(PingPong) {
  const int rounds = Scaled(5'000);
  auto [ping_tx, ping_rx] = Bounded<int>(0);
  auto [pong_tx, pong_rx] = Bounded<int>(0);
  std::thread echo(
      [rx = std::move(ping_rx), tx = std::move(pong_tx)]() mutable {
        for (int v : rx) {
          if (!tx.Send(v + 1)) return;
        }
      });
  int wrong = 0;
  for (int i = 0; i < rounds; ++i) {
    if (!ping_tx.Send(2 * i)) ++wrong;
    if (pong_rx.Recv().value() != 2 * i + 1) ++wrong;
  }
  { Sender<int> drop = std::move(ping_tx); }
  echo.join();
  BOOST_TEST(wrong == 0);
  BOOST_TEST(pong_rx.Recv().status() == Status::kDisconnected);
}

// A receive that has waited long enough to park is completed by a plain
// send and by a select's send case alike, both for a value small enough to
// travel inside the channel (int) and for one that moves straight into the
// receiver (MoveCount), which still moves exactly once.
BOOST_AUTO_TEST_CASE(ParkedReceiverIsCompletedBySendsAndSelects) {
  auto [int_tx, int_rx] = Bounded<int>(0);
  auto [mc_tx, mc_rx] = Bounded<MoveCount>(0);
  const int kRounds = 6;
  std::thread sender([&] {
    for (int i = 0; i < kRounds; ++i) {
      // Longer than a waiting receiver spins before it parks.
      std::this_thread::sleep_for(5ms);
      const bool use_select = i % 2 == 1;
      if (use_select) {
        int v = i;
        Select().Send(int_tx, v, [] {}).Wait();
      } else {
        (void)int_tx.Send(i);
      }
      std::this_thread::sleep_for(5ms);
      if (use_select) {
        MoveCount m(i);
        Select().Send(mc_tx, m, [] {}).Wait();
      } else {
        (void)mc_tx.Send(MoveCount(i));
      }
    }
  });
  for (int i = 0; i < kRounds; ++i) {
    BOOST_TEST_CONTEXT("round " << i) {
      RecvResult<int> r = int_rx.Recv();
      BOOST_TEST_REQUIRE(r.ok());
      BOOST_TEST(*r == i);
      RecvResult<MoveCount> m = mc_rx.Recv();
      BOOST_TEST_REQUIRE(m.ok());
      BOOST_TEST(m->id == i);
      BOOST_TEST(m->moves == 1);
    }
  }
  sender.join();
}

// The receiver takes the value from a waiting sender and its move throws:
// the exception reaches the receiver, the sender keeps waiting with its
// value, and the next receive gets it.
BOOST_AUTO_TEST_CASE(RecvWhoseMoveThrowsLeavesTheSenderWaiting) {
  auto [tx, rx] = Bounded<ThrowsOnMove>(0);
  std::atomic<bool> returned{false};
  Status status = Status::kEmpty;
  std::thread sender([&, tx = std::move(tx)]() mutable {
    status = tx.Send(ThrowsOnMove(7)).status();
    returned = true;
  });
  // TryRecv moves nothing until a sender waits; then it moves, and throws.
  ThrowsOnMove::Arm();
  int throws = 0;
  const bool threw = RetryFor10s([&] {
    try {
      RecvResult<ThrowsOnMove> r = rx.TryRecv();
      BOOST_TEST(r.status() == Status::kEmpty);
      return false;
    } catch (const MoveError&) {
      ++throws;
      return true;
    }
  });
  ThrowsOnMove::Disarm();
  BOOST_TEST(threw);
  BOOST_TEST(throws == 1);
  BOOST_TEST(!returned.load());  // The send did not complete.

  RecvResult<ThrowsOnMove> r = rx.RecvFor(absl::Seconds(10));
  sender.join();
  BOOST_TEST_REQUIRE(r.ok());
  BOOST_TEST(r->value() == 7);
  BOOST_TEST(status == Status::kOk);
  BOOST_TEST(rx.TryRecv().status() == Status::kDisconnected);
}

// The sender hands its value to a waiting receiver and its move throws: the
// exception reaches the sender, which keeps the value; the receiver keeps
// waiting and takes the next send.
BOOST_AUTO_TEST_CASE(SendWhoseMoveThrowsLeavesTheReceiverWaiting) {
  auto [tx, rx] = Bounded<ThrowsOnMove>(0);
  std::vector<int> received;
  std::thread receiver([&] {
    for (;;) {
      RecvResult<ThrowsOnMove> r = rx.Recv();
      if (!r) return;
      received.push_back(r->value());
    }
  });
  // The move happens in the sending thread only if the receiver already
  // waits; otherwise the receiver moves the value, nothing throws, and the
  // send just succeeds. Give the receiver longer each time.
  std::vector<int> sent;
  bool threw = false;
  for (int attempt = 1; attempt <= 50 && !threw; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2 * attempt));
    ThrowsOnMove value(attempt);
    ThrowsOnMove::Arm();
    try {
      SendResult<ThrowsOnMove> r = tx.Send(std::move(value));
      ThrowsOnMove::Disarm();
      if (r.ok()) sent.push_back(attempt);
    } catch (const MoveError&) {
      threw = true;
      BOOST_TEST(value.value() == attempt);  // Still ours.
      SendResult<ThrowsOnMove> r = tx.Send(std::move(value));
      BOOST_TEST(r.ok());
      if (r.ok()) sent.push_back(attempt);
    }
  }
  ThrowsOnMove::Disarm();
  BOOST_TEST(threw);
  { Sender<ThrowsOnMove> drop = std::move(tx); }
  receiver.join();
  BOOST_TEST(received == sent);
}

// --- A blocking send waiting in the lane -----------------------------------

// Senders are served in the order they blocked. The first waits in the lane,
// the next two in the senders' list behind it; once the receiver has taken
// the first, the lane is free again, but a sender that blocks while the
// other two still wait must queue behind them rather than take the lane.
BOOST_AUTO_TEST_CASE(BlockedSendersAreServedInTheOrderTheyBlocked) {
  const int kSenders = 4;
  auto [tx, rx] = Bounded<int>(0);
  std::vector<std::atomic<pid_t>> tids(kSenders);
  std::vector<Status> statuses(kSenders, Status::kEmpty);
  std::vector<std::thread> senders;
  // Starts sender `i`, which sends i, and returns once it has blocked.
  auto start = [&](int i) {
    senders.emplace_back([&, i, tx]() mutable {
      tids[i] = ThisThreadId();
      statuses[i] = tx.Send(i).status();
    });
    return AwaitAsleep(AwaitThreadId(tids[i]));
  };
  BOOST_TEST(start(0));  // In the lane.
  BOOST_TEST(start(1));  // In the list, as the lane is taken.
  BOOST_TEST(start(2));
  std::vector<int> received;
  RecvResult<int> first = rx.Recv();  // Sender 0's: the lane is free again.
  if (first) received.push_back(*first);
  BOOST_TEST(start(3));  // Behind 1 and 2, although the lane is free.
  for (int i = 1; i < kSenders; ++i) {
    RecvResult<int> r = rx.Recv();
    if (r) received.push_back(*r);
  }
  for (std::thread& t : senders) t.join();
  BOOST_TEST(received == (std::vector<int>{0, 1, 2, 3}),
             boost::test_tools::per_element());
  BOOST_TEST(statuses == std::vector<Status>(kSenders, Status::kOk),
             boost::test_tools::per_element());
}

// Value i of a type small enough to travel in the lane itself (int), and
// of one that moves from the sender's storage (a string too long for the
// small-string buffer, so that its characters live on the heap).
template <class T>
T Numbered(int i);
template <>
int Numbered<int>(int i) {
  return i;
}
template <>
std::string Numbered<std::string>(int i) {
  return "value " + std::to_string(i) + std::string(40, '.');
}
using LaneValueTypes = boost::mpl::list<int, std::string>;

// A sender waiting in the lane, whose offer a receive took, may find the
// lane armed again by the time it wakes to look. Here the receiving thread
// arms it itself at once, in turn with a timed send and a timed receive
// that nobody meets. The sender's wait still ended with its value taken:
// each Send reports success, and each value arrives once.
BOOST_AUTO_TEST_CASE_TEMPLATE(SendWhoseLaneWasArmedAgainBeforeItLookedSucceeds,
                              T, LaneValueTypes) {
  const int rounds = Scaled(60);
  const absl::Duration kRearm = absl::Milliseconds(1);
  auto [tx, rx] = Bounded<T>(0);
  std::atomic<pid_t> tid{0};
  std::atomic<int> go{0};  // The round whose value the sender may send.
  std::vector<Status> statuses;
  std::thread sender([&, tx]() mutable {
    tid = ThisThreadId();
    for (int i = 0; i < rounds; ++i) {
      while (go.load() < i) std::this_thread::yield();
      statuses.push_back(tx.Send(Numbered<T>(i)).status());
    }
  });
  const pid_t sender_tid = AwaitThreadId(tid);
  int not_asleep = 0;
  int wrong = 0;
  for (int i = 0; i < rounds; ++i) {
    // The sender waits in the lane, parked, so it is slow to wake.
    if (!AwaitAsleep(sender_tid)) ++not_asleep;
    RecvResult<T> r = rx.TryRecv();
    if (!r.ok() || *r != Numbered<T>(i)) ++wrong;
    // Arm the lane again before the sender looks; nobody meets this.
    if (i % 2 == 0) {
      SendResult<T> mine = tx.SendFor(Numbered<T>(-1), kRearm);
      if (mine.status() != Status::kTimeout ||
          std::move(mine).value() != Numbered<T>(-1)) {
        ++wrong;
      }
    } else if (rx.RecvFor(kRearm).status() != Status::kTimeout) {
      ++wrong;
    }
    go.store(i + 1);
  }
  sender.join();
  BOOST_TEST(not_asleep == 0);
  BOOST_TEST(wrong == 0);
  BOOST_TEST(statuses == std::vector<Status>(rounds, Status::kOk),
             boost::test_tools::per_element());
  BOOST_TEST(rx.TryRecv().status() == Status::kEmpty);  // No value twice.
}

// Several senders through the lane, the receiver alternating TryRecv and
// Recv, with a value that travels in the lane itself: every Send reports
// success, and every value arrives exactly once, each sender's in order.
BOOST_AUTO_TEST_CASE(ConcurrentSendsThroughTheLaneEachArriveOnce) {
  const int kSenders = 4;
  const int per_sender = Scaled(1000);
  auto [tx, rx] = Bounded<int>(0);
  std::vector<int> failed_sends(kSenders, 0);
  std::vector<std::thread> senders;
  for (int s = 0; s < kSenders; ++s) {
    senders.emplace_back([&failed_sends, s, per_sender, tx]() mutable {
      for (int i = 0; i < per_sender; ++i) {
        if (!tx.Send(s * per_sender + i).ok()) ++failed_sends[s];
      }
    });
  }
  { Sender<int> mine = std::move(tx); }
  std::vector<int> next(kSenders, 0);  // Each sender's next value due.
  int received = 0;
  int wrong = 0;
  for (int n = 0;; ++n) {
    RecvResult<int> r = n % 2 == 0 ? rx.TryRecv() : rx.Recv();
    if (r.status() == Status::kEmpty) continue;
    if (r.status() == Status::kDisconnected) break;
    if (!r.ok()) {
      ++wrong;
      break;
    }
    const int s = *r / per_sender;
    if (*r < 0 || s >= kSenders || *r % per_sender != next[s]) {
      ++wrong;
    } else {
      ++next[s];
    }
    ++received;
  }
  for (std::thread& t : senders) t.join();
  BOOST_TEST(wrong == 0);
  BOOST_TEST(received == kSenders * per_sender);
  BOOST_TEST(failed_sends == std::vector<int>(kSenders, 0),
             boost::test_tools::per_element());
}

// Senders that each try every value once with a tiny timeout, against a
// receiver mixing TryRecv, RecvFor and Recv: the values whose SendFor
// succeeded are exactly the values received, each once and in each
// sender's order, and a send that timed out hands back the value it was
// given. A deadline that passes just as a receive takes the offer must not
// report the taken value as not sent, nor leave it to be taken again.
BOOST_AUTO_TEST_CASE(TimedSendsSucceedExactlyWhenTheirValueIsReceived) {
  const int kSenders = 4;
  const int per_sender = Scaled(500);
  auto [tx, rx] = Bounded<int>(0);
  std::vector<std::vector<int>> sent(kSenders);
  std::vector<int> timeouts(kSenders, 0);
  std::vector<int> wrong_sends(kSenders, 0);
  std::vector<std::thread> senders;
  for (int s = 0; s < kSenders; ++s) {
    senders.emplace_back([&, s, tx]() mutable {
      std::minstd_rand random(s + 1);
      for (int i = 0; i < per_sender; ++i) {
        const int v = s * per_sender + i;
        const absl::Duration timeout =
            absl::Microseconds(static_cast<int64_t>(random() % 201));
        SendResult<int> r = tx.SendFor(v, timeout);
        if (r.ok()) {
          sent[s].push_back(v);
        } else if (r.status() == Status::kTimeout && r.value() == v) {
          ++timeouts[s];
        } else {
          ++wrong_sends[s];
        }
      }
    });
  }
  { Sender<int> mine = std::move(tx); }
  std::minstd_rand random(kSenders + 1);
  std::vector<std::vector<int>> received(kSenders);
  int wrong = 0;
  for (;;) {
    RecvResult<int> r = [&] {
      switch (random() % 3) {
        case 0:
          return rx.TryRecv();
        case 1:
          return rx.RecvFor(
              absl::Microseconds(static_cast<int64_t>(random() % 201)));
        default:
          return rx.Recv();
      }
    }();
    if (r.status() == Status::kEmpty || r.status() == Status::kTimeout) {
      continue;
    }
    if (r.status() == Status::kDisconnected) break;
    if (!r.ok() || *r < 0 || *r >= kSenders * per_sender) {
      ++wrong;
      break;
    }
    received[*r / per_sender].push_back(*r);
  }
  for (std::thread& t : senders) t.join();
  BOOST_TEST(wrong == 0);
  int total_sent = 0;
  int total_timeouts = 0;
  for (int s = 0; s < kSenders; ++s) {
    BOOST_TEST_CONTEXT("sender " << s) {
      BOOST_TEST(wrong_sends[s] == 0);
      BOOST_TEST(static_cast<int>(sent[s].size()) + timeouts[s] == per_sender);
      // Received in the order sent, hence once each: sent[s] is ascending.
      BOOST_TEST(received[s] == sent[s], boost::test_tools::per_element());
    }
    total_sent += static_cast<int>(sent[s].size());
    total_timeouts += timeouts[s];
  }
  BOOST_TEST_MESSAGE("sent " << total_sent << ", timed out " << total_timeouts);
}

// The ways a value can be received.
enum class ReceiveBy { kRecv, kTryRecv, kRecvFor, kSelect, kDynamicSelect };

std::ostream& operator<<(std::ostream& os, ReceiveBy how) {
  static const char* const kNames[] = {"Recv", "TryRecv", "RecvFor", "Select",
                                       "DynamicSelect"};
  return os << kNames[static_cast<int>(how)];
}

// Receives one value from `rx` as `how` says, and returns whether it got
// one for which `check(value)` holds.
template <class T, class Check>
bool ReceiveAndCheck(Receiver<T>& rx, ReceiveBy how, Check check) {
  // Each result is checked where it was made: moving it would move the
  // value again.
  switch (how) {
    case ReceiveBy::kRecv: {
      RecvResult<T> r = rx.Recv();
      return r.ok() && check(*r);
    }
    case ReceiveBy::kTryRecv: {
      RecvResult<T> r = rx.TryRecv();
      return r.ok() && check(*r);
    }
    case ReceiveBy::kRecvFor: {
      RecvResult<T> r = rx.RecvFor(absl::Seconds(10));
      return r.ok() && check(*r);
    }
    case ReceiveBy::kSelect: {
      bool ok = false;
      Select()
          .Recv(rx, [&](std::optional<T> v) { ok = v && check(*v); })
          .Wait();
      return ok;
    }
    case ReceiveBy::kDynamicSelect: {
      DynamicSelect select;
      select.AddRecv(rx);
      SelectedOperation op = select.Select();
      RecvResult<T> r = op.Recv(rx);
      return r.ok() && check(*r);
    }
  }
  return false;
}

// A sender that has parked in the lane with its value offered is completed
// by every kind of receive, for a value that travels in the lane (int) and
// for values that move from the sender's storage: a long string arrives
// intact, and a MoveCount moved exactly once on the channel's part (a
// static select's handler takes its value by value: moved again after).
template <class T, class Make, class Check>
void ExpectParkedSenderCompletedByEveryReceive(Make make, Check check) {
  for (const ReceiveBy how :
       {ReceiveBy::kTryRecv, ReceiveBy::kRecv, ReceiveBy::kRecvFor,
        ReceiveBy::kSelect, ReceiveBy::kDynamicSelect}) {
    BOOST_TEST_CONTEXT("received by " << how) {
      auto [tx, rx] = Bounded<T>(0);
      std::atomic<pid_t> tid{0};
      Status status = Status::kEmpty;
      std::thread sender([&, tx]() mutable {
        tid = ThisThreadId();
        status = tx.SendFor(make(), absl::Seconds(10)).status();
      });
      BOOST_TEST(AwaitAsleep(AwaitThreadId(tid)));
      BOOST_TEST(
          ReceiveAndCheck(rx, how, [&](const T& v) { return check(v, how); }));
      sender.join();
      BOOST_TEST(status == Status::kOk);
      BOOST_TEST(rx.TryRecv().status() == Status::kEmpty);
    }
  }
}

BOOST_AUTO_TEST_CASE(ParkedSenderIsCompletedByEveryKindOfReceive) {
  ExpectParkedSenderCompletedByEveryReceive<int>(
      [] { return 11; }, [](int v, ReceiveBy) { return v == 11; });
  ExpectParkedSenderCompletedByEveryReceive<std::string>(
      [] { return Numbered<std::string>(12); },
      [](const std::string& v, ReceiveBy) {
        return v == Numbered<std::string>(12);
      });
  ExpectParkedSenderCompletedByEveryReceive<MoveCount>(
      [] { return MoveCount(13); },
      [](const MoveCount& v, ReceiveBy how) {
        return v.id == 13 && (how == ReceiveBy::kSelect || v.moves == 1);
      });
}

}  // namespace
}  // namespace chan::testing
