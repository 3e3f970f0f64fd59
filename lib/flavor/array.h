// The bounded flavor: a ring of `capacity` values, allocated once (or kept
// inline when small), and a state byte per slot beside it.
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
// Invariant [order]: the head only grows; the tail only grows but for one
// step back, when a sender gives back the last claim (Release()). As
// integers (the mark aside) positions are ordered as the sends they name,
// so "tail < head + one_lap_" says there is room. A lap takes at most
// 4 * capacity of the position's 2^64 values, so they wrap only after 2^62
// messages.
//
// Invariant [room]: a sender claims position p only if p < head + one_lap_,
// that is, once the receiver has read position p - one_lap_ (the slot's use
// one lap earlier). So the slot at p is written at most once before the
// receiver reads it at p, and the receiver reads it before any sender
// writes it at p + one_lap_: the slot's value and state byte are the
// sender's to write from its claim until it stores the state byte, then
// the receiver's to read until the head passes them. No read-modify-write
// touches them.
//
// State bytes. The sender that fills position p stores Written(p) in the
// slot's state byte: 1 at even laps and 2 at odd ones, with kHole added if
// it gave the position up (its move threw, or its selected operation was
// dropped unsent) after a later sender had claimed too, which the receiver
// skips. By [room] the byte holds the previous lap's state until then (0
// before the first lap), whose low bits are never Written(p): the slot is
// ready for p exactly when (state & kWrittenMask) == Written(p). The
// receiver never writes it.
//
// So a full ring of 8-byte values takes 9 bytes per message, against 16 for
// a stamp beside each value; and the receiver writes nothing into the lines
// that senders are filling, only the head, on its own line. A ring of up to
// 48 bytes, values and state bytes, lives in that line instead
// (FitsInline()), where one line changing hands is the point.
//
// Invariant [single reader]: only the receiver's thread reads slots and
// advances the head (or DiscardAll(), once no receive can happen), so the
// head needs no read-modify-write: it is a store that senders load to know
// the room. Senders claim positions by compare-and-swap on the tail.
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
        heap_values_(FitsInline(capacity)
                         ? nullptr
                         : Allocate<Storage>(capacity, capacity)),
        heap_state_(FitsInline(capacity)
                        ? nullptr
                        : Allocate<std::atomic<uint8_t>>(capacity, capacity)) {
    values_ = heap_values_.get();
    state_ = heap_state_.get();
    if constexpr (kMayFitInline) {
      if (values_ != nullptr) return;
      // Two arrays in the buffer. Neither element type has a destructor,
      // so the arrays need none run and take no room for a count.
      values_ = ::new (small_ring_) Storage[capacity];
      state_ = ::new (small_ring_ + capacity * sizeof(Storage))
          std::atomic<uint8_t>[capacity]();
    }
  }

  ~Array() override { DiscardAll(); }

  bool IsReady(Operation& op) override {
    if (op.kind == OpKind::kSend) {
      const uint64_t tail = tail_.load(std::memory_order_seq_cst);
      if (tail & mark_bit_) return true;
      // Room, by [room]; see Free() for the head's order.
      return tail < head_.load(std::memory_order_seq_cst) + one_lap_;
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
      const SlotState state = StateAt(head);
      if (state == SlotState::kUnwritten) {
        backoff.Snooze();
        continue;
      }
      if (state == SlotState::kValue) ValueAt(head)->~T();
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

  struct Storage {
    alignas(T) unsigned char bytes[sizeof(T)];
  };

  // What the state byte says of the slot at a position.
  enum class SlotState { kUnwritten, kValue, kHole };

  static constexpr uint8_t kWrittenMask = 3;  // The bits Written() sets.
  static constexpr uint8_t kHole = 4;

  // A ring this small lives in the head's cache line (small_ring_) instead
  // of the heap. A hand-off through it then moves that one line each way:
  // the sender writes its value and state byte and reads the head there,
  // the receiver reads them and writes the head there. Apart, the value,
  // the state byte and the head each cross between the two cores. Through
  // bounded(1), medians of 9 alternating runs, heap vs inline: a ping-pong
  // round trip 533 vs 453 ns; 200,000 messages from one sender 80 vs 27 ms,
  // from four 112 vs 66 ms.
  static constexpr size_t kSmallRingBytes = 48;
  static constexpr bool kMayFitInline =
      alignof(T) <= 16 && sizeof(T) + 1 <= kSmallRingBytes;
  static_assert(sizeof(std::atomic<uint8_t>) == 1 &&
                alignof(std::atomic<uint8_t>) == 1);
  static constexpr bool FitsInline(size_t capacity) {
    return kMayFitInline && capacity * (sizeof(T) + 1) <= kSmallRingBytes;
  }

  // Completes a reserved send: moves `value` into the claimed slot.
  void WriteSlot(Token& token, T& value) {
    try {
      ::new (token.slot) T(std::move(value));
    } catch (...) {
      Release(token);
      throw;
    }
    Publish(token.stamp, /*hole=*/false);
  }

  // Completes a reserved receive: moves the value out and frees the slot.
  void ReadSlot(const Token& token, std::optional<T>& out) {
    T* value = ValueAt(token.stamp);
    out.emplace(std::move(*value));  // If this throws, the value stays.
    value->~T();
    Free(token.stamp);
  }

  // Returns `capacity` if a ring of that size can be addressed: positions
  // need lap bits above the index and mark bits, and the byte count must
  // not overflow. Checked before anything is computed from it.
  static size_t CheckCapacity(size_t capacity) {
    constexpr size_t kMax =
        std::numeric_limits<size_t>::max() / (sizeof(Storage) + 1);
    if (capacity > kMax || capacity > (size_t{1} << 48)) {
      throw std::length_error("chan::Bounded: capacity " +
                              std::to_string(capacity) + " is too large");
    }
    return capacity;
  }

  // `count` elements for the ring of `capacity`: its values or its state
  // bytes, value-initialized. The state bytes must start at 0; zeroing the
  // values too commits the ring's memory when the channel is made, rather
  // than by page faults on the first lap's sends.
  template <class Element>
  static std::unique_ptr<Element[]> Allocate(size_t capacity, size_t count) {
    try {
      return std::unique_ptr<Element[]>(new Element[count]());
    } catch (const std::bad_alloc&) {
      throw std::length_error("chan::Bounded: capacity " +
                              std::to_string(capacity) + " needs " +
                              std::to_string(capacity * (sizeof(Storage) + 1)) +
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

  uint64_t Index(uint64_t position) const { return position & (mark_bit_ - 1); }

  void* StorageAt(uint64_t position) { return values_[Index(position)].bytes; }

  T* ValueAt(uint64_t position) {
    return std::launder(reinterpret_cast<T*>(StorageAt(position)));
  }

  // The state byte that fills `position` (see the layout comment).
  uint8_t Written(uint64_t position) const {
    return (position & one_lap_) ? 2 : 1;
  }

  // The state of the slot for `position`, whose use of the slot is the
  // reader's by [room] (the receiver's, or DiscardAll()'s).
  SlotState StateAt(uint64_t position) {
    // Acquire pairs with Publish()'s release: the value is visible.
    const uint8_t state =
        state_[Index(position)].load(std::memory_order_acquire);
    if ((state & kWrittenMask) != Written(position))
      return SlotState::kUnwritten;
    return (state & kHole) ? SlotState::kHole : SlotState::kValue;
  }

  // Claims the tail's slot. The common case (room below the cached limit,
  // and the claim succeeds) is inline, so that it compiles into the
  // handle's fast path (fast_path.h); the rest is out of line.
  bool StartSend(Token& token) {
    uint64_t tail = tail_.load(std::memory_order_relaxed);
    // Acquire pairs with the limit's release in StartSendSlow(), and seq_cst
    // on the claim as there.
    if ((tail & mark_bit_) == 0 &&
        tail < send_limit_.load(std::memory_order_acquire) &&
        tail_.compare_exchange_weak(tail, Next(tail), std::memory_order_seq_cst,
                                    std::memory_order_relaxed)) {
      token.slot = StorageAt(tail);
      token.stamp = tail;
      return true;
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
      // Room by [room]. The limit is a head that some sender saw, plus a
      // lap: the head only grows, so any limit stays true, and a sender
      // below it needs no look at the receiver's cache line.
      if (tail >= send_limit_.load(std::memory_order_acquire)) {
        // Acquire pairs with Free()'s store: the receiver is done with the
        // slot's previous value before we construct a new one in it. (The
        // re-check of a waiting sender is IsReady(), with seq_cst.)
        const uint64_t limit = head_.load(std::memory_order_acquire) + one_lap_;
        if (tail >= limit) return false;  // Full.
        // Release passes the head's acquire on to senders that use the
        // limit. Racing senders may store an older limit last; it only
        // sends the next sender here again.
        send_limit_.store(limit, std::memory_order_release);
      }
      // seq_cst keeps the claim in the single order that the Len() and
      // IsReady() loads read. On failure `tail` is reloaded.
      if (tail_.compare_exchange_weak(tail, Next(tail),
                                      std::memory_order_seq_cst,
                                      std::memory_order_relaxed)) {
        token.slot = StorageAt(tail);
        token.stamp = tail;
        return true;
      }
      backoff.Spin();
    }
  }

  // Gives back a claimed slot that will not be written. If no sender
  // claimed a later position, the tail moves back: for the receiver the
  // claim never happened, but a sender may have found the ring full
  // meanwhile and wait for room, which this makes. So, as in Free(), the
  // seq_cst move comes before Notify()'s seq_cst load, and a waiting
  // sender's re-check (IsReady()) reads the tail with seq_cst. Otherwise
  // the receiver would wait on the slot forever, so it is published as a
  // hole, which the receiver skips (and which Len() counts until then).
  void Release(const Token& token) {
    const uint64_t position = token.stamp;
    uint64_t expected = Next(position);
    if (tail_.compare_exchange_strong(expected, position,
                                      std::memory_order_seq_cst,
                                      std::memory_order_relaxed)) {
      senders_.Notify();
    } else {
      Publish(position, /*hole=*/true);
    }
  }

  // Makes a written (or abandoned) slot visible to the receiver, by its
  // state byte, and wakes the receiver if it waits. In SyncWaitList's
  // protocol the publish half is the claim, not this store: the claim's
  // seq_cst compare-and-swap on the tail comes before Notify()'s seq_cst
  // load, and the receiver's re-check (IsReady) reads the tail with
  // seq_cst. So either the receiver sees the claim and keeps waiting awake
  // (it spins until this store lands), or Notify() sees its registration.
  // The store itself can then be a plain release, which pairs with
  // StateAt()'s acquire: a seq_cst store here would cost a full barrier
  // (xchg) per message.
  void Publish(uint64_t position, bool hole) {
    const uint8_t state = Written(position) | (hole ? kHole : 0);
    state_[Index(position)].store(state, std::memory_order_release);
    receivers_.Notify();
  }

  // Reserves the head's slot. The common case (a written slot) is inline;
  // holes, emptiness and disconnection are out of line.
  bool StartRecv(Token& token) {
    const uint64_t head = head_.load(std::memory_order_relaxed);
    if (StateAt(head) == SlotState::kValue) {
      token.stamp = head;
      return true;
    }
    return StartRecvSlow(token);
  }

  [[gnu::noinline]] bool StartRecvSlow(Token& token) {
    for (;;) {
      const uint64_t head = head_.load(std::memory_order_relaxed);
      const SlotState state = StateAt(head);
      if (state == SlotState::kHole) {
        Free(head);
        continue;
      }
      if (state == SlotState::kValue) {
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
  // wakes a sender that waits for room. The store is seq_cst for the same
  // reason as the claim in Publish(), with senders_ as the list, and a
  // release for the senders that acquire the head ([room]).
  void Free(uint64_t head) {
    head_.store(Next(head), std::memory_order_seq_cst);
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
  // The ring, if it is not small_ring_ (FitsInline()).
  const std::unique_ptr<Storage[]> heap_values_;
  const std::unique_ptr<std::atomic<uint8_t>[]> heap_state_;
  // The ring's values and its state bytes, one per slot (see the layout
  // comment): on the heap or in small_ring_. Set by the constructor.
  Storage* values_;
  std::atomic<uint8_t>* state_;

  // Written by the receiver only ([single reader]); loaded by senders.
  alignas(64) std::atomic<uint64_t> head_{0};
  // Set once, after the tail is marked. The receiver polls it instead of
  // the tail, which lives on the senders' busy cache line.
  std::atomic<bool> disconnected_{false};
  // A small ring's values, then its state bytes; the rest of the line.
  alignas(16) unsigned char small_ring_[kSmallRingBytes];
  // Claimed by senders with compare-and-swap; marked on disconnection.
  alignas(64) std::atomic<uint64_t> tail_{0};
  // Senders may claim positions below it ([room]); on the tail's line,
  // which senders hold anyway. Starts one lap past head 0.
  std::atomic<uint64_t> send_limit_{one_lap_};

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
