// The rendezvous flavor (capacity 0): a send completes only when a receiver
// takes its value, and the value moves once, straight from the sender to the
// receiver through the packet of whichever side waited.
//
// One lock guards both waiter lists and the disconnected flag. A side that
// finds a partner waiting selects the partner's context under the lock, and
// moves the value after releasing it, so no user code ever runs under it.
//
// A blocking receive (not a select) waits in the channel's lane instead of
// the receivers' list: one word in the channel object, next to the lock.
// The receiver arms the lane under the lock; a sender claims it by one
// compare-and-swap, without the lock, leaves its value and marks the lane
// full. A small trivially copyable value is left in the lane itself, so
// that the whole hand-off is one cache line each way; any other value
// moves once, straight into the receiver's storage, at the cost of the
// receiver's line as well. The
// word follows the context's sleep handshake (kWaiting, kSleeping; see
// AwaitWord()), so the receiver spins, parks and is woken exactly as a select
// is, but a hand-off touches one cache line where the lists touch three (the
// lock, the waiter's entry, its context). Only the one receiver ever waits
// there, which is why it needs no list.
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
  kLaneFilling,  // A sender claimed the lane and moves its value in.
  kLaneFull,     // The value is in the lane, for the receiver to take.
  kLaneClosed,   // The channel disconnected while the receiver waited.
};

template <class T>
class Zero final : public Flavor<T> {
 public:
  bool TryReserve(Operation& op) override {
    // A receiver waiting in the lane is claimed without the lock.
    if (op.kind == OpKind::kSend && ClaimLane(op)) return true;
    SpinLockGuard guard(lock_);
    return ReserveLocked(op);
  }

  // A blocking receive through the lane; kWouldBlock: the deadline passed.
  std::optional<Attempt> RecvWaiting(absl::Time deadline,
                                     std::optional<T>& out) override {
    Context& self = Context::ForThisThread();
    for (;;) {
      Operation op(this, OpKind::kRecv);
      {
        SpinLockGuard guard(lock_);
        if (!ReserveLocked(op)) {
          // Nobody to pair with: wait in the lane. Armed under the lock,
          // so that a sender registering after this sees it (ReadyLocked)
          // and one registered before was paired with above. Release:
          // publishes lane_waiter_ and lane_out_ to the sender whose claim
          // acquires.
          lane_waiter_ = &self;
          if constexpr (!kValueInLane) lane_out_ = &out;
          lane_.store(kWaiting, std::memory_order_release);
          senders_.NotifyObservers();
        }
      }
      if (op.token.disconnected) return Attempt::kDisconnected;
      if (op.token.slot != nullptr) {
        Read(op, out);
        return Attempt::kDone;
      }
      switch (AwaitLane(self, deadline)) {
        case kLaneFull:
          // Acquire (in AwaitLane) saw the sender's release: the value
          // is in `out`, or in the lane, to be copied out (which cannot
          // throw). Relaxed: kLaneIdle publishes nothing, and no
          // sender can claim the lane before it is armed again.
          if constexpr (kValueInLane) {
            out.emplace(
                std::move(*std::launder(reinterpret_cast<T*>(lane_value_))));
          }
          lane_.store(kLaneIdle, std::memory_order_relaxed);
          return Attempt::kDone;
        case kLaneClosed:
          lane_.store(kLaneIdle, std::memory_order_relaxed);
          continue;  // Reports the disconnection under the lock.
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
      ReleaseLane(op);
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
    if (op.kind == OpKind::kSend && ClaimLane(op)) return true;
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

  // Claims the lane for a send, if a receiver waits in it: the lane is the
  // sender's until it marks it full (or gives it back). op.token.stamp
  // keeps the state it was claimed from, to give back or to know whether
  // the receiver sleeps.
  bool ClaimLane(Operation& op) {
    // Acquire on success: pairs with the arming release, so lane_waiter_
    // and lane_out_ are the receiver's.
    uintptr_t state = lane_.load(std::memory_order_relaxed);
    while (IsUnselected(state)) {
      if (lane_.compare_exchange_weak(state, kLaneFilling,
                                      std::memory_order_acquire,
                                      std::memory_order_relaxed)) {
        op.token.slot = &lane_;
        op.token.stamp = state;
        return true;
      }
    }
    return false;
  }

  // Completes a claimed lane: the value moves into the receiver's storage,
  // then the release store hands it over. A sleeping receiver is woken
  // through a reference taken before the store, after which it may return.
  // If the move throws, the lane goes back to the receiver, which waits on.
  void FillLane(Operation& op, T& value) {
    if constexpr (kValueInLane) {
      ::new (static_cast<void*>(lane_value_)) T(std::move(value));
    } else {
      try {
        lane_out_->emplace(std::move(value));
      } catch (...) {
        ReleaseLane(op);
        throw;
      }
    }
    std::optional<Unparker> wake;
    if (op.token.stamp == kSleeping) wake.emplace(lane_waiter_->unparker());
    lane_.store(kLaneFull, std::memory_order_release);
    if (wake) wake->Unpark();
  }

  // Gives a claimed lane back as it was found, receiver awake or asleep.
  // Release: nothing of ours is in the lane, but the receiver's acquire
  // load must not see the word move back before our claim.
  void ReleaseLane(Operation& op) {
    lane_.store(op.token.stamp, std::memory_order_release);
    op.token.slot = nullptr;
  }

  // Waits, in the lane, for a sender's value, a disconnection or the
  // deadline; returns kLaneFull, kLaneClosed, or kLaneIdle once withdrawn.
  uintptr_t AwaitLane(Context& self, absl::Time deadline) {
    for (;;) {
      uintptr_t state = AwaitWord(lane_, self.parker(), deadline);
      if (IsUnselected(state)) {
        // The deadline passed: withdraw, unless a sender claimed the lane.
        if (lane_.compare_exchange_strong(state, kLaneIdle,
                                          std::memory_order_acquire,
                                          std::memory_order_acquire)) {
          return kLaneIdle;
        }
      }
      // A claiming sender is mid-move (or gives the lane back): a move
      // does not block, so wait for it without a deadline.
      Backoff backoff;
      while (state == kLaneFilling) {
        backoff.Poll();
        state = lane_.load(std::memory_order_acquire);
      }
      if (state == kLaneFull || state == kLaneClosed) return state;
      // Given back: wait again, asleep if we were.
    }
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

  // Ends a wait in the lane with kLaneClosed. Needs lock_, under which the
  // lane is armed. The lane is never claimed here: a claiming sender holds
  // a sender, so the last one is not leaving, and a closing receiver is not
  // waiting. A sleeping receiver is unparked through a reference taken
  // before the store, as TrySelect() does. Release: pairs with the
  // receiver's acquire, which then sees disconnected_.
  void CloseLane() {
    uintptr_t state = lane_.load(std::memory_order_relaxed);
    while (IsUnselected(state)) {
      std::optional<Unparker> wake;
      if (state == kSleeping) wake.emplace(lane_waiter_->unparker());
      if (lane_.compare_exchange_weak(state, kLaneClosed,
                                      std::memory_order_release,
                                      std::memory_order_relaxed)) {
        if (wake) wake->Unpark();
        return;
      }
    }
  }

  // The one-byte members first, where they fill the base's tail padding:
  // an idle channel is as small as the layout allows.
  SpinLock lock_;
  // Written under lock_; atomic so that IsDisconnected() needs no lock.
  std::atomic<bool> disconnected_{false};
  WaitList senders_;    // Guarded by lock_.
  WaitList receivers_;  // Guarded by lock_: selects that receive.

  // The lane. Invariant: it leaves kLaneIdle only under lock_, by the
  // receiver (to kWaiting); leaves kWaiting or kSleeping by the receiver
  // (to kSleeping, or back to kLaneIdle at its deadline), by one sender's
  // claim (to kLaneFilling) or by Disconnect() (to kLaneClosed); leaves
  // kLaneFilling only by the claiming sender (to kLaneFull, or back); and
  // returns to kLaneIdle only by the receiver. Its pointers are the
  // receiver's while it is armed: set before arming, read by the claimer.
  std::atomic<uintptr_t> lane_{kLaneIdle};
  Context* lane_waiter_ = nullptr;  // Whom to wake.
  union {
    std::optional<T>* lane_out_ = nullptr;  // Where the value lands, or...
    // ...where it waits, if kValueInLane: holds a T while kLaneFull.
    alignas(T) unsigned char lane_value_[kValueInLane ? sizeof(T) : 1];
  };
};

}  // namespace chan::internal

#endif  // CHAN_LIB_FLAVOR_ZERO_H_
