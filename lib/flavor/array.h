// The bounded flavor: a ring of `capacity` slots, allocated once.
//
// Positions. The head (next slot to read) and the tail (next slot to write)
// are positions: an index in [0, capacity) in the low bits and a lap count
// above them, so that a position names one use of one slot:
//
//   bits:  [ lap ... | mark | index ]
//           one_lap_ = 2 * mark_bit_, mark_bit_ = bit_ceil(capacity + 1)
//
// The mark bit is only ever set in the tail; it means "disconnected" (the
// last sender left, or the receiver closed) and stops new sends.
//
// Stamps. Each slot carries a stamp, the position it is ready for:
//
//   stamp == p                 free, ready to be written at position p;
//   stamp == p + 1             written at position p, ready to be read;
//   stamp == (p + 1) | mark_bit_
//                              a hole at position p: its sender's move threw
//                              (or it abandoned its claim); the receiver
//                              skips it. p + 1 never reaches the mark bit,
//                              since index + 1 <= capacity < mark_bit_;
//   stamp == p + one_lap_      read at p: free for position p + one_lap_.
//
// Invariant [single reader]: only the receiver's thread reads slots and
// advances the head, so the head needs no read-modify-write: it is a plain
// store that senders merely load to tell "full" from "being emptied".
// Senders claim positions by compare-and-swap on the tail.
#ifndef CHAN_LIB_FLAVOR_ARRAY_H_
#define CHAN_LIB_FLAVOR_ARRAY_H_

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>

#include "lib/flavor/flavor.h"
#include "lib/flavor/queue_flavor.h"
#include "lib/wait/backoff.h"
#include "lib/wait/wait_list.h"

namespace chan::internal {

template <class T>
class Array final : public QueueFlavor<Array<T>, T> {
 public:
  // Throws std::length_error if the ring cannot be allocated.
  explicit Array(size_t capacity)
      : QueueFlavor<Array<T>, T>(FlavorKind::kArray),
        capacity_(CheckCapacity(capacity)),
        mark_bit_(std::bit_ceil(uint64_t{capacity} + 1)),
        one_lap_(2 * mark_bit_),
        slots_(Allocate(capacity)) {
    for (size_t i = 0; i < capacity; ++i) {
      slots_[i].stamp.store(i, std::memory_order_relaxed);
    }
  }

  ~Array() override { DiscardAll(); }

  bool IsReady(Operation& op) override {
    if (op.kind == OpKind::kSend) {
      const uint64_t tail = tail_.load(std::memory_order_seq_cst);
      if (tail & mark_bit_) return true;
      const Slot& slot = slots_[tail & (mark_bit_ - 1)];
      return slot.stamp.load(std::memory_order_seq_cst) == tail;
    }
    // Ready once a sender has claimed the head's position (its value is
    // written, or about to be) or the channel is disconnected: either way
    // the tail moved off the head. See Publish() for why the tail is read.
    const uint64_t head = head_.load(std::memory_order_relaxed);
    return tail_.load(std::memory_order_seq_cst) != head;
  }

  bool Register(Operation& op, Context& context, uintptr_t id) override {
    op.entry.Prepare(&context, id, nullptr, op.observe);
    Waiters(op).Register(op.entry);
    return IsReady(op);
  }

  bool SelectionUnregisters() const override { return true; }

  void Unregister(Operation& op, Context& /*context*/,
                  uintptr_t /*id*/) override {
    Waiters(op).Unregister(op.entry);
  }

  void Abandon(Operation& op) override {
    // A receive reserves nothing; a claimed send slot is given back.
    if (op.kind == OpKind::kSend && op.token.slot != nullptr) Release(op.token);
  }

  void DisconnectSenders() override { Disconnect(); }
  void CloseReceiver() override { Disconnect(); }

  void DiscardAll() override {
    // The tail is marked: no sender claims a slot any more, but senders that
    // claimed one before the mark may still be writing it. Wait for each.
    const uint64_t tail = tail_.load(std::memory_order_acquire) & ~mark_bit_;
    uint64_t head = head_.load(std::memory_order_relaxed);
    Backoff backoff;
    while (head != tail) {
      Slot& slot = slots_[head & (mark_bit_ - 1)];
      const uint64_t stamp = slot.stamp.load(std::memory_order_acquire);
      if ((stamp & ~mark_bit_) != head + 1) {
        backoff.Snooze();
        continue;
      }
      if (stamp == head + 1) slot.value()->~T();  // Not a hole.
      head = Next(head);
      backoff.Reset();
    }
    head_.store(head, std::memory_order_relaxed);
  }

  size_t Len() const override {
    for (;;) {
      // A consistent pair: the tail did not move while the head was read.
      const uint64_t tail = tail_.load(std::memory_order_seq_cst);
      const uint64_t head = head_.load(std::memory_order_seq_cst);
      if (tail_.load(std::memory_order_seq_cst) != tail) continue;
      const uint64_t tix = tail & (mark_bit_ - 1);
      const uint64_t hix = head & (mark_bit_ - 1);
      if (hix < tix) return tix - hix;
      if (hix > tix) return capacity_ - hix + tix;
      return (tail & ~mark_bit_) == head ? 0 : capacity_;
    }
  }

  std::optional<size_t> Capacity() const override { return capacity_; }

  bool IsDisconnected() const override {
    return (tail_.load(std::memory_order_seq_cst) & mark_bit_) != 0;
  }

 private:
  friend class QueueFlavor<Array<T>, T>;

  // Completes a reserved send: moves `value` into the claimed slot.
  void WriteSlot(Token& token, T& value) {
    Slot* slot = static_cast<Slot*>(token.slot);
    try {
      ::new (static_cast<void*>(slot->storage)) T(std::move(value));
    } catch (...) {
      Release(token);
      throw;
    }
    Publish(token, /*hole=*/false);
  }

  // Completes a reserved receive: moves the value out and frees the slot.
  void ReadSlot(const Token& token, std::optional<T>& out) {
    Slot* slot = static_cast<Slot*>(token.slot);
    T* value = slot->value();
    out.emplace(std::move(*value));  // If this throws, the value stays.
    value->~T();
    Free(token.stamp, *slot);
  }

  struct Slot {
    std::atomic<uint64_t> stamp;
    alignas(T) unsigned char storage[sizeof(T)];

    T* value() { return std::launder(reinterpret_cast<T*>(storage)); }
  };

  // Returns `capacity` if a ring of that size can be addressed: positions
  // need lap bits above the index and mark bits, and the byte count must
  // not overflow. Checked before anything is computed from it.
  static size_t CheckCapacity(size_t capacity) {
    constexpr size_t kMax = std::numeric_limits<size_t>::max() / sizeof(Slot);
    if (capacity > kMax || capacity > (size_t{1} << 48)) {
      throw std::length_error("chan::Bounded: capacity " +
                              std::to_string(capacity) + " is too large");
    }
    return capacity;
  }

  static std::unique_ptr<Slot[]> Allocate(size_t capacity) {
    try {
      return std::unique_ptr<Slot[]>(new Slot[capacity]);
    } catch (const std::bad_alloc&) {
      throw std::length_error("chan::Bounded: capacity " +
                              std::to_string(capacity) + " needs " +
                              std::to_string(capacity * sizeof(Slot)) +
                              " bytes, which could not be allocated");
    }
  }

  SyncWaitList& Waiters(const Operation& op) {
    return op.kind == OpKind::kSend ? senders_ : receivers_;
  }

  // The position after `position`: the next index, or index 0 of the next
  // lap.
  uint64_t Next(uint64_t position) const {
    const uint64_t index = position & (mark_bit_ - 1);
    const uint64_t lap = position & ~(one_lap_ - 1);
    return index + 1 < capacity_ ? position + 1 : lap + one_lap_;
  }

  // Claims the tail's slot. The common case (the slot is free at this lap
  // and the claim succeeds) is inline, so that it compiles into the
  // handle's fast path (fast_path.h); the rest is out of line.
  bool StartSend(Token& token) {
    uint64_t tail = tail_.load(std::memory_order_relaxed);
    if ((tail & mark_bit_) == 0) {
      Slot& slot = slots_[tail & (mark_bit_ - 1)];
      // Acquire and seq_cst as in StartSendSlow().
      if (slot.stamp.load(std::memory_order_acquire) == tail &&
          tail_.compare_exchange_weak(tail, Next(tail),
                                      std::memory_order_seq_cst,
                                      std::memory_order_relaxed)) {
        token.slot = &slot;
        token.stamp = tail + 1;
        return true;
      }
    }
    return StartSendSlow(token);
  }

  [[gnu::noinline]] bool StartSendSlow(Token& token) {
    Backoff backoff;
    uint64_t tail = tail_.load(std::memory_order_relaxed);
    for (;;) {
      if (tail & mark_bit_) {
        token.disconnected = true;
        return true;
      }
      Slot& slot = slots_[tail & (mark_bit_ - 1)];
      // Acquire pairs with Free()'s release: the receiver is done with the
      // slot's previous value before we construct a new one in it. A hole
      // not yet skipped counts as the value it stands for.
      const uint64_t stamp =
          slot.stamp.load(std::memory_order_acquire) & ~mark_bit_;
      if (stamp == tail) {
        // Free at this lap: claim it. seq_cst keeps the claim in the single
        // order that the Len() and IsReady() loads read.
        if (tail_.compare_exchange_weak(tail, Next(tail),
                                        std::memory_order_seq_cst,
                                        std::memory_order_relaxed)) {
          token.slot = &slot;
          token.stamp = tail + 1;
          return true;
        }
        backoff.Spin();
      } else if (stamp + one_lap_ == tail + 1) {
        // The slot still holds the previous lap's value. If the head is a
        // whole lap behind the tail, the ring is full; otherwise the
        // receiver is just emptying the slot.
        const uint64_t head = head_.load(std::memory_order_seq_cst);
        if (head + one_lap_ == tail) return false;
        backoff.Snooze();
        tail = tail_.load(std::memory_order_relaxed);
      } else {
        // Another sender claimed this position first; catch up.
        backoff.Spin();
        tail = tail_.load(std::memory_order_relaxed);
      }
    }
  }

  // Gives back a claimed slot that will not be written. If no sender
  // claimed a later position, the tail moves back and the claim never
  // happened; otherwise the receiver would wait on the slot forever, so it
  // is published as a hole, which the receiver skips (and which Len()
  // counts until then).
  void Release(const Token& token) {
    const uint64_t position = token.stamp - 1;
    uint64_t expected = Next(position);
    if (!tail_.compare_exchange_strong(expected, position,
                                       std::memory_order_seq_cst,
                                       std::memory_order_relaxed)) {
      Publish(token, /*hole=*/true);
    }
  }

  // Makes a written (or abandoned) slot visible to the receiver and wakes
  // it if it waits. In SyncWaitList's protocol the publish half is the
  // claim, not this store: the claim's seq_cst compare-and-swap on the tail
  // comes before Notify()'s seq_cst load, and the receiver's re-check
  // (IsReady) reads the tail with seq_cst. So either the receiver sees the
  // claim and keeps waiting awake (it spins until this store lands), or
  // Notify() sees its registration. The store itself can then be a plain
  // release, which pairs with StartRecv()'s acquire: a seq_cst store here
  // would cost a full barrier (xchg) per message.
  void Publish(const Token& token, bool hole) {
    Slot* slot = static_cast<Slot*>(token.slot);
    slot->stamp.store(hole ? token.stamp | mark_bit_ : token.stamp,
                      std::memory_order_release);
    receivers_.Notify();
  }

  // Reserves the head's slot. The common case (a written slot) is inline;
  // holes, emptiness and disconnection are out of line.
  bool StartRecv(Token& token) {
    const uint64_t head = head_.load(std::memory_order_relaxed);
    Slot& slot = slots_[head & (mark_bit_ - 1)];
    // Acquire pairs with Publish(): the value is visible.
    if (slot.stamp.load(std::memory_order_acquire) == head + 1) {
      token.slot = &slot;
      token.stamp = head;
      return true;
    }
    return StartRecvSlow(token);
  }

  [[gnu::noinline]] bool StartRecvSlow(Token& token) {
    for (;;) {
      const uint64_t head = head_.load(std::memory_order_relaxed);
      Slot& slot = slots_[head & (mark_bit_ - 1)];
      // Acquire pairs with Publish(): the value is visible.
      const uint64_t stamp = slot.stamp.load(std::memory_order_acquire);
      if (stamp == ((head + 1) | mark_bit_)) {
        Free(head, slot);  // A hole: skip it.
        continue;
      }
      if (stamp == head + 1) {
        token.slot = &slot;
        token.stamp = head;
        return true;
      }
      // Nothing at the head. Empty, unless a sender claimed this slot and
      // is still writing it (then it is not ready yet either). The tail is
      // read only once disconnected: a receiver polling an empty channel
      // must not pull the tail's cache line away from the senders.
      if (!disconnected_.load(std::memory_order_acquire)) return false;
      if (tail_.load(std::memory_order_seq_cst) == (head | mark_bit_)) {
        token.disconnected = true;  // Disconnected and drained.
        return true;
      }
      return false;
    }
  }

  // Hands the slot read at `head` back to the senders, one lap later, and
  // wakes a sender that waits for room. The stamp store is seq_cst for the
  // same reason as in Publish(), with senders_ as the list.
  //
  // TODO: four slots share a cache line, and this store writes into the
  // line a sender may be filling next. A receiver that trails its sender
  // closely (SPSC, both running) makes the line change hands on every
  // message: 200,000 messages through bounded(N) take 3-4 ms instead of 2
  // when it does. Freeing a line's slots together as the receiver leaves
  // it would write each line once, at the cost of senders that wait for
  // room seeing it up to three slots late, and of a flush before the
  // receiver blocks.
  void Free(uint64_t head, Slot& slot) {
    head_.store(Next(head), std::memory_order_relaxed);
    slot.stamp.store(head + one_lap_, std::memory_order_seq_cst);
    senders_.Notify();
  }

  void Disconnect() {
    // seq_cst: ordered with the senders' claims and the receiver's checks.
    const uint64_t tail = tail_.fetch_or(mark_bit_, std::memory_order_seq_cst);
    if ((tail & mark_bit_) == 0) {
      // Release: a receiver that sees the flag sees the mark.
      disconnected_.store(true, std::memory_order_release);
      senders_.DisconnectAll();
      receivers_.DisconnectAll();
    }
  }

  const size_t capacity_;
  const uint64_t mark_bit_;
  const uint64_t one_lap_;
  const std::unique_ptr<Slot[]> slots_;

  // Written by the receiver only ([single reader]); loaded by senders.
  alignas(64) std::atomic<uint64_t> head_{0};
  // Set once, after the tail is marked. The receiver polls it instead of
  // the tail, which lives on the senders' busy cache line.
  std::atomic<bool> disconnected_{false};
  // Claimed by senders with compare-and-swap; marked on disconnection.
  alignas(64) std::atomic<uint64_t> tail_{0};

  // TODO: senders that find the ring full retry, then spin on their
  // context before they park. With more threads than cores that spinning
  // takes the receiver's core: 200,000 messages from 4 senders through
  // bounded(1) on 2 cores take 50-75 ms, against 17 ms for Go, whose
  // blocked goroutines hold no core. Having the receiver move a registered
  // sender's value into the room it makes, as Go does, measured no better
  // here, since the waiting senders still spin. Nor did keeping all but one
  // waiting sender parked (selectors serving awake waiters first, at most
  // 256 times past a sleeper, and no retry while others wait): 66 vs 68 ms,
  // since senders mostly win a slot by retrying before they ever register.
  // Nor did one retrying sender per channel, the others registering at
  // once (medians of 7 alternating runs: 73 vs 59 ms, worse: they spin on
  // their contexts instead). What is left is parking them at once too,
  // which puts a futex wake on the receiver's path for each of them.
  alignas(64) SyncWaitList senders_;
  SyncWaitList receivers_;
};

}  // namespace chan::internal

#endif  // CHAN_LIB_FLAVOR_ARRAY_H_
