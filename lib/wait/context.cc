#include "lib/wait/context.h"

#include "absl/time/clock.h"
#include "lib/wait/backoff.h"

namespace chan::internal {

Context& Context::ForThisThread() {
  thread_local Context context;
  return context;
}

uintptr_t Context::WaitUntil(absl::Time deadline) {
  // Spin, then yield, for about as long as parking would cost (see
  // Backoff::kWaitSteps): a partner that is running selects us well within
  // that, and then no syscall is made on either side.
  Backoff backoff(Backoff::kWaitSteps);
  while (!backoff.IsCompleted()) {
    const uintptr_t s = selected();
    if (s != kWaiting) return s;
    backoff.Poll();
  }

  // Announce the sleep. A selector that got in first still found kWaiting
  // and will not wake us; then this fails and we return its selection.
  // From here on a selector finds kSleeping and unparks us.
  uintptr_t expected = kWaiting;
  if (!selected_.compare_exchange_strong(expected, kSleeping,
                                         std::memory_order_acq_rel,
                                         std::memory_order_acquire)) {
    return expected;
  }

  // Park. A token may be left over from an earlier wait whose selector
  // unparked us late, so a return from Park() proves nothing: only the
  // selection word counts.
  Parker& parker = parker_;
  for (;;) {
    const uintptr_t s = selected();
    if (s != kSleeping) return s;
    if (deadline == absl::InfiniteFuture()) {
      parker.Park();
    } else if (!parker.ParkUntil(deadline) && absl::Now() >= deadline) {
      // Timed out. Abort, unless someone selected us in the meantime.
      if (Abort()) return kAborted;
      return selected();
    }
  }
}

}  // namespace chan::internal
