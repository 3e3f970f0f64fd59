// The rendezvous flavor (capacity 0): a send completes only when a receiver
// takes its value, and the value moves once, straight from the sender to the
// receiver through the packet of whichever side waited.
//
// One lock guards both waiter lists and the disconnected flag. A side that
// finds a partner waiting selects the partner's context under the lock, and
// moves the value after releasing it, so no user code ever runs under it.
#ifndef CHAN_LIB_FLAVOR_ZERO_H_
#define CHAN_LIB_FLAVOR_ZERO_H_

#include <atomic>
#include <optional>
#include <utility>

#include "lib/flavor/flavor.h"
#include "lib/wait/spin_lock.h"
#include "lib/wait/wait_list.h"

namespace chan::internal {

template <class T>
class Zero final : public Flavor<T> {
 public:
  bool TryReserve(Operation& op) override {
    SpinLockGuard guard(lock_);
    if (disconnected_.load(std::memory_order_relaxed)) {
      op.token.disconnected = true;
      return true;
    }
    // Pair with a partner waiting on the other side, if any.
    std::optional<Selection> partner = Partners(op).TrySelect();
    if (!partner) return false;
    op.token.slot = partner->packet;
    op.partner = std::move(partner->wake);
    return true;
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
    if (op.token.slot != nullptr) Finish(op, Packet::kDeclined);
  }

  // Moves our value into the waiting receiver's storage.
  void Write(Operation& op, T& value) override {
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
  // Whether `op`, of the thread owning `self`, can complete now. Needs lock_.
  bool ReadyLocked(const Operation& op, const Context& self) {
    return disconnected_.load(std::memory_order_relaxed) ||
           Partners(op).HasWaiterBesides(self);
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
  }

  // TODO: a hand-off to a waiting receiver misses three cache lines on the
  // sender's side (this lock, the receiver's waiter entry, its context:
  // perf puts 74% of TryReserve's samples on the lock's exchange and 92% of
  // TrySelect's on the other two), and the receiver misses them back: a
  // ping-pong round trip takes 330-420 ns here, against 110-150 ns through
  // bounded(1) and ~240 ns for Go. A one-receiver slot in the channel's own
  // cache line, in which a blocking receive waits and into which a sender
  // claims its way by one compare-and-swap and leaves the value, would make
  // it about one line each way, at the cost of a second way of waiting
  // beside the context's.
  SpinLock lock_;
  WaitList senders_;    // Guarded by lock_.
  WaitList receivers_;  // Guarded by lock_.
  // Written under lock_; atomic so that IsDisconnected() needs no lock.
  std::atomic<bool> disconnected_{false};
};

}  // namespace chan::internal

#endif  // CHAN_LIB_FLAVOR_ZERO_H_
