// Timer channels — After, At, Tick, Never — alone and as select cases; and
// how every timeout form treats infinite, huge and negative durations.
// Times are checked from below: a timer never fires early. Upper bounds
// only catch a wait that ignores its deadline.
#define BOOST_TEST_MODULE timer
#include "chan/timer.h"

#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "chan/chan.h"
#include "test/select/select_testing.h"
#include "test/support/scale.h"

namespace chan::testing {
namespace {

const absl::Duration kShort = absl::Milliseconds(30);
const absl::Duration kGenerous = absl::Seconds(10);

// Whether `later - earlier` is a whole, positive number of `period`s.
bool PositiveMultiple(absl::Time earlier, absl::Time later,
                      absl::Duration period) {
  absl::Duration remainder;
  const int64_t n = absl::IDivDuration(later - earlier, period, &remainder);
  return n >= 1 && remainder == absl::ZeroDuration();
}

// --- After and At ----------------------------------------------------------

BOOST_AUTO_TEST_CASE(AfterDeliversOnceAfterItsDelay) {
  const absl::Time start = absl::Now();
  Receiver<absl::Time> timer = After(kShort);
  RecvResult<absl::Time> r = timer.Recv();
  const absl::Time now = absl::Now();
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(*r >= start + kShort);  // The time it was due...
  BOOST_TEST(*r <= now);             // ...which has come.
  BOOST_TEST(now - start >= kShort);
  BOOST_TEST(now - start < kGenerous);

  // Then never again, and never disconnected.
  BOOST_TEST(timer.TryRecv().status() == Status::kEmpty);
  BOOST_TEST(timer.RecvFor(kShort).status() == Status::kTimeout);
  BOOST_TEST(!timer.IsDisconnected());
  BOOST_TEST(timer.Len() == 0u);
}

BOOST_AUTO_TEST_CASE(AfterIsNotReadyEarly) {
  Receiver<absl::Time> timer = After(kGenerous);
  BOOST_TEST(timer.TryRecv().status() == Status::kEmpty);
  BOOST_TEST(timer.Len() == 0u);
  BOOST_TEST(timer.RecvFor(kShort).status() == Status::kTimeout);
}

BOOST_AUTO_TEST_CASE(AtInThePastIsReadyAtOnce) {
  const absl::Time when = absl::Now() - absl::Seconds(1);
  Receiver<absl::Time> timer = At(when);
  BOOST_TEST(timer.Len() == 1u);
  RecvResult<absl::Time> r = timer.TryRecv();
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(*r == when);
  BOOST_TEST(timer.TryRecv().status() == Status::kEmpty);

  Receiver<absl::Time> ancient = At(absl::InfinitePast());
  RecvResult<absl::Time> a = ancient.TryRecv();
  BOOST_REQUIRE(a.ok());
  BOOST_TEST(*a == absl::InfinitePast());
}

BOOST_AUTO_TEST_CASE(AfterZeroOrNegativeIsReadyAtOnce) {
  for (absl::Duration d :
       {absl::ZeroDuration(), -absl::Seconds(1), -absl::InfiniteDuration()}) {
    Receiver<absl::Time> timer = After(d);
    BOOST_TEST(timer.TryRecv().ok());
  }
}

BOOST_AUTO_TEST_CASE(AfterInASelect) {
  const absl::Time start = absl::Now();
  Receiver<absl::Time> timer = After(kShort);
  auto [tx, rx] = Unbounded<int>();  // Never gets anything.
  std::optional<absl::Time> fired;
  const size_t ran =
      Select()
          .Recv(rx, [](std::optional<int>) {})
          .Recv(timer, [&](std::optional<absl::Time> t) { fired = t; })
          .Timeout(kGenerous, [] {})
          .Wait();
  BOOST_TEST(ran == 1u);
  BOOST_REQUIRE(fired.has_value());
  BOOST_TEST(*fired >= start + kShort);
  BOOST_TEST(absl::Now() - start >= kShort);
}

BOOST_AUTO_TEST_CASE(TheEarlierOfTwoTimersFiresFirst) {
  const absl::Time start = absl::Now();
  const absl::Duration gap = absl::Milliseconds(300);
  Receiver<absl::Time> late = After(kShort + gap);
  Receiver<absl::Time> early = After(kShort);
  std::vector<size_t> order;
  auto select = Select()
                    .Recv(late, [](std::optional<absl::Time>) {})
                    .Recv(early, [](std::optional<absl::Time>) {});
  order.push_back(select.Wait());
  const absl::Time first = absl::Now();
  BOOST_TEST(first - start >= kShort);
  order.push_back(select.Wait());
  BOOST_TEST(absl::Now() - start >= kShort + gap);
  // Both cases ran, the early one first — unless this thread woke so late
  // that both were due, when either may go first.
  BOOST_TEST(
      ((order[0] == 1u && order[1] == 0u) ||
       (order[0] == 0u && order[1] == 1u && first - start >= kShort + gap)));
  // Both fired: nothing is left but the timeout.
  BOOST_TEST(Select()
                 .Recv(late, [](std::optional<absl::Time>) {})
                 .Recv(early, [](std::optional<absl::Time>) {})
                 .Timeout(kShort, [] {})
                 .Wait() == 2u);
}

BOOST_AUTO_TEST_CASE(AValueArrivingBeforeTheTimerWins) {
  Receiver<absl::Time> timer = After(kGenerous);
  auto [tx, rx] = Bounded<int>(0);
  std::thread sender([tx = std::move(tx)]() mutable {
    absl::SleepFor(kShort);
    (void)tx.Send(1);
  });
  const size_t ran = Select()
                         .Recv(timer, [](std::optional<absl::Time>) {})
                         .Recv(rx, [](std::optional<int>) {})
                         .Wait();
  sender.join();
  BOOST_TEST(ran == 1u);
  BOOST_TEST(timer.TryRecv().status() == Status::kEmpty);  // Not yet due.
}

// --- Tick --------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(TickDeliversOnItsSchedule) {
  const absl::Duration period = absl::Milliseconds(15);
  const absl::Time start = absl::Now();
  Receiver<absl::Time> ticker = Tick(period);
  std::vector<absl::Time> ticks;
  for (int i = 0; i < 6; ++i) {
    RecvResult<absl::Time> r = ticker.RecvFor(kGenerous);
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(*r <= absl::Now());  // Never early.
    ticks.push_back(*r);
  }
  BOOST_TEST(ticks.front() >= start + period);
  for (size_t i = 1; i < ticks.size(); ++i) {
    BOOST_TEST_INFO("tick " << i);
    BOOST_TEST(PositiveMultiple(ticks[i - 1], ticks[i], period));
  }
  BOOST_TEST(!ticker.IsDisconnected());
}

// timer.h: a receiver that falls behind gets only the latest tick that is
// due; the missed ones are dropped, and the schedule does not drift.
BOOST_AUTO_TEST_CASE(ASlowReceiverGetsOnlyTheLatestTick) {
  const absl::Duration period = absl::Milliseconds(40);
  Receiver<absl::Time> ticker = Tick(period);
  RecvResult<absl::Time> first = ticker.RecvFor(kGenerous);
  BOOST_REQUIRE(first.ok());

  absl::SleepFor(period * 3.5);    // Three more ticks fall due meanwhile.
  BOOST_TEST(ticker.Len() == 1u);  // At most one tick is ever pending.
  const absl::Time before = absl::Now();
  RecvResult<absl::Time> caught_up = ticker.TryRecv();
  const absl::Time after = absl::Now();
  BOOST_REQUIRE(caught_up.ok());
  BOOST_TEST(PositiveMultiple(*first, *caught_up, period));
  BOOST_TEST(*caught_up >= *first + 3 * period);  // Not a stale one.
  BOOST_TEST(*caught_up <= after);
  // The latest tick due when it was read: the one after it was not due
  // yet, and the read came after `before`.
  BOOST_TEST(*caught_up + period > before);

  // The schedule continues from there: the next tick is the following
  // slot (or a later one, if this thread was descheduled that long).
  RecvResult<absl::Time> next = ticker.RecvFor(kGenerous);
  BOOST_REQUIRE(next.ok());
  BOOST_TEST(PositiveMultiple(*caught_up, *next, period));
  BOOST_TEST(PositiveMultiple(*first, *next, period));
}

BOOST_AUTO_TEST_CASE(TickInASelectLoop) {
  // The loop of timer.h's example: tick until a deadline timer fires.
  const absl::Duration period = absl::Milliseconds(10);
  const absl::Duration total = absl::Milliseconds(100);
  const absl::Time start = absl::Now();
  Receiver<absl::Time> ticker = Tick(period);
  Receiver<absl::Time> done = After(total);
  std::vector<absl::Time> ticks;
  for (bool running = true; running;) {
    (void)Select()
        .Recv(ticker, [&](std::optional<absl::Time> t) { ticks.push_back(*t); })
        .Recv(done, [&](std::optional<absl::Time>) { running = false; })
        .Wait();
  }
  const absl::Duration elapsed = absl::Now() - start;
  BOOST_TEST(elapsed >= total);
  BOOST_TEST(!ticks.empty());
  // No more ticks than were due while the loop ran.
  absl::Duration remainder;
  BOOST_TEST(static_cast<int64_t>(ticks.size()) <=
             absl::IDivDuration(elapsed, period, &remainder));
  for (size_t i = 1; i < ticks.size(); ++i) {
    BOOST_TEST(PositiveMultiple(ticks[i - 1], ticks[i], period));
  }
}

BOOST_AUTO_TEST_CASE(TickRejectsAPeriodThatIsNotPositive) {
  BOOST_CHECK_THROW((void)Tick(absl::ZeroDuration()), std::invalid_argument);
  BOOST_CHECK_THROW((void)Tick(-absl::Milliseconds(1)), std::invalid_argument);
  BOOST_CHECK_THROW((void)Tick(-absl::InfiniteDuration()),
                    std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(TickWithAnInfinitePeriodNeverTicks) {
  Receiver<absl::Time> ticker = Tick(absl::InfiniteDuration());
  BOOST_TEST(ticker.TryRecv().status() == Status::kEmpty);
  BOOST_TEST(ticker.RecvFor(kShort).status() == Status::kTimeout);
}

// --- Never -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(NeverDeliversNothing) {
  Receiver<int> never = Never<int>();
  BOOST_TEST(never.TryRecv().status() == Status::kEmpty);
  const absl::Time start = absl::Now();
  BOOST_TEST(never.RecvFor(kShort).status() == Status::kTimeout);
  BOOST_TEST(absl::Now() - start >= kShort);
  BOOST_TEST(!never.IsDisconnected());
  BOOST_TEST(never.Len() == 0u);
  BOOST_TEST(Select()
                 .Recv(never, [](std::optional<int>) {})
                 .Timeout(kShort, [] {})
                 .Wait() == 1u);
}

// --- Infinite and huge durations -----------------------------------------

BOOST_AUTO_TEST_CASE(InfiniteTimeoutsWaitForAValue) {
  auto [tx, rx] = Bounded<int>(0);
  std::thread sender([tx = std::move(tx)]() mutable {
    for (int i = 0; i < 2; ++i) {
      absl::SleepFor(kShort);
      (void)tx.Send(i);
    }
  });
  RecvResult<int> r = rx.RecvFor(absl::InfiniteDuration());
  BOOST_TEST((r.ok() && *r == 0));
  std::optional<int> got;
  const size_t ran = Select()
                         .Timeout(absl::InfiniteDuration(), [] {})
                         .Recv(rx, [&](std::optional<int> v) { got = v; })
                         .Wait();
  sender.join();
  BOOST_TEST(ran == 1u);
  BOOST_TEST((got == 1));
}

BOOST_AUTO_TEST_CASE(InfiniteSendTimeoutWaitsForRoom) {
  auto [tx, rx] = Bounded<int>(1);
  BOOST_REQUIRE(tx.Send(0).ok());
  std::thread receiver([rx = std::move(rx)]() mutable {
    absl::SleepFor(kShort);
    for (int v : rx) (void)v;
  });
  BOOST_TEST(tx.SendFor(1, absl::InfiniteDuration()).ok());
  { Sender<int> gone = std::move(tx); }
  receiver.join();
}

// Durations so long that the deadline is far beyond any clock (or past
// what absl::Time can hold) must mean "not for a very long time", never
// wrap around into the past.
const absl::Duration kHuge[] = {
    absl::Hours(1e12),
    absl::Seconds(std::numeric_limits<int64_t>::max() / 2),
    absl::Seconds(std::numeric_limits<int64_t>::max()),
};

BOOST_AUTO_TEST_CASE(AfterAHugeDelayIsNotReady) {
  for (absl::Duration d : kHuge) {
    BOOST_TEST_CONTEXT("delay " << d) {
      Receiver<absl::Time> timer = After(d);
      BOOST_TEST(timer.TryRecv().status() == Status::kEmpty);
      BOOST_TEST(timer.Len() == 0u);
      BOOST_TEST(timer.RecvFor(kShort).status() == Status::kTimeout);
      BOOST_TEST(Select()
                     .Recv(timer, [](std::optional<absl::Time>) {})
                     .Timeout(kShort, [] {})
                     .Wait() == 1u);
    }
  }
}

BOOST_AUTO_TEST_CASE(HugeTimeoutsWaitForAValue) {
  for (absl::Duration d : kHuge) {
    BOOST_TEST_CONTEXT("timeout " << d) {
      auto [tx, rx] = Bounded<int>(0);
      std::thread sender([tx = std::move(tx)]() mutable {
        for (int i = 0; i < 3; ++i) {
          absl::SleepFor(absl::Milliseconds(10));
          (void)tx.Send(i);
        }
      });
      RecvResult<int> r = rx.RecvFor(d);
      BOOST_TEST((r.ok() && *r == 0));
      std::optional<int> got;
      BOOST_TEST(Select()
                     .Recv(rx, [&](std::optional<int> v) { got = v; })
                     .Timeout(d, [] {})
                     .Wait() == 0u);
      BOOST_TEST((got == 1));
      // A huge timer next to the value does not fire either.
      Receiver<absl::Time> timer = After(d);
      got.reset();
      BOOST_TEST(Select()
                     .Recv(timer, [](std::optional<absl::Time>) {})
                     .Recv(rx, [&](std::optional<int> v) { got = v; })
                     .Wait() == 1u);
      BOOST_TEST((got == 2));
      sender.join();
    }
  }
}

BOOST_AUTO_TEST_CASE(HugeNegativeTimeoutsExpireAtOnce) {
  auto [tx, rx] = Unbounded<int>();
  for (absl::Duration d : kHuge) {
    BOOST_TEST_CONTEXT("timeout " << -d) {
      BOOST_TEST(rx.RecvFor(-d).status() == Status::kTimeout);
      BOOST_TEST(Select()
                     .Recv(rx, [](std::optional<int>) {})
                     .Timeout(-d, [] {})
                     .Wait() == 1u);
    }
  }
}

BOOST_AUTO_TEST_CASE(HugeSendTimeoutWaitsForRoom) {
  for (absl::Duration d : kHuge) {
    BOOST_TEST_CONTEXT("timeout " << d) {
      auto [tx, rx] = Bounded<int>(0);
      std::thread receiver([rx = std::move(rx)]() mutable {
        absl::SleepFor(absl::Milliseconds(10));
        (void)rx.Recv();
      });
      BOOST_TEST(tx.SendFor(1, d).ok());
      receiver.join();
    }
  }
}

}  // namespace
}  // namespace chan::testing
