// Thread parking: the primitive every blocking operation in chan sits on.
//
// A `Parker` belongs to one thread, which blocks in `Park()` until another
// thread calls `Unpark()` on an `Unparker` made from it. The two meet through
// a token, as in Rust's std::thread::park:
//
//   - `Unpark()` makes the token available. If the parker's thread is parked,
//     it wakes; if not, its next `Park()` returns at once.
//   - Several unparks before a park are one token: they make one park return.
//   - `Park()` consumes the token. It never returns without one, however the
//     operating system wakes the thread; `ParkUntil()` also returns, without
//     a token, at its deadline.
//
// Memory ordering: everything a thread did before `Unpark()` happens-before
// everything the parked thread does after the `Park()` that consumed that
// token.
//
// Lifetime: an `Unparker` keeps the parker's state alive. It may outlive the
// `Parker`, be copied to any thread, and unpark a thread that has long since
// returned from its park; the token then waits for a park that may never come.
//
//   chan::Parker parker;
//   std::thread t([u = parker.unparker()] { Publish(); u.Unpark(); });
//   parker.Park();  // returns once Publish() is visible
//   t.join();
#ifndef CHAN_PARK_H_
#define CHAN_PARK_H_

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace chan {
namespace internal {
class ParkState;
}  // namespace internal

class Unparker;

// Blocks the owning thread until it is unparked. Move-only: one thread parks
// on it at a time.
class Parker {
 public:
  Parker();
  ~Parker();
  Parker(Parker&& other) noexcept;
  Parker& operator=(Parker&& other) noexcept;
  Parker(const Parker&) = delete;
  Parker& operator=(const Parker&) = delete;

  // The calling thread's own parker, created on first use and kept until the
  // thread exits. Blocking operations use it so that they allocate nothing.
  static Parker& ForThisThread();

  // Blocks until the token is available, then consumes it.
  void Park();

  // Blocks until the token is available or `deadline` passes. Returns true if
  // it consumed the token, false if the deadline passed first.
  bool ParkUntil(absl::Time deadline);
  bool ParkFor(absl::Duration timeout) {
    return ParkUntil(absl::Now() + timeout);
  }

  // A handle that wakes this parker; any number may exist.
  Unparker unparker() const;

 private:
  internal::ParkState* state_;  // Never null, except after a move.
};

// Wakes the thread of one `Parker`. Copyable, and safe to use from any thread
// for as long as it exists, whatever became of the parker.
class Unparker {
 public:
  Unparker(const Unparker& other) noexcept;
  Unparker& operator=(const Unparker& other) noexcept;
  Unparker(Unparker&& other) noexcept;
  Unparker& operator=(Unparker&& other) noexcept;
  ~Unparker();

  // Makes the token available, waking the parked thread if there is one.
  void Unpark() const;

 private:
  friend class Parker;
  explicit Unparker(internal::ParkState* state) noexcept;

  internal::ParkState* state_;  // Holds a reference; null after a move.
};

}  // namespace chan

#endif  // CHAN_PARK_H_
