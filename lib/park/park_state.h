// The shared state behind chan::Parker and chan::Unparker.
#ifndef CHAN_LIB_PARK_PARK_STATE_H_
#define CHAN_LIB_PARK_PARK_STATE_H_

#include <atomic>
#include <cstdint>

#if defined(__linux__)
#include "lib/park/futex_waiter.h"
#else
#include "lib/park/condvar_waiter.h"
#endif

namespace chan::internal {

#if defined(__linux__)
using PlatformWaiter = FutexWaiter;
#else
using PlatformWaiter = CondvarWaiter;
#endif

// A waiter with a reference count. The Parker holds one reference and each
// Unparker another, so an unparker can always finish its Unpark() even after
// the parked thread returned, and even after the Parker is gone.
class ParkState {
 public:
  ParkState() = default;
  ParkState(const ParkState&) = delete;
  ParkState& operator=(const ParkState&) = delete;

  // Relaxed: a new reference is made from an existing one, which already
  // keeps the state alive; nothing else is published by counting.
  void Ref() { refs_.fetch_add(1, std::memory_order_relaxed); }

  // acq_rel: the release orders this holder's last use of the waiter before
  // the decrement; the acquire, on the last decrement, makes every other
  // holder's uses visible before the delete.
  void Unref() {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  PlatformWaiter& waiter() { return waiter_; }

 private:
  ~ParkState() = default;

  std::atomic<uint32_t> refs_{1};
  PlatformWaiter waiter_;
};

}  // namespace chan::internal

#endif  // CHAN_LIB_PARK_PARK_STATE_H_
