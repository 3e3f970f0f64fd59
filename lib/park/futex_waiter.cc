#include "lib/park/futex_waiter.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "absl/time/clock.h"

namespace chan::internal {

void FutexWaiter::Park() {
  // Consume a pending token without sleeping. Acquire pairs with the release
  // in Unpark(): what the unparker did before unparking is visible to us.
  if (state_.exchange(kEmpty, std::memory_order_acquire) == kNotified) return;

  // No token: announce that we sleep. Relaxed is enough for the transition
  // itself; the acquire that matters is the one that consumes the token.
  uint32_t expected = kEmpty;
  if (!state_.compare_exchange_strong(expected, kParked,
                                      std::memory_order_relaxed)) {
    // An Unpark() slipped in between: the word is kNotified. Take the token,
    // with acquire for the same reason as above.
    state_.exchange(kEmpty, std::memory_order_acquire);
    return;
  }
  for (;;) {
    FutexWait(absl::InfiniteFuture());
    // Wakeups may be spurious: only a token ends the park.
    expected = kNotified;
    if (state_.compare_exchange_strong(expected, kEmpty,
                                       std::memory_order_acquire)) {
      return;
    }
  }
}

bool FutexWaiter::ParkUntil(absl::Time deadline) {
  if (state_.exchange(kEmpty, std::memory_order_acquire) == kNotified) {
    return true;
  }
  uint32_t expected = kEmpty;
  if (!state_.compare_exchange_strong(expected, kParked,
                                      std::memory_order_relaxed)) {
    state_.exchange(kEmpty, std::memory_order_acquire);
    return true;
  }
  while (absl::Now() < deadline) {
    FutexWait(deadline);
    expected = kNotified;
    if (state_.compare_exchange_strong(expected, kEmpty,
                                       std::memory_order_acquire)) {
      return true;
    }
  }
  // The deadline passed. Leave kParked; if an Unpark() won the race and the
  // word already says kNotified, the token is ours after all.
  return state_.exchange(kEmpty, std::memory_order_acquire) == kNotified;
}

void FutexWaiter::Unpark() {
  // Release pairs with the acquire that consumes the token in Park().
  if (state_.exchange(kNotified, std::memory_order_release) == kParked) {
    FutexWake();
  }
}

void FutexWaiter::FutexWait(absl::Time deadline) {
  // The futex syscall takes a 32-bit int; std::atomic<uint32_t> is laid out
  // as one on every platform Linux supports.
  static_assert(sizeof(state_) == sizeof(int));
  auto* word = reinterpret_cast<int*>(&state_);
  long rc;
  if (deadline == absl::InfiniteFuture()) {
    rc = syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, kParked, nullptr, nullptr,
                 0);
  } else {
    // An absolute deadline on the wall clock, which is the clock absl::Time
    // reads: FUTEX_WAIT_BITSET takes an absolute time, FUTEX_WAIT would take
    // a relative one that we would have to recompute after every wakeup.
    timespec abs = absl::ToTimespec(deadline);
    rc = syscall(SYS_futex, word,
                 FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, kParked,
                 &abs, nullptr, FUTEX_BITSET_MATCH_ANY);
  }
  if (rc != 0 && errno != EAGAIN && errno != EINTR && errno != ETIMEDOUT) {
    std::fprintf(stderr, "chan: futex wait failed: errno %d\n", errno);
    std::abort();
  }
}

void FutexWaiter::FutexWake() {
  auto* word = reinterpret_cast<int*>(&state_);
  syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

}  // namespace chan::internal
