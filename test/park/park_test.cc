// The public Parker and Unparker: what the typed waiter suite cannot see —
// reference-counted lifetime and the per-thread parker.
#define BOOST_TEST_MODULE park
#include "chan/park.h"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "test/support/scale.h"

namespace chan {
namespace {

BOOST_AUTO_TEST_CASE(UnparkerWakesParker) {
  Parker parker;
  Unparker unparker = parker.unparker();
  std::thread t([&] { unparker.Unpark(); });
  parker.Park();
  t.join();
}

BOOST_AUTO_TEST_CASE(ParkForTimesOut) {
  Parker parker;
  const absl::Time start = absl::Now();
  BOOST_TEST(!parker.ParkFor(absl::Milliseconds(20)));
  BOOST_TEST(absl::Now() - start >= absl::Milliseconds(20));
}

// The parked thread returns, destroys its Parker and exits while another
// thread still holds an Unparker and keeps unparking. AddressSanitizer turns
// any use of freed state into a failure.
BOOST_AUTO_TEST_CASE(UnparkerOutlivesParkedThread) {
  const int rounds = chan::testing::Scaled(1'000);
  for (int i = 0; i < rounds; ++i) {
    std::optional<Unparker> unparker;
    std::atomic<bool> ready{false};
    std::thread parked([&] {
      Parker parker;
      unparker.emplace(parker.unparker());
      ready.store(true, std::memory_order_release);
      parker.Park();
      // Returns and destroys `parker` while the unparker may still be inside
      // Unpark().
    });
    while (!ready.load(std::memory_order_acquire)) std::this_thread::yield();
    unparker->Unpark();
    parked.join();
    unparker->Unpark();  // The parker is gone; this must still be safe.
    Unparker copy = *unparker;
    unparker.reset();
    copy.Unpark();
  }
}

BOOST_AUTO_TEST_CASE(MovedParkerKeepsItsUnparkers) {
  Parker first;
  Unparker unparker = first.unparker();
  Parker second = std::move(first);
  unparker.Unpark();
  second.Park();  // The token reached the state that moved.
}

BOOST_AUTO_TEST_CASE(ForThisThreadIsPerThread) {
  Parker* mine = &Parker::ForThisThread();
  BOOST_TEST(mine == &Parker::ForThisThread());
  Parker* theirs = nullptr;
  std::thread([&] { theirs = &Parker::ForThisThread(); }).join();
  BOOST_TEST(mine != theirs);

  // The thread's own parker works like any other.
  Unparker unparker = mine->unparker();
  unparker.Unpark();
  mine->Park();
}

}  // namespace
}  // namespace chan
