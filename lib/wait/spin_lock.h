// A test-and-test-and-set spin lock for the waiter lists' short critical
// sections: a few pointer moves, never user code. The only syscall under
// it is the futex wake of a sleeping thread that disconnection or an
// observer notification wakes at once, where the thread's context must
// stay alive until it is woken.
#ifndef CHAN_LIB_WAIT_SPIN_LOCK_H_
#define CHAN_LIB_WAIT_SPIN_LOCK_H_

#include <atomic>

#include "lib/wait/backoff.h"

namespace chan::internal {

class SpinLock {
 public:
  void Lock() {
    Backoff backoff;
    // Acquire pairs with the release in Unlock(): the previous holder's
    // writes are visible inside the critical section.
    while (locked_.exchange(true, std::memory_order_acquire)) {
      // Wait on a plain load so that waiting does not bounce the cache line.
      while (locked_.load(std::memory_order_relaxed)) backoff.Snooze();
    }
  }

  void Unlock() { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
};

// Holds a SpinLock for the scope.
class SpinLockGuard {
 public:
  explicit SpinLockGuard(SpinLock& lock) : lock_(lock) { lock_.Lock(); }
  ~SpinLockGuard() { lock_.Unlock(); }
  SpinLockGuard(const SpinLockGuard&) = delete;
  SpinLockGuard& operator=(const SpinLockGuard&) = delete;

 private:
  SpinLock& lock_;
};

}  // namespace chan::internal

#endif  // CHAN_LIB_WAIT_SPIN_LOCK_H_
