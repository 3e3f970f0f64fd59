// The unbounded flavor: a linked list of blocks. Sends never block or fail
// for want of room, Len counts across block boundaries, and dropping the
// receiver destroys everything still queued, in every block.
#define BOOST_TEST_MODULE unbounded
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <cstddef>
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

BOOST_AUTO_TEST_CASE(HasNoCapacityAndIsNeverFull) {
  auto [tx, rx] = Unbounded<int>();
  BOOST_TEST(!tx.Capacity().has_value());
  BOOST_TEST(!rx.Capacity().has_value());
  for (int i = 0; i < 1'000; ++i) BOOST_TEST_REQUIRE(tx.TrySend(i).ok());
  BOOST_TEST(!tx.Full());
  BOOST_TEST(!rx.Full());
  BOOST_TEST(tx.Len() == 1'000u);
}

// With no receiver at all, every form of send succeeds at once, even with
// a zero timeout or a deadline in the past.
BOOST_AUTO_TEST_CASE(SendsNeverWait) {
  const int n = Scaled(100'000);
  auto [tx, rx] = Unbounded<int>();
  const absl::Time start = absl::Now();
  int failed = 0;
  for (int i = 0; i < n; ++i) {
    SendResult<int> r = [&] {
      switch (i % 4) {
        case 0:
          return tx.Send(i);
        case 1:
          return tx.TrySend(i);
        case 2:
          return tx.SendFor(i, absl::ZeroDuration());
        default:
          return tx.SendUntil(i, absl::InfinitePast());
      }
    }();
    if (!r) ++failed;
  }
  BOOST_TEST(failed == 0);
  BOOST_TEST(absl::Now() - start < absl::Seconds(10));
  BOOST_TEST(rx.Len() == static_cast<size_t>(n));

  int wrong = 0;
  for (int i = 0; i < n; ++i) {
    RecvResult<int> r = rx.TryRecv();
    if (!r || *r != i) ++wrong;
  }
  BOOST_TEST(wrong == 0);
  BOOST_TEST(rx.TryRecv().status() == Status::kEmpty);
  BOOST_TEST(rx.Empty());
}

// Len stays exact while the head and tail cross block boundaries at
// different times.
BOOST_AUTO_TEST_CASE(LenIsExactAcrossBlocks) {
  auto [tx, rx] = Unbounded<int>();
  size_t queued = 0;
  int next_send = 0;
  int next_recv = 0;
  int wrong = 0;
  for (int round = 0; round < 200; ++round) {
    const int sends = 1 + round % 7;
    const int recvs = round % 5;
    for (int i = 0; i < sends; ++i) {
      if (!tx.TrySend(next_send++)) ++wrong;
      ++queued;
      if (tx.Len() != queued) ++wrong;
    }
    for (int i = 0; i < recvs && queued > 0; ++i) {
      RecvResult<int> r = rx.TryRecv();
      if (!r || *r != next_recv++) ++wrong;
      --queued;
      if (rx.Len() != queued) ++wrong;
    }
  }
  BOOST_TEST(wrong == 0);
  BOOST_TEST(queued > 100u);  // Several blocks' worth stayed queued.
  BOOST_TEST(rx.Len() == queued);
}

// Dropping the receiver with values queued across many blocks destroys each
// of them once, at once, while a sender still holds the channel.
BOOST_AUTO_TEST_CASE(DroppingTheReceiverDestroysEveryQueuedValue) {
  const int n = 1'000;
  const int taken = 137;
  std::vector<std::atomic<int>> destroyed(n);
  Counted::Reset(&destroyed);
  {
    auto [tx, rx] = Unbounded<Counted>();
    for (int i = 0; i < n; ++i) BOOST_TEST_REQUIRE(tx.Send(Counted(i)).ok());
    for (int i = 0; i < taken; ++i) {
      RecvResult<Counted> r = rx.Recv();
      BOOST_TEST_REQUIRE(r.ok());
      BOOST_TEST(r->payload() == i);
    }
    BOOST_TEST(Counted::live() == n - taken);

    { Receiver<Counted> gone = std::move(rx); }
    BOOST_TEST(Counted::live() == 0);  // Destroyed with the receiver.

    SendResult<Counted> late = tx.Send(Counted(0));
    BOOST_TEST(late.status() == Status::kDisconnected);
  }
  BOOST_TEST(Counted::live() == 0);
  BOOST_TEST(Counted::errors() == 0);
  BOOST_TEST(Counted::constructed() == Counted::destroyed());
  int wrong = 0;
  for (int i = 0; i < n; ++i) {
    // Payload 0 was destroyed once more: the late send's value.
    if (destroyed[i].load() != (i == 0 ? 2 : 1)) ++wrong;
  }
  BOOST_TEST(wrong == 0);
  Counted::Reset();
}

// The senders go first, then the receiver, with values still queued: the
// channel destroys them when its last handle goes.
BOOST_AUTO_TEST_CASE(DroppingBothSidesDestroysEveryQueuedValue) {
  const int n = 500;
  for (const bool receiver_last : {true, false}) {
    BOOST_TEST_CONTEXT("receiver dropped last: " << receiver_last) {
      std::vector<std::atomic<int>> destroyed(n);
      Counted::Reset(&destroyed);
      {
        auto [tx, rx] = Unbounded<Counted>();
        for (int i = 0; i < n; ++i) {
          BOOST_TEST_REQUIRE(tx.Send(Counted(i)).ok());
        }
        if (receiver_last) {
          { Sender<Counted> gone = std::move(tx); }
          BOOST_TEST(Counted::live() == n);  // Still there to receive.
          BOOST_TEST(rx.Len() == static_cast<size_t>(n));
        }
      }
      BOOST_TEST(Counted::live() == 0);
      BOOST_TEST(Counted::errors() == 0);
      int wrong = 0;
      for (int i = 0; i < n; ++i) {
        if (destroyed[i].load() != 1) ++wrong;
      }
      BOOST_TEST(wrong == 0);
      Counted::Reset();
    }
  }
}

// Producers fill several blocks concurrently while the receiver follows:
// the block hand-over loses and reorders nothing.
BOOST_AUTO_TEST_CASE(ConcurrentSendersAcrossBlocks) {
  const int kSenders = 3;
  const int n = Scaled(30'000);
  auto [tx, rx] = Unbounded<int>();
  std::vector<std::thread> senders;
  for (int s = 0; s < kSenders; ++s) {
    senders.emplace_back([s, n, tx]() mutable {
      for (int i = 0; i < n; ++i) {
        if (!tx.Send(s * n + i)) return;
      }
    });
  }
  { Sender<int> drop = std::move(tx); }
  std::vector<int> next(kSenders, 0);
  int wrong = 0;
  for (int v : rx) {
    const int s = v / n;
    if (s < 0 || s >= kSenders || v % n != next[s]) {
      ++wrong;
    } else {
      ++next[s];
    }
  }
  for (std::thread& t : senders) t.join();
  BOOST_TEST(wrong == 0);
  BOOST_TEST(next == std::vector<int>(kSenders, n));
}

// A channel that streams reuses the blocks its receiver left. A reused
// block starts empty: after each burst is drained nothing more is there,
// whatever the block held before, and values queued in a reused block are
// destroyed with the channel like any others.
BOOST_AUTO_TEST_CASE(ReusedBlocksStartEmpty) {
  Counted::Reset();
  {
    auto [tx, rx] = Unbounded<Counted>();
    int next_sent = 0;
    int next_received = 0;
    int wrong = 0;
    // Bursts of 45 cross a block boundary (31 slots) at varying offsets.
    for (int burst = 0; burst < 200; ++burst) {
      for (int i = 0; i < 45; ++i) {
        BOOST_TEST_REQUIRE(tx.Send(Counted(next_sent++)).ok());
      }
      for (int i = 0; i < 45; ++i) {
        RecvResult<Counted> r = rx.TryRecv();
        BOOST_TEST_REQUIRE(r.ok());
        if (r->payload() != next_received++) ++wrong;
      }
      BOOST_TEST_REQUIRE(rx.TryRecv().status() == Status::kEmpty);
      BOOST_TEST_REQUIRE(rx.Len() == 0u);
    }
    BOOST_TEST(wrong == 0);
    for (int i = 0; i < 40; ++i) {
      BOOST_TEST_REQUIRE(tx.Send(Counted(next_sent++)).ok());
    }
    BOOST_TEST(Counted::live() == 40);
  }
  BOOST_TEST(Counted::live() == 0);
  BOOST_TEST(Counted::errors() == 0);
  BOOST_TEST(Counted::constructed() == Counted::destroyed());
  Counted::Reset();
}

}  // namespace
}  // namespace chan::testing
