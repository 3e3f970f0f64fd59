// The rendezvous flavor, Bounded(0): no slots, so a send completes only when
// the receiver takes the value, and the value moves once, from the sender to
// the receiver, in whichever thread arrived second.
#define BOOST_TEST_MODULE rendezvous
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <set>
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

}  // namespace
}  // namespace chan::testing
