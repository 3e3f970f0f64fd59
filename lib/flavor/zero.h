// The rendezvous flavor (capacity 0): a send completes only when a receiver
// takes its value, and the value moves once, straight from the sender to the
// receiver through the packet of whichever side waited.
//
// One lock guards both waiter lists and the disconnected flag. A side that
// finds a partner waiting selects the partner's context under the lock, and
// moves the value after releasing it, so no user code ever runs under it.
//
// A blocking receive (not a select) waits in the channel's lane instead of
// the receivers' list: one word in the channel object, beside the lock. The
// receiver arms the lane under the lock; a sender claims it by one
// compare-and-swap, without the lock, leaves its value and marks the lane
// full. A small trivially copyable value is left in the lane itself, beside
// the word; any other value moves once, straight into the receiver's
// storage, at the cost of the receiver's cache line as well. The word
// follows the context's sleep handshake (kWaiting, kSleeping; see
// AwaitWord()), so the receiver spins, parks and is woken exactly as a
// select is, but a hand-off touches the lane where the lists touch three
// lines (the lock, the waiter's entry, its context). Only the one receiver
// ever waits there, which is why it needs no list. A claimer that cannot
// complete (its move threw, or its select dropped the operation) does not
// hand the lane back: it ends the wait with kLaneDeclined, and the receiver
// starts over under the lock, where it sees whatever changed meanwhile.
#ifndef CHAN_LIB_FLAVOR_ZERO_H_
#define CHAN_LIB_FLAVOR_ZERO_H_

#include <atomic>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

#include "absl/time/time.h"
#include "lib/flavor/flavor.h"
#include "lib/wait/backoff.h"
#include "lib/wait/context.h"
#include "lib/wait/spin_lock.h"
#include "lib/wait/wait_list.h"

namespace chan::internal {

// The values of the lane word besides kWaiting (a receiver waits in the
// lane, awake) and kSleeping (it waits parked).
enum : uintptr_t {
  kLaneIdle = kFirstOperation,  // No receiver waits in the lane.
  kLaneFilling,                 // A sender (or Disconnect()) claimed the lane.
  kLaneFull,      // The value is in the lane, for the receiver to take.
  kLaneDeclined,  // The claiming sender gave up: the receiver starts over.
  kLaneClosed,    // The channel disconnected while the receiver waited.
};

template <class T>
class Zero final : public Flavor<T> {
 public:
  bool TryReserve(Operation& op) override {
    // A receiver waiting in the lane is claimed without the lock.
    if (op.kind == OpKind::kSend && ClaimLaneFor(op)) return true;
    SpinLockGuard guard(lock_);
    return ReserveLocked(op);
  }

  // A blocking receive through the lane; kWouldBlock: the deadline passed.
  std::optional<Attempt> RecvWaiting(absl::Time deadline,
                                     std::optional<T>& out) override {
    Context& self = Context::ForThisThread();
    for (;;) {
      // Read before the lock, and only for a finite deadline; checked only
      // if nothing is ready, so that what is ready at the deadline is taken.
      const bool expired =
          deadline != absl::InfiniteFuture() && absl::Now() >= deadline;
      Operation op(this, OpKind::kRecv);
      {
        SpinLockGuard guard(lock_);
        if (!ReserveLocked(op)) {
          if (expired) return Attempt::kWouldBlock;
          // Nobody to pair with: wait in the lane. Armed under the lock,
          // so that a sender registering after this sees it (ReadyLocked);
          // one registered before was paired with above, unless it was
          // already selected elsewhere or aborting (it then retries and
          // finds the lane) or only observes (woken just below). Release:
          // publishes lane_waiter_ and lane_slot_ to the sender whose claim
          // acquires.
          lane_waiter_ = &self;
          if constexpr (!kValueInLane) lane_slot_ = &out;
          lane_.store(kWaiting, std::memory_order_release);
          senders_.NotifyObservers();
        }
      }
      if (op.token.disconnected) return Attempt::kDisconnected;
      if (op.token.slot != nullptr) {
        Read(op, out);
        return Attempt::kDone;
      }
      // Relaxed stores of kLaneIdle below: the word publishes nothing to
      // anyone then, and no sender can claim the lane before it is armed
      // again, under the lock.
      switch (AwaitLane(self, deadline)) {
        case kLaneFull:
          // AwaitLane's acquire saw the sender's release: the value is in
          // `out`, or in the lane, to be moved out (which cannot throw).
          if constexpr (kValueInLane) out.emplace(std::move(*LaneValue()));
          lane_.store(kLaneIdle, std::memory_order_relaxed);
          return Attempt::kDone;
        case kLaneDeclined:
        case kLaneClosed:
          // Start over under the lock: a sender may have registered while
          // the lane was claimed, or the channel disconnected.
          lane_.store(kLaneIdle, std::memory_order_relaxed);
          continue;
        default:
          return Attempt::kWouldBlock;  // Withdrawn at the deadline.
      }
    }
  }

  bool IsReady(Operation& op) override {
    SpinLockGuard guard(lock_);
    return ReadyLocked(op, Context::ForThisThread());
  }

  // Registers and re-checks under the one lock, which is all the protocol
  // needs here: a partner that arrives later sees the registration.
  bool Register(Operation& op, Context& context, uintptr_t id) override {
    SpinLockGuard guard(lock_);
    if (op.observe) {
      op.entry.Prepare(&context, id, nullptr, /*observer=*/true);
      Own(op).Register(op.entry);
    } else {
      op.entry.Prepare(&context, id, &op.packet, /*observer=*/false);
      Own(op).Register(op.entry);
      op.packet.registered = true;
      // A partner became available to those watching the other side.
      Partners(op).NotifyObservers();
    }
    return ReadyLocked(op, context);
  }

  bool SelectionUnregisters() const override { return true; }

  void Unregister(Operation& op, Context& /*context*/,
                  uintptr_t /*id*/) override {
    SpinLockGuard guard(lock_);
    Own(op).Unregister(op.entry);
  }

  void Abandon(Operation& op) override {
    if (op.token.slot == &lane_) {
      DeclineLane(op);
    } else if (op.token.slot != nullptr) {
      Finish(op, Packet::kDeclined);
    }
  }

  // Moves our value into the waiting receiver's storage, or into the lane.
  void Write(Operation& op, T& value) override {
    if (op.token.slot == &lane_) {
      FillLane(op, value);
      return;
    }
    Packet* packet = static_cast<Packet*>(op.token.slot);
    auto* out = static_cast<std::optional<T>*>(packet->value);
    try {
      out->emplace(std::move(value));
    } catch (...) {
      Finish(op, Packet::kDeclined);  // The receiver waits again.
      throw;
    }
    Finish(op, Packet::kDone);
  }

  // Moves the waiting sender's value into `out`.
  void Read(Operation& op, std::optional<T>& out) override {
    Packet* packet = static_cast<Packet*>(op.token.slot);
    T* value = static_cast<T*>(packet->value);
    try {
      out.emplace(std::move(*value));
    } catch (...) {
      Finish(op, Packet::kDeclined);  // The sender waits again.
      throw;
    }
    Finish(op, Packet::kDone);
  }

  bool PairsWithWaiters() const override { return true; }

  void DisconnectSenders() override { Disconnect(); }
  void CloseReceiver() override { Disconnect(); }
  void DiscardAll() override {}  // Nothing is ever queued.

  size_t Len() const override { return 0; }
  std::optional<size_t> Capacity() const override { return 0; }
  bool IsDisconnected() const override {
    return disconnected_.load(std::memory_order_acquire);
  }

 private:
  // Whether values travel in the lane itself (see the top of this file).
  static constexpr bool kValueInLane =
      std::is_trivially_copyable_v<T> &&
      std::is_nothrow_move_constructible_v<T> && sizeof(T) <= 16;

  // TryReserve() under lock_.
  bool ReserveLocked(Operation& op) {
    if (disconnected_.load(std::memory_order_relaxed)) {
      op.token.disconnected = true;
      return true;
    }
    // The lane may have been armed since the lock-free look.
    if (op.kind == OpKind::kSend && ClaimLaneFor(op)) return true;
    // Pair with a partner waiting on the other side, if any.
    std::optional<Selection> partner = Partners(op).TrySelect();
    if (!partner) return false;
    op.token.slot = partner->packet;
    op.partner = std::move(partner->wake);
    return true;
  }

  // Whether `op`, of the thread owning `self`, can complete now. Needs lock_.
  // The lane's receiver is never `self`: it is blocked in RecvWaiting().
  bool ReadyLocked(const Operation& op, const Context& self) {
    return disconnected_.load(std::memory_order_relaxed) ||
           (op.kind == OpKind::kSend &&
            IsUnselected(lane_.load(std::memory_order_relaxed))) ||
           Partners(op).HasWaiterBesides(self);
  }

  // Claims the lane, if a receiver waits in it: the lane is the claimer's
  // until it ends the wait (EndLaneWait()). Returns the state it was
  // claimed from, which says whether the receiver sleeps.
  std::optional<uintptr_t> ClaimLane() {
    // Acquire on success: pairs with the arming release (continued by the
    // receiver's move to kSleeping), so lane_waiter_ and lane_slot_ are
    // the receiver's.
    uintptr_t state = lane_.load(std::memory_order_relaxed);
    while (IsUnselected(state)) {
      if (lane_.compare_exchange_weak(state, kLaneFilling,
                                      std::memory_order_acquire,
                                      std::memory_order_relaxed)) {
        return state;
      }
    }
    return std::nullopt;
  }

  // ClaimLane() for a send, which then completes or abandons `op`.
  bool ClaimLaneFor(Operation& op) {
    const std::optional<uintptr_t> claimed_from = ClaimLane();
    if (!claimed_from) return false;
    op.token.slot = &lane_;
    op.token.stamp = *claimed_from;
    return true;
  }

  // Ends the receiver's wait in a lane we claimed from `claimed_from`, with
  // kLaneFull, kLaneDeclined or kLaneClosed. The receiver cannot return
  // while the lane is claimed, so its context is alive until the store;
  // if it sleeps, the reference to wake it is taken before the store, after
  // which it may return and its thread exit. Release: pairs with the
  // receiver's acquire, so that the value (or whatever a failed move left
  // in its storage) is written before it looks.
  void EndLaneWait(uintptr_t claimed_from, uintptr_t end) {
    std::optional<Unparker> wake;
    if (claimed_from == kSleeping) wake.emplace(lane_waiter_->unparker());
    lane_.store(end, std::memory_order_release);
    if (wake) wake->Unpark();
  }

  // Completes a claimed lane: the value moves into the lane or into the
  // receiver's storage, then the receiver is told. If the move throws, the
  // lane is declined and the exception propagates; the value stays ours.
  void FillLane(Operation& op, T& value) {
    if constexpr (kValueInLane) {
      ::new (static_cast<void*>(lane_slot_.bytes)) T(std::move(value));
    } else {
      try {
        lane_slot_->emplace(std::move(value));
      } catch (...) {
        DeclineLane(op);
        throw;
      }
    }
    EndLaneWait(op.token.stamp, kLaneFull);
  }

  // Gives up a claimed lane: the receiver starts over (see the top).
  void DeclineLane(Operation& op) {
    EndLaneWait(op.token.stamp, kLaneDeclined);
    op.token.slot = nullptr;
  }

  // Waits, in the lane, until a claimer ends the wait or the deadline
  // passes; returns the claimer's kLaneFull, kLaneDeclined or kLaneClosed,
  // or kLaneIdle once withdrawn at the deadline.
  uintptr_t AwaitLane(Context& self, absl::Time deadline) {
    // Only a claimer moves the word off kWaiting and kSleeping (besides
    // our own move to kSleeping), so AwaitWord() returns either at the
    // deadline or with the lane claimed or done.
    uintptr_t state = AwaitWord(lane_, self.parker(), deadline);
    // At the deadline, withdraw, unless a claimer gets in first. Acquire
    // (needed on failure only; GCC rejects a failure order stronger than
    // the success order): the state found may be the claimer's last store.
    if (IsUnselected(state) && lane_.compare_exchange_strong(
                                   state, kLaneIdle, std::memory_order_acquire,
                                   std::memory_order_acquire)) {
      return kLaneIdle;
    }
    // Claimed: the claimer may write into our storage until it ends the
    // wait, so we wait for that past the deadline, as for a packet. A
    // sender's claim ends within its move; a dynamic select's lasts until
    // its chosen operation is completed or dropped.
    Backoff backoff;
    while (state == kLaneFilling) {
      backoff.Poll();
      state = lane_.load(std::memory_order_acquire);
    }
    return state;
  }

  T* LaneValue() {
    return std::launder(reinterpret_cast<T*>(lane_slot_.bytes));
  }

  // The list an operation waits in, and the list its partners wait in.
  WaitList& Own(const Operation& op) {
    return op.kind == OpKind::kSend ? senders_ : receivers_;
  }
  WaitList& Partners(const Operation& op) {
    return op.kind == OpKind::kSend ? receivers_ : senders_;
  }

  // Completes the hand-off: the state store (release, so the value moved
  // before it is visible to the partner's acquire) is our last access to
  // the partner's packet; then the partner may return. Waking it, if it
  // sleeps, needs only the unparker we hold a reference to, which is then
  // dropped; a partner that is awake sees the store by itself.
  static void Finish(Operation& op, Packet::State state) {
    static_cast<Packet*>(op.token.slot)
        ->state.store(state, std::memory_order_release);
    if (op.partner) {
      op.partner->Unpark();
      op.partner.reset();
    }
  }

  void Disconnect() {
    SpinLockGuard guard(lock_);
    if (disconnected_.load(std::memory_order_relaxed)) return;
    // Release: pairs with IsDisconnected()'s acquire.
    disconnected_.store(true, std::memory_order_release);
    senders_.DisconnectAll();
    receivers_.DisconnectAll();
    CloseLane();
  }

  // Ends a wait in the lane with kLaneClosed, claiming the lane first as a
  // sender would, so that the receiver cannot leave while we read its
  // context. Needs lock_ (with disconnected_ set), under which the lane is
  // armed. A lane claimed by someone else is left to them: their end of the
  // wait sends the receiver back under the lock, where it sees
  // disconnected_.
  void CloseLane() {
    if (const std::optional<uintptr_t> claimed_from = ClaimLane()) {
      EndLaneWait(*claimed_from, kLaneClosed);
    }
  }

  // The lane's own storage for a value, if kValueInLane.
  struct LaneStorage {
    alignas(T) unsigned char bytes[sizeof(T)];
  };

  // The one-byte members first, where they fill the base's tail padding,
  // so that an idle channel is as small as the layout allows; then the
  // lane, so that for values of up to 8 bytes the lock, the lane word, the
  // waiter and the value take 30 bytes and share a cache line in three of
  // the four ways a 16-byte aligned allocation can fall.
  SpinLock lock_;
  // Written under lock_; atomic so that IsDisconnected() needs no lock.
  std::atomic<bool> disconnected_{false};

  // The lane. Invariant: it leaves kLaneIdle only under lock_, by the
  // receiver (to kWaiting); leaves kWaiting or kSleeping only by the
  // receiver (to kSleeping, or to kLaneIdle at its deadline) or by one
  // claim (to kLaneFilling: a sender's, or Disconnect()'s); leaves
  // kLaneFilling only by its claimer (to kLaneFull, kLaneDeclined or
  // kLaneClosed); and returns to kLaneIdle only by the receiver. So the
  // receiver never sees the lane armed again once it was claimed, and
  // everything that happened meanwhile it sees under the lock.
  // lane_waiter_, and lane_slot_ where it points to the receiver's storage,
  // are written by the receiver before arming and read by the claimer; a
  // value kept in the lane is written by the claimer before kLaneFull and
  // read by the receiver after.
  std::atomic<uintptr_t> lane_{kLaneIdle};
  Context* lane_waiter_ = nullptr;  // Whom to wake.
  // Where the value goes: the lane's own storage, which holds a T while
  // kLaneFull, or the receiver's.
  std::conditional_t<kValueInLane, LaneStorage, std::optional<T>*> lane_slot_{};

  WaitList senders_;    // Guarded by lock_.
  WaitList receivers_;  // Guarded by lock_: selects that receive.
};

}  // namespace chan::internal

#endif  // CHAN_LIB_FLAVOR_ZERO_H_
