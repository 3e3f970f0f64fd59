#include "lib/park/condvar_waiter.h"

#include <chrono>

namespace chan::internal {

void CondvarWaiter::Park() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return notified_; });
  notified_ = false;
}

bool CondvarWaiter::ParkUntil(absl::Time deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  // absl::Time is wall-clock time, and so is system_clock.
  const bool notified = cv_.wait_until(lock, absl::ToChronoTime(deadline),
                                       [this] { return notified_; });
  notified_ = false;
  return notified;
}

void CondvarWaiter::Unpark() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    notified_ = true;
  }
  // Notify after unlocking, so the woken thread does not block on mu_ at once.
  cv_.notify_one();
}

}  // namespace chan::internal
