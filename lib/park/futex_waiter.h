// A waiter on the Linux futex syscall: one 32-bit word, no lock, and a
// syscall only when a thread actually sleeps or must be woken.
#ifndef CHAN_LIB_PARK_FUTEX_WAITER_H_
#define CHAN_LIB_PARK_FUTEX_WAITER_H_

#include <atomic>
#include <cstdint>

#include "absl/time/time.h"

namespace chan::internal {

// Token semantics as documented for chan::Parker in chan/park.h.
class FutexWaiter {
 public:
  void Park();
  bool ParkUntil(absl::Time deadline);
  void Unpark();

 private:
  // The three states of the word and what moves it between them:
  //
  //   kEmpty    -> kNotified  Unpark() before any park.
  //   kEmpty    -> kParked    Park() found no token and is about to sleep.
  //   kParked   -> kNotified  Unpark(); it also wakes the sleeper (FUTEX_WAKE),
  //                           the only case that needs the syscall.
  //   kNotified -> kEmpty     Park() consumed the token.
  //   kParked   -> kEmpty     ParkUntil() gave up at its deadline.
  //
  // Only the owning thread leaves kNotified or kParked for kEmpty; any thread
  // may store kNotified.
  static constexpr uint32_t kEmpty = 0;
  static constexpr uint32_t kParked = 1;
  static constexpr uint32_t kNotified = 2;

  // Waits while the word holds kParked, until `deadline` if it is finite.
  // Returns on a wake, a spurious wakeup, a signal or the deadline alike: the
  // caller re-reads the word to learn which.
  void FutexWait(absl::Time deadline);
  void FutexWake();

  std::atomic<uint32_t> state_{kEmpty};
};

}  // namespace chan::internal

#endif  // CHAN_LIB_PARK_FUTEX_WAITER_H_
