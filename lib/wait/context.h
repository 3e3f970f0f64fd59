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
#include <optional>

#include "absl/time/time.h"
#include "chan/park.h"

namespace chan::internal {

// The values of a context's selection word.
enum : uintptr_t {
  // Not selected yet. The thread is awake (spinning): whoever selects it
  // need not wake it, since it reads the word before it parks.
  kWaiting = 0,
  // Not selected yet, and the thread parks (or is about to): whoever
  // selects it must unpark it.
  kSleeping = 1,
  kAborted = 2,       // The thread itself gave up: deadline, or a re-check
                      // found an operation ready.
  kDisconnected = 3,  // A channel it waits on was disconnected.
  kFirstOperation = 4,
};

// Whether a selection word value still means "nobody selected it".
constexpr bool IsUnselected(uintptr_t selection) {
  return selection == kWaiting || selection == kSleeping;
}

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

  // Tries to select the context with `selection`, for another thread.
  // Exactly one selection (or the owner's Abort()) succeeds per wait. On
  // success, `wake` holds a reference to unpark the thread with if it
  // sleeps, and stays empty if it is awake: then it sees the selection
  // without being woken, and the selector touches nothing else of its.
  //
  // The caller must hold something the owner needs before it can return
  // unselected (the lock of the list its entry was linked into, or the
  // stop callback it destroys), so the context outlives this call.
  //
  // acq_rel: the release publishes what the selector did before (e.g.
  // disconnecting the channel) to the thread that reads the word with
  // acquire; the acquire on success orders the selector's later writes
  // (filling a hand-off packet) after its claim.
  bool TrySelect(uintptr_t selection, std::optional<Unparker>& wake) {
    uintptr_t expected = kWaiting;
    if (selected_.compare_exchange_strong(expected, selection,
                                          std::memory_order_acq_rel,
                                          std::memory_order_acquire)) {
      return true;  // Awake: the owner's own move to kSleeping now fails.
    }
    if (expected != kSleeping) return false;
    // Asleep. The reference comes first: once selected, the thread may
    // wake (a leftover token), return and exit before we unpark it.
    wake.emplace(unparker_);
    if (selected_.compare_exchange_strong(expected, selection,
                                          std::memory_order_acq_rel,
                                          std::memory_order_acquire)) {
      return true;
    }
    wake.reset();
    return false;
  }

  // TrySelect() for a caller that wakes the thread at once, still holding
  // what keeps the context alive (the list's lock, the stop callback).
  bool TrySelectAndWake(uintptr_t selection) {
    std::optional<Unparker> wake;
    if (!TrySelect(selection, wake)) return false;
    if (wake) wake->Unpark();
    return true;
  }

  // The owner gives up its wait (deadline, or an operation found ready),
  // unless someone selected it first. Returns whether it did.
  bool Abort() {
    uintptr_t expected = selected_.load(std::memory_order_acquire);
    while (IsUnselected(expected)) {
      if (selected_.compare_exchange_weak(expected, kAborted,
                                          std::memory_order_acq_rel,
                                          std::memory_order_acquire)) {
        return true;
      }
    }
    return false;
  }

  // The current selection word; acquire pairs with the release in
  // TrySelect().
  uintptr_t selected() const {
    return selected_.load(std::memory_order_acquire);
  }

  // Waits until the context is selected or `deadline` passes, and returns the
  // selection. At the deadline the thread tries to select kAborted itself; if
  // another party won that race, its selection is returned and must be
  // honoured. Spins briefly before parking, so that a partner that is about
  // to arrive does not cost a futex round trip.
  uintptr_t WaitUntil(absl::Time deadline);

  // For a word that, like the selection word, another thread wakes this
  // thread through (see AwaitWord()).
  Parker& parker() { return parker_; }
  // A reference for waking this context's thread; take it before the thread
  // can return, as TrySelect() does.
  const Unparker& unparker() const { return unparker_; }

 private:
  // Moved off kWaiting by TrySelect() from any thread, or by the owner
  // (to kSleeping, kAborted); reset by the owner only.
  std::atomic<uintptr_t> selected_{kWaiting};
  Parker parker_;
  Unparker unparker_;
};

// The waiting half of the sleep handshake that a context's selection word
// follows, for any word that follows it: `awake` (kWaiting for a selection
// word) while its owner waits awake, `asleep` (kSleeping) once the owner
// parks, anything else once another thread ended the wait (and unparked the
// owner if it found `asleep`). Only the owner moves the word to `asleep`,
// and within one wait nobody moves it back to `awake`.
// Spins briefly while the word is `awake`, moves it to `asleep` and parks
// on `parker` until it changes or `deadline` passes. Returns the value that
// ended the wait, or at the deadline `awake` (it passed during the spin)
// or `asleep`: withdrawing is then the caller's move, by a
// compare-and-swap that a waker may win.
uintptr_t AwaitWord(std::atomic<uintptr_t>& word, Parker& parker,
                    absl::Time deadline, uintptr_t awake = kWaiting,
                    uintptr_t asleep = kSleeping);

}  // namespace chan::internal

#endif  // CHAN_LIB_WAIT_CONTEXT_H_
