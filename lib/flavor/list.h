// The unbounded flavor: a linked list of blocks of slots. Senders never
// block; one allocation serves kBlockCap messages.
//
// Positions. Head and tail count positions in steps of kStep (bit 0 of the
// tail is the mark bit: "disconnected", set when the last sender leaves or
// the receiver closes). Position p is offset (p / kStep) % kLap of its
// block; offsets 0..kBlockCap-1 are slots, and offset kBlockCap is a
// sentinel that no message uses: a tail resting there means "the sender that
// took the block's last slot is installing the next block; wait".
//
// Slot states: 0 (empty), kWritten (holds a value), kWritten | kHole (a
// sender's move threw, or it abandoned its claim: the receiver skips it).
//
// Invariant [single reader]: only the receiver's thread reads slots,
// advances the head and frees blocks; the head needs no read-modify-write.
// A block is freed when the head passes its sentinel: by then every slot in
// it was written, and writing its slot was each sender's last access to it.
#ifndef CHAN_LIB_FLAVOR_LIST_H_
#define CHAN_LIB_FLAVOR_LIST_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>

#include "lib/flavor/flavor.h"
#include "lib/flavor/queue_flavor.h"
#include "lib/wait/backoff.h"
#include "lib/wait/wait_list.h"

namespace chan::internal {

template <class T>
class List final : public QueueFlavor<List<T>, T> {
 public:
  // Allocates nothing: the first send allocates the first block, so an idle
  // channel costs only this object.
  List() : QueueFlavor<List<T>, T>(FlavorKind::kList) {}

  ~List() override {
    DiscardAll();
    // The one block left, if any: a sender may have installed the first
    // block and then found the channel disconnected, before any claim.
    delete HeadBlock();
    delete spare_.load(std::memory_order_acquire);
  }

  bool IsReady(Operation& op) override {
    if (op.kind == OpKind::kSend) return true;  // Sends never block.
    // Ready once a sender has claimed the head's position or the channel
    // is disconnected: either way the tail moved off the head. See
    // Publish() for why the tail is read.
    const uint64_t head = head_.load(std::memory_order_relaxed);
    return tail_.load(std::memory_order_seq_cst) != head;
  }

  bool Register(Operation& op, Context& context, uintptr_t id) override {
    if (op.kind == OpKind::kRecv) {
      op.entry.Prepare(&context, id, nullptr, op.observe);
      receivers_.Register(op.entry);
    }
    return IsReady(op);
  }

  bool SelectionUnregisters() const override { return true; }

  void Unregister(Operation& op, Context& /*context*/,
                  uintptr_t /*id*/) override {
    if (op.kind == OpKind::kRecv) receivers_.Unregister(op.entry);
  }

  void Abandon(Operation& op) override {
    if (op.kind == OpKind::kSend && op.token.slot != nullptr) Release(op.token);
  }

  void DisconnectSenders() override { Disconnect(); }
  void CloseReceiver() override { Disconnect(); }

  void DiscardAll() override {
    // The tail is marked, so no sender claims a position any more; wait for
    // a sender installing the next block to finish moving the tail off the
    // sentinel, and for senders still writing claimed slots.
    Backoff backoff;
    uint64_t tail = tail_.load(std::memory_order_acquire);
    while (Offset(tail) == kBlockCap) {
      backoff.Snooze();
      tail = tail_.load(std::memory_order_acquire);
    }
    tail &= ~kMark;
    uint64_t head = head_.load(std::memory_order_relaxed);
    // A claimed position implies a first block: see InstallFirstBlock().
    if (head != tail) HeadBlock();
    while (head != tail) {
      const uint64_t offset = Offset(head);
      if (offset == kBlockCap) {
        head_block_ = AdvanceBlock(head_block_);
        head += kStep;
        continue;
      }
      Slot& slot = head_block_->slots[offset];
      backoff.Reset();
      uint32_t state;
      while (((state = slot.state.load(std::memory_order_acquire)) &
              kWritten) == 0) {
        backoff.Snooze();
      }
      if ((state & kHole) == 0) slot.value()->~T();
      head += kStep;
    }
    head_.store(head, std::memory_order_release);
  }

  size_t Len() const override {
    // The head first: it never passes the tail, so a tail read later is at
    // least as far along.
    const uint64_t head = head_.load(std::memory_order_acquire);
    const uint64_t tail = tail_.load(std::memory_order_seq_cst) & ~kMark;
    return MessagesBefore(tail) - MessagesBefore(head);
  }

  std::optional<size_t> Capacity() const override { return std::nullopt; }

  bool IsDisconnected() const override {
    return (tail_.load(std::memory_order_seq_cst) & kMark) != 0;
  }

 private:
  friend class QueueFlavor<List<T>, T>;

  // Completes a reserved send: moves `value` into the claimed slot.
  void WriteSlot(Token& token, T& value) {
    Slot* slot = static_cast<Slot*>(token.slot);
    try {
      ::new (static_cast<void*>(slot->storage)) T(std::move(value));
    } catch (...) {
      Release(token);
      throw;
    }
    Publish(token, kWritten);
  }

  // Completes a reserved receive: moves the value out and frees the slot.
  void ReadSlot(const Token& token, std::optional<T>& out) {
    Slot* slot = static_cast<Slot*>(token.slot);
    T* value = slot->value();
    out.emplace(std::move(*value));  // If this throws, the value stays.
    value->~T();
    head_.store(token.stamp + kStep, std::memory_order_release);
  }

  static constexpr uint64_t kMark = 1;
  static constexpr uint64_t kStep = 2;  // Positions step over the mark bit.
  // 31 slots and a sentinel per lap: a block of ints is 256 bytes, four
  // cache lines, and 200,000 messages cost 6,452 allocations.
  static constexpr uint64_t kLap = 32;
  static constexpr uint64_t kBlockCap = kLap - 1;

  static constexpr uint32_t kWritten = 1;
  static constexpr uint32_t kHole = 2;

  struct Slot {
    std::atomic<uint32_t> state{0};
    alignas(T) unsigned char storage[sizeof(T)];

    T* value() { return std::launder(reinterpret_cast<T*>(storage)); }
  };

  struct Block {
    std::atomic<Block*> next{nullptr};
    Slot slots[kBlockCap];
  };

  static uint64_t Offset(uint64_t position) {
    return (position / kStep) % kLap;
  }

  // Messages that fit before `position`: every lap holds kBlockCap.
  static uint64_t MessagesBefore(uint64_t position) {
    const uint64_t index = position / kStep;
    return index - index / kLap;
  }

  // Retires a fully read block and returns its successor, waiting for the
  // sender that installs it if it is not linked yet. The block becomes the
  // spare that the next install reuses (the previous spare, if any, is
  // freed): a channel that streams allocates nothing once it runs, and
  // its memory stays in cache.
  Block* AdvanceBlock(Block* block) {
    Backoff backoff;
    Block* next;
    // Acquire pairs with the installer's release store of `next`.
    while ((next = block->next.load(std::memory_order_acquire)) == nullptr) {
      backoff.Snooze();
    }
    // Release: our reads of the block happen-before a sender reuses it
    // (its exchange in NewBlock() acquires).
    delete spare_.exchange(block, std::memory_order_acq_rel);
    return next;
  }

  // A block for the next install: the spare, emptied, or a new one.
  std::unique_ptr<Block> NewBlock() {
    Block* spare = spare_.exchange(nullptr, std::memory_order_acquire);
    if (spare == nullptr) return std::make_unique<Block>();
    // Relaxed: the install publishes the block with release stores.
    spare->next.store(nullptr, std::memory_order_relaxed);
    for (Slot& slot : spare->slots) {
      slot.state.store(0, std::memory_order_relaxed);
    }
    return std::unique_ptr<Block>(spare);
  }

  // Claims the tail's slot. The common case (the tail's block is there and
  // the slot is not its last) is inline, so that it compiles into the
  // handle's fast path (fast_path.h); the rest is out of line.
  bool StartSend(Token& token) {
    // Acquire on both loads, as in StartSendSlow(); a block loaded after a
    // concurrent install is caught by the compare-and-swap, which fails.
    uint64_t tail = tail_.load(std::memory_order_acquire);
    Block* block = tail_block_.load(std::memory_order_acquire);
    const uint64_t offset = Offset(tail);
    if ((tail & kMark) == 0 && block != nullptr && offset + 1 < kBlockCap &&
        tail_.compare_exchange_weak(tail, tail + kStep,
                                    std::memory_order_seq_cst,
                                    std::memory_order_relaxed)) {
      token.slot = &block->slots[offset];
      token.stamp = tail;
      return true;
    }
    return StartSendSlow(token);
  }

  [[gnu::noinline]] bool StartSendSlow(Token& token) {
    Backoff backoff;
    // Acquire on both loads pairs with the installer's release stores: a
    // tail past a sentinel comes with the block that follows it.
    uint64_t tail = tail_.load(std::memory_order_acquire);
    Block* block = tail_block_.load(std::memory_order_acquire);
    std::unique_ptr<Block> next_block;
    for (;;) {
      if (tail & kMark) {
        token.disconnected = true;
        return true;
      }
      const uint64_t offset = Offset(tail);
      if (offset == kBlockCap || block == nullptr) {
        // Another sender is installing the next block, or nothing was ever
        // sent and the first block is missing.
        if (block == nullptr) {
          InstallFirstBlock();
        } else {
          backoff.Snooze();
        }
        tail = tail_.load(std::memory_order_acquire);
        block = tail_block_.load(std::memory_order_acquire);
        continue;
      }
      // About to take the last slot: allocate the next block before
      // claiming, so the others wait at the sentinel as briefly as possible.
      if (offset + 1 == kBlockCap && next_block == nullptr) {
        next_block = NewBlock();
      }
      // seq_cst: claims are in the single order the receiver's empty check
      // (a seq_cst load of the tail) reads.
      if (tail_.compare_exchange_weak(tail, tail + kStep,
                                      std::memory_order_seq_cst,
                                      std::memory_order_acquire)) {
        if (offset + 1 == kBlockCap) {
          // Install the next block, then move the tail past the sentinel.
          Block* next = next_block.release();
          tail_block_.store(next, std::memory_order_release);
          tail_.fetch_add(kStep, std::memory_order_release);
          block->next.store(next, std::memory_order_release);
        }
        token.slot = &block->slots[offset];
        token.stamp = tail;
        return true;
      }
      // The tail moved; `tail` holds its new value. Its block may be new.
      block = tail_block_.load(std::memory_order_acquire);
      backoff.Spin();
    }
  }

  // Gives back a claimed slot that will not be written: the tail moves back
  // if no sender claimed a later position (and the claim did not install a
  // block); otherwise the slot is published as a hole, which the receiver
  // skips (and which Len() counts until then).
  void Release(const Token& token) {
    uint64_t expected = token.stamp + kStep;
    if (Offset(token.stamp) + 1 == kBlockCap ||
        !tail_.compare_exchange_strong(expected, token.stamp,
                                       std::memory_order_seq_cst,
                                       std::memory_order_relaxed)) {
      Publish(token, kWritten | kHole);
    }
  }

  // Makes a slot visible to the receiver and wakes it if it waits. As in
  // the array flavor, the publish half of SyncWaitList's protocol is the
  // claim's seq_cst compare-and-swap on the tail, which the receiver's
  // re-check (IsReady) reads; so this store is a release, pairing with
  // StartRecv()'s acquire, and costs no barrier.
  void Publish(const Token& token, uint32_t state) {
    static_cast<Slot*>(token.slot)
        ->state.store(state, std::memory_order_release);
    receivers_.Notify();
  }

  // Reserves the head's slot. The common case (a written slot inside the
  // head's block) is inline; the rest is out of line.
  bool StartRecv(Token& token) {
    if (head_block_ != nullptr) {
      const uint64_t head = head_.load(std::memory_order_relaxed);
      const uint64_t offset = Offset(head);
      if (offset != kBlockCap) {
        Slot& slot = head_block_->slots[offset];
        // Acquire pairs with Publish(): the value is visible.
        if (slot.state.load(std::memory_order_acquire) == kWritten) {
          token.slot = &slot;
          token.stamp = head;
          return true;
        }
      }
    }
    return StartRecvSlow(token);
  }

  [[gnu::noinline]] bool StartRecvSlow(Token& token) {
    for (;;) {
      const uint64_t head = head_.load(std::memory_order_relaxed);
      if (HeadBlock() != nullptr) {
        const uint64_t offset = Offset(head);
        if (offset == kBlockCap) {
          // The block is read to its end. Every slot in it was written, and
          // the last one only after its writer linked the next block.
          head_block_ = AdvanceBlock(head_block_);
          head_.store(head + kStep, std::memory_order_release);
          continue;
        }
        Slot& slot = head_block_->slots[offset];
        // Acquire pairs with Publish(): the value is visible.
        const uint32_t state = slot.state.load(std::memory_order_acquire);
        if (state & kWritten) {
          if (state & kHole) {
            head_.store(head + kStep, std::memory_order_release);
            continue;
          }
          token.slot = &slot;
          token.stamp = head;
          return true;
        }
      }
      // Nothing at the head: empty (perhaps never sent to, with no block
      // yet), or a sender claimed this slot and is still writing it. The
      // tail is read only once disconnected, so that a receiver polling an
      // empty channel leaves the senders' cache line alone.
      if (!disconnected_.load(std::memory_order_acquire)) return false;
      if (tail_.load(std::memory_order_seq_cst) == (head | kMark)) {
        token.disconnected = true;  // Disconnected and drained.
        return true;
      }
      return false;
    }
  }

  // Allocates the first block, unless another sender did, and makes it the
  // tail's block. first_block_ is set (acq_rel) before tail_block_
  // (release), and a sender claims a position only after it loaded
  // tail_block_ (acquire), with a seq_cst compare-and-swap that the receiver
  // reads the tail with: whoever sees a claimed position sees the first
  // block.
  void InstallFirstBlock() {
    Block* first = first_block_.load(std::memory_order_acquire);
    if (first == nullptr) {
      auto fresh = std::make_unique<Block>();
      if (first_block_.compare_exchange_strong(first, fresh.get(),
                                               std::memory_order_acq_rel,
                                               std::memory_order_acquire)) {
        first = fresh.release();
      }
    }
    Block* expected = nullptr;
    tail_block_.compare_exchange_strong(
        expected, first, std::memory_order_release, std::memory_order_relaxed);
  }

  // The receiver's block: null until the first send installs one.
  Block* HeadBlock() {
    if (head_block_ == nullptr) {
      head_block_ = first_block_.load(std::memory_order_acquire);
    }
    return head_block_;
  }

  void Disconnect() {
    const uint64_t tail = tail_.fetch_or(kMark, std::memory_order_seq_cst);
    if ((tail & kMark) == 0) {
      // Release: a receiver that sees the flag sees the mark.
      disconnected_.store(true, std::memory_order_release);
      receivers_.DisconnectAll();
    }
  }

  // Receiver-owned ([single reader]). head_ is atomic only because Len()
  // reads it from other threads.
  alignas(64) std::atomic<uint64_t> head_{0};
  Block* head_block_ = nullptr;
  // Set once, after the tail is marked; polled instead of the tail.
  std::atomic<bool> disconnected_{false};

  // Claimed by senders with compare-and-swap; marked on disconnection.
  alignas(64) std::atomic<uint64_t> tail_{0};
  std::atomic<Block*> tail_block_{nullptr};
  // The last block the receiver left, kept for the next install; null if
  // taken (or none yet). Exchanged once per block by each side.
  std::atomic<Block*> spare_{nullptr};
  // The first block, set once by the first send.
  std::atomic<Block*> first_block_{nullptr};

  alignas(64) SyncWaitList receivers_;
};

}  // namespace chan::internal

#endif  // CHAN_LIB_FLAVOR_LIST_H_
