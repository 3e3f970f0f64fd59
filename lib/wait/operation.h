// Operations: the unit the blocking loop waits on. A send or a receive on
// one channel, a timer, a stop request: anything that can become ready,
// register a context to be woken, and be completed.
#ifndef CHAN_LIB_WAIT_OPERATION_H_
#define CHAN_LIB_WAIT_OPERATION_H_

#include <atomic>
#include <cstdint>
#include <optional>

#include "absl/time/time.h"
#include "chan/park.h"
#include "lib/wait/context.h"
#include "lib/wait/wait_list.h"

namespace chan::internal {

// A rendezvous hand-off. A thread that blocks on a rendezvous channel points
// `value` at its value (a send) or at the storage the value should land in
// (a receive). The partner that selects it moves the value across and then
// sets `state`; the blocked thread waits for that store before it returns,
// so the packet, on its stack, outlives every access.
struct Packet {
  enum State : uint32_t {
    kPending = 0,   // Not yet completed.
    kDone = 1,      // The value moved across.
    kDeclined = 2,  // The partner gave up (a move threw, or it abandoned the
                    // operation); the blocked thread waits again.
  };

  Packet() = default;
  // Copies are for building lists of operations, never during a wait.
  Packet(const Packet& other)
      : value(other.value),
        state(other.state.load(std::memory_order_relaxed)),
        registered(other.registered) {}
  Packet& operator=(const Packet&) = delete;

  void* value = nullptr;
  // Written once by the partner with release, read by the owner with
  // acquire: the value moved before the store is visible after the load.
  std::atomic<uint32_t> state{kPending};
  bool registered = false;  // Owner-only: a flavor registered this packet.
};

enum class OpKind : uint8_t { kSend, kRecv };

// What TryReserve() found, for the caller to complete with.
struct Token {
  void* slot = nullptr;       // The reserved slot, or the partner's packet.
  uint64_t stamp = 0;         // A flavor's bookkeeping for the slot.
  bool disconnected = false;  // Ready because the channel is disconnected.
  bool via_packet = false;    // A partner completed it through our packet.
};

class Selectable;

// One operation in one wait: what to do, on what, and its scratch space.
struct Operation {
  Operation() = default;
  Operation(Selectable* target, OpKind kind) : target(target), kind(kind) {}
  // Copies are for building lists of operations, never during a wait: the
  // copy's waiter entry starts afresh.
  Operation(const Operation& other)
      : target(other.target),
        kind(other.kind),
        accepts_handoff(other.accepts_handoff),
        held(other.held),
        observe(other.observe),
        packet(other.packet),
        token(other.token),
        partner(other.partner) {}
  Operation& operator=(const Operation&) = delete;

  Selectable* target = nullptr;  // Null: a disabled case, never ready.
  OpKind kind = OpKind::kRecv;
  // False when a partner must not complete this operation on our behalf
  // through our packet, because its owner may still decide not to (the
  // dynamic select): it then waits as an observer, is woken when a partner
  // arrives, and pairs by TryReserve() itself.
  bool accepts_handoff = true;
  // True when the caller may hold a reservation for as long as it likes
  // before completing or abandoning it (the dynamic select), rather than
  // completing it at once. The rendezvous flavor then lets the partner
  // that waits for it sleep meanwhile, at a cost the others need not pay.
  bool held = false;
  // Set by the loop for each wait: register to be told when the operation
  // becomes ready, but never be paired with or handed a value. True for
  // readiness-only waits and for operations that do not accept hand-offs.
  bool observe = false;
  Packet packet;
  // Where the operation waits while registered (see WaitEntry).
  WaitEntry entry;
  Token token;
  // Rendezvous: the sleeping partner TryReserve() selected, to wake once
  // the value has moved (empty if the partner is awake). Set and cleared by
  // the rendezvous flavor.
  std::optional<Unparker> partner;
};

// The interface every flavor (and timer) implements for each operation
// kind it supports. All calls come from the thread that owns the operation.
class Selectable {
 public:
  // Tries to make `op` ready to complete without blocking. On success the
  // operation may hold a reservation (a claimed slot, a selected partner) in
  // op.token, which the caller must complete or abandon; disconnection also
  // counts as success, with op.token.disconnected set.
  virtual bool TryReserve(Operation& op) = 0;

  // Whether TryReserve() would succeed now; reserves nothing. Used for
  // readiness-only waits.
  virtual bool IsReady(Operation& op) = 0;

  // Adds `context` to the waiter list that `op` waits in, to be selected
  // with `id`, then re-checks: returns whether `op` is ready already. The
  // re-check comes after the registration is visible, so that whoever makes
  // `op` ready later finds the registration (see SyncWaitList).
  virtual bool Register(Operation& op, Context& context, uintptr_t id) = 0;

  // Removes the registration, if it is still there.
  virtual void Unregister(Operation& op, Context& context, uintptr_t id) = 0;

  // False for operations that can never become ready (chan::Never): a wait
  // on nothing else would block forever, which is reported as misuse.
  virtual bool CanBecomeReady() const { return true; }

  // Whether a partner that selects the context with this operation's id
  // also removes the registration (waiter lists do), so that the loop need
  // not call Unregister() for it: one lock round trip less per hand-off.
  virtual bool SelectionUnregisters() const { return false; }

  // The time at which `op` becomes ready by itself (timers).
  virtual absl::Time Deadline(Operation& /*op*/) {
    return absl::InfiniteFuture();
  }

  // Releases a reservation that will not be completed, so that nothing is
  // lost and no partner hangs.
  virtual void Abandon(Operation& op) = 0;

  // Whether `op` becomes ready only through a partner that finds it
  // registered (a rendezvous): then spinning before registering is wasted,
  // since the partner cannot pair with a thread it cannot see.
  virtual bool PairsWithWaiters() const { return false; }

 protected:
  ~Selectable() = default;
};

}  // namespace chan::internal

#endif  // CHAN_LIB_WAIT_OPERATION_H_
