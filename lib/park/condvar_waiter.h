// A waiter on std::mutex and std::condition_variable: the portable fallback
// for platforms without a futex. Slower (a lock on every park and unpark) but
// with the same token semantics as FutexWaiter, and tested by the same suite.
#ifndef CHAN_LIB_PARK_CONDVAR_WAITER_H_
#define CHAN_LIB_PARK_CONDVAR_WAITER_H_

#include <condition_variable>
#include <mutex>

#include "absl/time/time.h"

namespace chan::internal {

class CondvarWaiter {
 public:
  void Park();
  bool ParkUntil(absl::Time deadline);
  void Unpark();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool notified_ = false;  // The token. Guarded by mu_.
};

}  // namespace chan::internal

#endif  // CHAN_LIB_PARK_CONDVAR_WAITER_H_
