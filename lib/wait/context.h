// The context: what a blocked thread publishes so that others can wake it.
//
// Every thread has one context, reused by all its blocking calls. A blocking
// call resets it, registers it with the waiter list of every operation it
// waits on, and parks. Whoever completes one of those operations for it (a
// sender that delivered, a receiver that made room, a disconnection, the
// deadline) first *selects* the context — one compare-and-swap that exactly
// one party wins — and then unparks its thread.
#ifndef CHAN_LIB_WAIT_CONTEXT_H_
#define CHAN_LIB_WAIT_CONTEXT_H_

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "absl/time/time.h"
#include "chan/park.h"

namespace chan::internal {

// The values of a context's selection word.
enum : uintptr_t {
  kWaiting = 0,       // Nobody has selected the context yet.
  kAborted = 1,       // The thread itself gave up: deadline, or a re-check
                      // found an operation ready.
  kDisconnected = 2,  // A channel it waits on was disconnected.
  kFirstOperation = 3,
};

// The selection word value that names the operation at `index` of a wait.
constexpr uintptr_t OperationId(size_t index) {
  return kFirstOperation + index;
}
constexpr size_t OperationIndex(uintptr_t id) { return id - kFirstOperation; }

class Context {
 public:
  // The calling thread's context.
  static Context& ForThisThread();

  Context() : unparker_(parker_.unparker()) {}
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // Starts a new wait. Called by the owning thread while the context is in no
  // waiter list, so no other thread reads the word: relaxed suffices, and the
  // waiter list's lock publishes the reset along with the registration.
  void Reset() { selected_.store(kWaiting, std::memory_order_relaxed); }

  // Tries to select the context with `selection`. Exactly one call per wait
  // succeeds. acq_rel: the release publishes what the selector did before
  // (e.g. disconnecting the channel) to the thread that reads the word with
  // acquire; the acquire on success orders the selector's later writes
  // (filling a hand-off packet) after its claim.
  bool TrySelect(uintptr_t selection) {
    uintptr_t expected = kWaiting;
    return selected_.compare_exchange_strong(expected, selection,
                                             std::memory_order_acq_rel,
                                             std::memory_order_acquire);
  }

  // The current selection; acquire pairs with the release in TrySelect().
  uintptr_t selected() const {
    return selected_.load(std::memory_order_acquire);
  }

  // Waits until the context is selected or `deadline` passes, and returns the
  // selection. At the deadline the thread tries to select kAborted itself; if
  // another party won that race, its selection is returned and must be
  // honoured. Spins briefly before parking, so that a partner that is about
  // to arrive does not cost a futex round trip.
  uintptr_t WaitUntil(absl::Time deadline);

  // A new reference to this thread's parking state, for a selector to unpark
  // with after it has released the waiter list (the context itself may be
  // gone by then: the thread may have returned and exited).
  Unparker unparker() const { return unparker_; }

 private:
  // Written by TrySelect() from any thread, reset by the owner only.
  std::atomic<uintptr_t> selected_{kWaiting};
  Parker parker_;
  Unparker unparker_;
};

}  // namespace chan::internal

#endif  // CHAN_LIB_WAIT_CONTEXT_H_
