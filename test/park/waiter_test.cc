// One typed suite over every waiter implementation: the futex waiter that
// chan uses on Linux and the condition-variable fallback. Each must give the
// token semantics documented in chan/park.h.
#define BOOST_TEST_MODULE waiter
#include <atomic>
#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "lib/park/condvar_waiter.h"
#include "lib/park/futex_waiter.h"
#include "test/support/scale.h"

namespace chan::internal {
namespace {

using Waiters = boost::mpl::list<FutexWaiter, CondvarWaiter>;

BOOST_AUTO_TEST_CASE_TEMPLATE(UnparkBeforeParkReturnsAtOnce, W, Waiters) {
  W waiter;
  waiter.Unpark();
  waiter.Park();  // Would hang without the token.
  waiter.Unpark();
  BOOST_TEST(waiter.ParkUntil(absl::InfiniteFuture()));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(SeveralUnparksAreOneToken, W, Waiters) {
  W waiter;
  waiter.Unpark();
  waiter.Unpark();
  waiter.Unpark();
  BOOST_TEST(waiter.ParkUntil(absl::Now() + absl::Seconds(10)));
  // The token is gone: the next park waits for its deadline.
  BOOST_TEST(!waiter.ParkUntil(absl::Now() + absl::Milliseconds(20)));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(ParkUntilWaitsForTheDeadline, W, Waiters) {
  W waiter;
  const absl::Duration timeout = absl::Milliseconds(50);
  const absl::Time start = absl::Now();
  BOOST_TEST(!waiter.ParkUntil(start + timeout));
  const absl::Duration waited = absl::Now() - start;
  // Never early; the upper bound only catches a park that ignores its
  // deadline, so it is generous enough for a loaded machine.
  BOOST_TEST(waited >= timeout);
  BOOST_TEST(waited < absl::Seconds(10));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(ParkUntilInThePastReturnsAtOnce, W, Waiters) {
  W waiter;
  BOOST_TEST(!waiter.ParkUntil(absl::Now() - absl::Seconds(1)));
  BOOST_TEST(!waiter.ParkUntil(absl::InfinitePast()));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(ParkUntilIsWokenByUnpark, W, Waiters) {
  W waiter;
  std::thread unparker([&] {
    absl::SleepFor(absl::Milliseconds(10));
    waiter.Unpark();
  });
  BOOST_TEST(waiter.ParkUntil(absl::Now() + absl::Seconds(60)));
  unparker.join();
}

// Two threads hand a turn back and forth. The counter is a plain int: only
// the happens-before edge from Unpark to Park makes it race-free, and the
// ThreadSanitizer run checks exactly that.
BOOST_AUTO_TEST_CASE_TEMPLATE(PingPongHandsOffInOrder, W, Waiters) {
  const int rounds = chan::testing::Scaled(50'000);  // 100,000 hand-offs
  W ping;
  W pong;
  int counter = 0;
  std::thread other([&] {
    for (int i = 0; i < rounds; ++i) {
      ping.Park();
      BOOST_REQUIRE_EQUAL(counter, 2 * i + 1);
      ++counter;
      pong.Unpark();
    }
  });
  for (int i = 0; i < rounds; ++i) {
    BOOST_REQUIRE_EQUAL(counter, 2 * i);
    ++counter;
    ping.Unpark();
    pong.Park();
  }
  other.join();
  BOOST_TEST(counter == 2 * rounds);
}

// Many threads each publish a value, then unpark one parked thread. The
// parked thread loops until it has seen every value: tokens may coalesce,
// but none may be lost so that the last publication goes unnoticed.
BOOST_AUTO_TEST_CASE_TEMPLATE(ManyUnparkersWakeOne, W, Waiters) {
  constexpr int kThreads = 8;
  const int per_thread = chan::testing::Scaled(2'000);
  W waiter;
  std::atomic<int> published{0};
  std::vector<std::thread> unparkers;
  for (int t = 0; t < kThreads; ++t) {
    unparkers.emplace_back([&] {
      for (int i = 0; i < per_thread; ++i) {
        published.fetch_add(1, std::memory_order_relaxed);
        waiter.Unpark();
      }
    });
  }
  while (published.load(std::memory_order_relaxed) < kThreads * per_thread) {
    waiter.Park();
  }
  for (auto& t : unparkers) t.join();
  BOOST_TEST(published.load() == kThreads * per_thread);
}

// An unpark racing a deadline: either the ParkUntil that is timing out
// takes the token and returns true, or it returns false and leaves the token
// for the next park. Never both, never neither.
BOOST_AUTO_TEST_CASE_TEMPLATE(UnparkRacingTheDeadlineIsNeverLost, W, Waiters) {
  const int rounds = chan::testing::Scaled(2'000);
  W waiter;
  std::atomic<int> go{-1};
  std::atomic<int> done{-1};
  std::thread unparker([&] {
    for (int round = 0; round < rounds; ++round) {
      while (go.load(std::memory_order_acquire) != round) {
        std::this_thread::yield();
      }
      // Vary where the unpark lands relative to the 50us deadline.
      const absl::Time until = absl::Now() + absl::Microseconds(round % 100);
      while (absl::Now() < until) {
      }
      waiter.Unpark();
      done.store(round, std::memory_order_release);
    }
  });
  for (int round = 0; round < rounds; ++round) {
    go.store(round, std::memory_order_release);
    const bool first = waiter.ParkUntil(absl::Now() + absl::Microseconds(50));
    while (done.load(std::memory_order_acquire) != round) {
      std::this_thread::yield();
    }
    // A deadline in the past still consumes a token that is there.
    const bool second = waiter.ParkUntil(
        first ? absl::InfinitePast() : absl::Now() + absl::Seconds(10));
    BOOST_REQUIRE_NE(first, second);
  }
  unparker.join();
}

}  // namespace
}  // namespace chan::internal
