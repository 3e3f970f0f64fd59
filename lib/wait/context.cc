#include "lib/wait/context.h"

#include "absl/time/clock.h"
#include "lib/wait/backoff.h"

namespace chan::internal {

Context& Context::ForThisThread() {
  thread_local Context context;
  return context;
}

uintptr_t AwaitWord(std::atomic<uintptr_t>& word, Parker& parker,
                    absl::Time deadline, uintptr_t awake, uintptr_t asleep) {
  // Spin, then yield, for about as long as parking would cost (see
  // Backoff::kWaitSteps): a partner that is running ends the wait well
  // within that, and then no syscall is made on either side. Acquire, here
  // and below: pairs with the waker's release, so that what it did before
  // (filled a packet, disconnected a channel) is visible to the owner.
  //
  // A timed wait looks at the clock between steps (~25 ns a look), since
  // the spin alone would overrun a timeout shorter than it.
  const bool timed = deadline != absl::InfiniteFuture();
  Backoff backoff(Backoff::kWaitSteps);
  uintptr_t expected = word.load(std::memory_order_acquire);
  while (expected == awake && !backoff.IsCompleted()) {
    if (timed && absl::Now() >= deadline) return expected;
    backoff.Poll();
    expected = word.load(std::memory_order_acquire);
  }

  // Announce the sleep. A waker that got in first still found `awake` and
  // will not wake us; then this fails and we return what it stored. From
  // here on a waker finds `asleep` and unparks us.
  if (expected == awake &&
      !word.compare_exchange_strong(expected, asleep, std::memory_order_acq_rel,
                                    std::memory_order_acquire)) {
    return expected;
  }

  // Park. A token may be left over from an earlier wait whose waker
  // unparked us late, so a return from Park() proves nothing: only the word
  // counts.
  //
  // TODO: a timed park wakes up to the thread's timer slack (50 us by
  // default on Linux) plus a wake-up after its deadline: RecvFor(50us) on
  // an empty channel returns after ~140 us. Parking until the deadline less
  // the slack and yielding the rest would cut that to a few microseconds,
  // at the cost of up to 50 us of yielding per wait that times out.
  for (;;) {
    const uintptr_t s = word.load(std::memory_order_acquire);
    if (s != asleep) return s;
    if (deadline == absl::InfiniteFuture()) {
      parker.Park();
    } else if (!parker.ParkUntil(deadline) && absl::Now() >= deadline) {
      return word.load(std::memory_order_acquire);
    }
  }
}

uintptr_t Context::WaitUntil(absl::Time deadline) {
  const uintptr_t s = AwaitWord(selected_, parker_, deadline);
  if (!IsUnselected(s)) return s;
  // Timed out. Abort, unless someone selected us in the meantime.
  if (Abort()) return kAborted;
  return selected();
}

}  // namespace chan::internal
