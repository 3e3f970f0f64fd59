#include "lib/wait/context.h"

#include "absl/time/clock.h"
#include "lib/wait/backoff.h"

namespace chan::internal {

Context& Context::ForThisThread() {
  thread_local Context context;
  return context;
}

uintptr_t Context::WaitUntil(absl::Time deadline) {
  // Spin, then yield: a partner that is running selects us within a few
  // microseconds, far cheaper than parking and being woken (a futex round
  // trip costs about 13 us on the 2-core machine this was tuned on).
  Backoff backoff;
  while (!backoff.IsCompleted()) {
    const uintptr_t s = selected();
    if (s != kWaiting) return s;
    backoff.Snooze();
  }

  // Park. A token may be left over from an earlier wait whose selector
  // unparked us late, so a return from Park() proves nothing: only the
  // selection word counts.
  Parker& parker = parker_;
  for (;;) {
    const uintptr_t s = selected();
    if (s != kWaiting) return s;
    if (deadline == absl::InfiniteFuture()) {
      parker.Park();
    } else if (!parker.ParkUntil(deadline) && absl::Now() >= deadline) {
      // Timed out. Abort, unless someone selected us in the meantime.
      if (TrySelect(kAborted)) return kAborted;
      return selected();
    }
  }
}

}  // namespace chan::internal
