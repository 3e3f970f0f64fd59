// The interface the typed handles (chan::Sender, chan::Receiver) use to reach
// a channel of any flavor, and the reference counts that decide when the
// channel disconnects and when it is freed.
#ifndef CHAN_LIB_FLAVOR_FLAVOR_H_
#define CHAN_LIB_FLAVOR_FLAVOR_H_

#include <atomic>
#include <cstddef>
#include <optional>

#include "absl/time/time.h"
#include "lib/wait/operation.h"

namespace chan::internal {

// What an attempt that does not wait came to.
enum class Attempt : uint8_t { kDone, kWouldBlock, kDisconnected };

// Which concrete flavor a Flavor<T> is, where the handles' fast paths call
// it without a virtual call (see fast_path.h); kOther goes through the
// virtual interface.
enum class FlavorKind : uint8_t { kList, kArray, kOther };

template <class T>
class Flavor : public Selectable {
 public:
  explicit Flavor(FlavorKind kind = FlavorKind::kOther) : kind_(kind) {}
  virtual ~Flavor() = default;

  FlavorKind kind() const { return kind_; }

  // A send that does not wait, in one call: the fast path of every send.
  // kDone: `value` moved into the channel; otherwise it is untouched. If
  // T's move constructor throws, as for Write(). The default goes through
  // TryReserve() and Write(); flavors whose reservation is a slot override
  // it without building an Operation.
  virtual Attempt TrySendNow(T& value) {
    Operation op(this, OpKind::kSend);
    if (!this->TryReserve(op)) return Attempt::kWouldBlock;
    if (op.token.disconnected) return Attempt::kDisconnected;
    Write(op, value);
    return Attempt::kDone;
  }

  // A receive that does not wait, in one call: the fast path of every
  // receive. kDone: the value is in `out`. As TrySendNow(), for Read().
  virtual Attempt TryRecvNow(std::optional<T>& out) {
    Operation op(this, OpKind::kRecv);
    if (!this->TryReserve(op)) return Attempt::kWouldBlock;
    if (op.token.disconnected) return Attempt::kDisconnected;
    Read(op, out);
    return Attempt::kDone;
  }

  // The attempts a blocking send or receive makes before SendWaiting() or
  // RecvWaiting(): TrySendNow() and TryRecvNow(), unless the flavor's
  // waiting call starts with the same attempt under its lock; then only
  // the part that needs no lock, so that a wait takes the lock once.
  virtual Attempt TrySendBeforeWaiting(T& value) { return TrySendNow(value); }
  virtual Attempt TryRecvBeforeWaiting(std::optional<T>& out) {
    return TryRecvNow(out);
  }

  // A receive that waits until `deadline`, for a flavor with a faster way
  // for its one receiver to wait than the general loop (the rendezvous
  // lane): kDone with the value in `out`, kDisconnected, or kWouldBlock once
  // the deadline passed. nullopt: the flavor has none, or cannot use it
  // now; use Wait().
  virtual std::optional<Attempt> RecvWaiting(absl::Time /*deadline*/,
                                             std::optional<T>& /*out*/) {
    return std::nullopt;
  }

  // A send that waits until `deadline`, likewise (the rendezvous lane):
  // kDone once a receiver took `value`, kDisconnected or kWouldBlock with
  // `value` still the caller's. nullopt: use Wait().
  virtual std::optional<Attempt> SendWaiting(absl::Time /*deadline*/,
                                             T& /*value*/) {
    return std::nullopt;
  }

  // Completes a receive that TryReserve() reserved (and that is neither
  // disconnected nor done through a packet) by moving the value into `out`.
  // If T's move constructor throws, the value stays queued and the
  // exception propagates.
  virtual void Read(Operation& op, std::optional<T>& out) = 0;

  // Completes a reserved send by moving `value` into the channel. If T's
  // move constructor throws, the reservation is released (the receiver
  // skips it), `value` stays with the caller and the exception propagates.
  virtual void Write(Operation& op, T& value) = 0;

  // The last sender is gone: once drained, receives report disconnection.
  virtual void DisconnectSenders() = 0;
  // The receiver closed: sends fail from now on; queued values stay until
  // the receiver drains them or is destroyed.
  virtual void CloseReceiver() = 0;
  // The receiver is gone: destroys every queued value, now, exactly once.
  // Called after CloseReceiver().
  virtual void DiscardAll() = 0;

  virtual size_t Len() const = 0;
  virtual std::optional<size_t> Capacity() const = 0;
  virtual bool IsDisconnected() const = 0;

  // Whether a send would block now for want of room: always for a
  // rendezvous channel, never for an unbounded one.
  bool Full() const {
    const std::optional<size_t> capacity = Capacity();
    return capacity.has_value() && Len() >= *capacity;
  }

  // Counts the senders. The first sender is counted at construction.
  // Relaxed: a new sender is copied from a live one, which keeps the
  // channel alive; nothing is published by the count itself.
  void AddSender() { senders_.fetch_add(1, std::memory_order_relaxed); }

  // Drops one sender; the last one disconnects the channel. acq_rel: every
  // sender's sends happen-before the disconnection the last one performs.
  void DropSender() {
    if (senders_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      DisconnectSenders();
      ReleaseSide();
    }
  }

  // Drops the receiver: closes, destroys what is queued, releases.
  void DropReceiver() {
    CloseReceiver();
    DiscardAll();
    ReleaseSide();
  }

  // For channels made without a sending side (timers): the receiver alone
  // owns the channel.
  void ReleaseSendingSide() { ReleaseSide(); }

 private:
  // The sending side (once all senders are gone) and the receiving side
  // each release once; the second frees the channel. acq_rel: the first
  // side's last accesses happen-before the delete by the second.
  void ReleaseSide() {
    if (released_one_side_.exchange(true, std::memory_order_acq_rel)) {
      delete this;
    }
  }

  // The word first and the bytes last, so that a flavor's own one-byte
  // members can share the bytes' padding.
  std::atomic<size_t> senders_{1};
  const FlavorKind kind_;
  std::atomic<bool> released_one_side_{false};
};

}  // namespace chan::internal

#endif  // CHAN_LIB_FLAVOR_FLAVOR_H_
