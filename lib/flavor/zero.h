// The rendezvous flavor (capacity 0): a send completes only when a receiver
// takes its value, and the value moves once, from the sender to the
// receiver, through whichever side waited.
//
// One lock guards both waiter lists and the disconnected flag. A side that
// finds a partner waiting selects the partner's context under the lock, and
// moves the value after releasing it, so no user code ever runs under it.
//
// A blocking send or receive (not a select) waits in the channel's lane
// instead of a list: one word in the channel object, beside the lock, which
// either side arms under the lock and the other claims by one
// compare-and-swap without it. The lane holds one waiter: a send or
// receive that finds it busy (or, for a send, finds senders waiting in the
// list, who came first) waits in the list instead. A waiting receiver is
// claimed by a sender, which leaves its value and marks the lane full; a
// waiting sender's offer is claimed by a receiver (or a select receiving),
// which takes the value and marks it taken. So whichever side comes first, the
// second touches one cache line and no lock: a hand-off through the lists
// touches three (the lock, the waiter's entry, its context). A small trivially
// copyable value travels in the lane itself, beside the word; any other value
// moves once, straight from the sender's storage or into the receiver's.
//
// The word follows the context's sleep handshake (awake, asleep; see
// AwaitWord()), so a lane waiter spins, parks and is woken exactly as a
// select is; and once more, after a claim, while a dynamic select's caller
// holds the claimed operation, which may take as long as it likes. Any
// other claim ends within a move, and its waiter only spins. It also counts
// arms, so that a waiter whose wait was ended and whose lane was armed again
// since by someone else can tell. A claimer that cannot complete (its move
// threw, or its select dropped the operation) does not hand the lane back: it
// ends the wait with "declined", and the waiter starts over under the lock,
// where it sees whatever changed meanwhile.
#ifndef CHAN_LIB_FLAVOR_ZERO_H_
#define CHAN_LIB_FLAVOR_ZERO_H_

#include <atomic>
#include <cstring>
#include <memory>
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

// The lane word: the number of times the lane was armed, then the state.
enum LaneState : uintptr_t {
  kLaneFree = 0,  // Nobody waits; may be armed.
  kRecvAwake,     // A receiver waits, spinning.
  kRecvAsleep,    // A receiver waits, parked (or about to park).
  kSendAwake,     // A sender waits with its value offered, spinning.
  kSendAsleep,    // A sender waits with its value offered, parked.
  kLaneFilling,   // A send (a select's too) or Disconnect() claimed the
                  // receiver's wait.
  kLaneTaking,    // A receive (a select's too) or Disconnect() claimed the
                  // sender's offer.
  kLaneFull,      // The receiver's wait ended with the value delivered; may
                  // be armed again (see Armable()).
  kLaneTaken,     // The sender's wait ended with its value taken; may be
                  // armed again.
  kLaneDeclined,  // The claimer gave up: the waiter starts over.
  kLaneClosed,    // The channel disconnected: the waiter starts over.
  // Claimed by a dynamic select, whose caller holds the claim for as long
  // as it holds the selected operation (Operation::held):
  kLaneFillingHeld,  // Its send claimed the receiver's wait.
  kLaneTakingHeld,   // Its receive claimed the sender's offer.
  kLaneHeldAsleep,   // Either, and the waiter parked (or is about to).
};
inline constexpr int kLaneStateBits = 4;
constexpr uintptr_t LaneStateOf(uintptr_t word) {
  return word & ((uintptr_t{1} << kLaneStateBits) - 1);
}
constexpr uintptr_t LaneArmsOf(uintptr_t word) {
  return word >> kLaneStateBits;
}
constexpr uintptr_t LaneWord(uintptr_t arms, LaneState state) {
  return (arms << kLaneStateBits) | state;
}

template <class T>
class Zero final : public Flavor<T> {
 public:
  bool TryReserve(Operation& op) override {
    // A partner waiting in the lane is claimed without the lock.
    if (ClaimLaneFor(op)) return true;
    SpinLockGuard guard(lock_);
    return ReserveLocked(op);
  }

  // A blocking send or receive tries the lane alone: SendWaiting() and
  // RecvWaiting() begin with the whole attempt, under the lock.
  Attempt TrySendBeforeWaiting(T& value) override {
    Operation op(this, OpKind::kSend);
    if (!ClaimLaneFor(op)) return Attempt::kWouldBlock;
    FillLane(op, value);
    return Attempt::kDone;
  }
  Attempt TryRecvBeforeWaiting(std::optional<T>& out) override {
    Operation op(this, OpKind::kRecv);
    if (!ClaimLaneFor(op)) return Attempt::kWouldBlock;
    TakeOffer(op, out);
    return Attempt::kDone;
  }

  // A blocking receive through the lane; kWouldBlock: the deadline passed.
  std::optional<Attempt> RecvWaiting(absl::Time deadline,
                                     std::optional<T>& out) override {
    return WaitThroughLane(
        OpKind::kRecv, deadline,
        [&] {
          if constexpr (!kValueInLane) delivered_ = &out;
        },
        [&](Operation& op) { Read(op, out); },
        [&] {
          // AwaitLane's acquire saw the sender's release: the value is in
          // `out`, or in the lane, to be moved out (which cannot throw).
          if constexpr (kValueInLane) {
            out.emplace(std::move(*InLane(delivered_)));
          }
        });
  }

  // A blocking send through the lane; kWouldBlock: the deadline passed.
  std::optional<Attempt> SendWaiting(absl::Time deadline, T& value) override {
    return WaitThroughLane(
        OpKind::kSend, deadline,
        [&] {
          // The bytes, copied (T is trivially copyable, maybe move-only):
          // if nobody takes them, the value is still the caller's.
          if constexpr (kValueInLane) {
            std::memcpy(offered_.bytes, std::addressof(value), sizeof(T));
          } else {
            offered_ = &value;
          }
        },
        [&](Operation& op) { Write(op, value); }, [] {});
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
    if (op.token.slot == &lane_) {
      TakeOffer(op, out);
      return;
    }
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

  // The loop of a blocking send or receive through the lane: reserve, or
  // arm the lane with what `publish()` stores for the claimer and wait in
  // it; `complete(op)` completes a reservation, `take()` a wait that ended
  // with the hand-off done.
  template <class Publish, class Complete, class Take>
  std::optional<Attempt> WaitThroughLane(OpKind kind, absl::Time deadline,
                                         Publish publish, Complete complete,
                                         Take take) {
    for (;;) {
      Operation op(this, kind);
      const std::optional<uintptr_t> armed =
          ReserveOrArm(op, deadline, publish);
      if (!armed) return std::nullopt;  // The lane is busy: the lists.
      if (*armed == kReserved) {
        if (op.token.disconnected) return Attempt::kDisconnected;
        complete(op);
        return Attempt::kDone;
      }
      if (*armed == kExpired) return Attempt::kWouldBlock;
      switch (AwaitLane(*armed, deadline)) {
        case kLaneFull:
        case kLaneTaken:
          take();
          return Attempt::kDone;
        case kLaneFree:
          return Attempt::kWouldBlock;  // Withdrawn at the deadline.
        default:
          continue;  // Declined or closed: start over under the lock.
      }
    }
  }

  // ReserveOrArm()'s answers besides an armed word, which always counts at
  // least one arm and so is neither.
  static constexpr uintptr_t kReserved = 0;  // op is reserved: complete it.
  static constexpr uintptr_t kExpired = 1;   // Nothing ready, deadline past.

  // Under the lock: reserves `op` if a partner is ready, or else arms the
  // lane for the calling thread to wait in (as kRecvAwake or kSendAwake,
  // by op.kind), after `publish()` has stored what the claimer needs.
  // Returns kReserved, kExpired, the armed word, or nullopt when the lane
  // is not free (or, for a send, when other senders wait in the list, who
  // came first): the caller then waits through the lists.
  template <class Publish>
  std::optional<uintptr_t> ReserveOrArm(Operation& op, absl::Time deadline,
                                        Publish publish) {
    // Read before the lock, and only for a finite deadline; checked only if
    // nothing is ready, so that what is ready at the deadline is taken.
    const bool expired =
        deadline != absl::InfiniteFuture() && absl::Now() >= deadline;
    Context& self = Context::ForThisThread();
    SpinLockGuard guard(lock_);
    if (ReserveLocked(op)) return kReserved;
    if (expired) return kExpired;
    // Acquire: the lane's last claimer's release (it took the offer it
    // claimed, or delivered its value) happens before we publish into the
    // lane again; our release below passes that on to whoever finds this
    // arm overwritten.
    const uintptr_t word = lane_.load(std::memory_order_acquire);
    if (!Armable(LaneStateOf(word))) return std::nullopt;
    const bool send = op.kind == OpKind::kSend;
    if (send && senders_.HasWaiterBesides(self)) return std::nullopt;
    // Armed under the lock, so that a partner registering after this sees
    // it (ReadyLocked), and one registered before was paired with above,
    // unless it was already selected elsewhere or aborting (it then
    // retries and finds the lane) or only observes (woken just below).
    // Release: publishes lane_waiter_ and what publish() stored to the
    // claimer, whose compare-and-swap acquires.
    lane_waiter_ = &self;
    publish();
    const uintptr_t armed =
        LaneWord(LaneArmsOf(word) + 1, send ? kSendAwake : kRecvAwake);
    lane_.store(armed, std::memory_order_release);
    Partners(op).NotifyObservers();
    return armed;
  }

  // Whether the lane may be armed in `state`. Invariant [free to arm]:
  // nobody holds a claim on it, and an arm writes nothing that its last
  // waiter still reads. A taken lane's sender reads only the word, where a
  // later arm shows it that its wait ended (the count of arms moved on). A
  // full lane's receiver may not have taken its value yet, but it reads
  // only the word and delivered_, and an arm over it writes neither
  // delivered_ nor anything the receiver reads: a send's arm publishes
  // offered_ and lane_waiter_, and a receive's arm is the receiver's own,
  // made after it took the value (there is one receiver).
  static constexpr bool Armable(uintptr_t state) {
    return state == kLaneFree || state == kLaneFull || state == kLaneTaken;
  }

  // TryReserve() under lock_. Inlined, so that the blocking calls' lock is
  // held no longer than the work: called, it cost spsc bounded(0) 5-10%
  // (medians of 21 alternating runs).
  [[gnu::always_inline]] bool ReserveLocked(Operation& op) {
    if (disconnected_.load(std::memory_order_relaxed)) {
      op.token.disconnected = true;
      return true;
    }
    // The lane may have been armed since the lock-free look.
    if (ClaimLaneFor(op)) return true;
    // Pair with a partner waiting on the other side, if any.
    std::optional<Selection> partner = Partners(op).TrySelect();
    if (!partner) return false;
    op.token.slot = partner->packet;
    op.partner = std::move(partner->wake);
    return true;
  }

  // Whether `op`, of the thread owning `self`, can complete now. Needs lock_.
  // The lane's waiter is never `self`: it is blocked in RecvWaiting() or
  // SendWaiting().
  bool ReadyLocked(const Operation& op, const Context& self) {
    return disconnected_.load(std::memory_order_relaxed) ||
           IsPartnerState(op,
                          LaneStateOf(lane_.load(std::memory_order_relaxed))) ||
           Partners(op).HasWaiterBesides(self);
  }

  // Whether a lane in `state` holds a partner for `op`.
  static bool IsPartnerState(const Operation& op, uintptr_t state) {
    const uintptr_t awake = PartnerAwake(op);
    return state == awake || state == awake + 1;
  }
  // The awake state of the partner `op` claims; asleep is the next one.
  static LaneState PartnerAwake(const Operation& op) {
    return op.kind == OpKind::kSend ? kRecvAwake : kSendAwake;
  }

  // The state a claim moves the lane to from the waiter's `state`. A held
  // claim (a dynamic select's: Operation::held) lets the waiter park while
  // the select's caller holds it, and costs a compare-and-swap instead of
  // a store to end (EndLaneWait()); any other claim ends within its move
  // and does not pay that.
  static LaneState ClaimedState(uintptr_t state, bool held) {
    const bool receiver = state == kRecvAwake || state == kRecvAsleep;
    return receiver ? (held ? kLaneFillingHeld : kLaneFilling)
                    : (held ? kLaneTakingHeld : kLaneTaking);
  }

  // Claims the lane if a waiter armed it as `awake` (or its asleep state
  // next to it), as `held` or not (ClaimedState()): the lane is the
  // claimer's until it ends the wait (EndLaneWait()). Returns the word it
  // claimed, which says how to end the wait and whether the waiter sleeps.
  std::optional<uintptr_t> ClaimLane(LaneState awake, bool held) {
    const LaneState claimed = ClaimedState(awake, held);
    // Acquire on success: pairs with the arming release (continued by the
    // waiter's move to asleep), so lane_waiter_ and what the waiter
    // published are the waiter's.
    uintptr_t word = lane_.load(std::memory_order_relaxed);
    while (LaneStateOf(word) == awake || LaneStateOf(word) == awake + 1) {
      if (lane_.compare_exchange_weak(word, LaneWord(LaneArmsOf(word), claimed),
                                      std::memory_order_acquire,
                                      std::memory_order_relaxed)) {
        return word;
      }
    }
    return std::nullopt;
  }

  // ClaimLane() for `op`, which then completes or abandons it.
  bool ClaimLaneFor(Operation& op) {
    const std::optional<uintptr_t> claimed =
        ClaimLane(PartnerAwake(op), op.held);
    if (!claimed) return false;
    op.token.slot = &lane_;
    op.token.stamp = *claimed;
    return true;
  }

  // Ends the wait in a lane we claimed (as `held` or not) from the word
  // `claimed`, with `end`. The waiter cannot return while the lane is
  // claimed, so its context is alive until the word leaves the claim; if
  // it sleeps, the reference to wake it is taken before that, after which
  // it may return and its thread exit. Release, on the store and on the
  // compare-and-swap: pairs with the waiter's acquire, so that what we did
  // to the value is done before it looks.
  void EndLaneWait(uintptr_t claimed, LaneState end, bool held) {
    const uintptr_t arms = LaneArmsOf(claimed);
    const uintptr_t done = LaneWord(arms, end);
    const uintptr_t state = LaneStateOf(claimed);
    if (state == kRecvAwake || state == kSendAwake) {
      // Claimed awake. Only a held claim's waiter moves the word off the
      // claim (to kLaneHeldAsleep, to park); a store could overwrite that
      // move unseen and leave it parked for good, so a held claim ends
      // with a compare-and-swap, which tells. (It would cost a plain claim
      // dearly: it waits for the line the spinning waiter keeps reading,
      // where a store does not; spsc bounded(0) took 8-18% longer.)
      if (!held) {
        lane_.store(done, std::memory_order_release);
        return;
      }
      uintptr_t word = LaneWord(arms, ClaimedState(state, held));
      if (lane_.compare_exchange_strong(word, done, std::memory_order_release,
                                        std::memory_order_relaxed)) {
        return;
      }
    }
    const Unparker wake = lane_waiter_->unparker();
    lane_.store(done, std::memory_order_release);
    wake.Unpark();
  }

  // Completes a claimed receive wait: the value moves into the lane or into
  // the receiver's storage, then the receiver is told. If the move throws,
  // the lane is declined and the exception propagates; the value stays
  // ours.
  void FillLane(Operation& op, T& value) {
    if constexpr (kValueInLane) {
      ::new (static_cast<void*>(delivered_.bytes)) T(std::move(value));
    } else {
      try {
        delivered_->emplace(std::move(value));
      } catch (...) {
        DeclineLane(op);
        throw;
      }
    }
    EndLaneWait(op.token.stamp, kLaneFull, op.held);
  }

  // Completes a claimed offer: the value moves out of the lane or out of
  // the sender's storage into `out`, then the sender is told. If the move
  // throws, the lane is declined and the exception propagates; the value
  // stays the sender's.
  void TakeOffer(Operation& op, std::optional<T>& out) {
    if constexpr (kValueInLane) {
      out.emplace(std::move(*InLane(offered_)));
    } else {
      try {
        out.emplace(std::move(*offered_));
      } catch (...) {
        DeclineLane(op);
        throw;
      }
    }
    EndLaneWait(op.token.stamp, kLaneTaken, op.held);
  }

  // Gives up a claimed lane: the waiter starts over (see the top).
  void DeclineLane(Operation& op) {
    EndLaneWait(op.token.stamp, kLaneDeclined, op.held);
    op.token.slot = nullptr;
  }

  // Waits in the lane armed as `armed` until a claimer ends the wait or the
  // deadline passes. Returns kLaneFull or kLaneTaken (done), kLaneDeclined
  // or kLaneClosed (start over; the lane is free again), or kLaneFree once
  // withdrawn at the deadline.
  LaneState AwaitLane(uintptr_t armed, absl::Time deadline) {
    Context& self = Context::ForThisThread();
    // Only a claimer moves the word off `armed` and the asleep word after
    // it (besides our own move to asleep), so AwaitWord() returns either at
    // the deadline or with the lane claimed or done.
    uintptr_t word =
        AwaitWord(lane_, self.parker(), deadline, armed, armed + 1);
    const uintptr_t arms = LaneArmsOf(armed);
    // At the deadline, withdraw, unless a claimer gets in first. Acquire
    // (needed on failure only; GCC rejects a failure order stronger than
    // the success order): the word found may be the claimer's last store.
    if ((word == armed || word == armed + 1) &&
        lane_.compare_exchange_strong(word, LaneWord(arms, kLaneFree),
                                      std::memory_order_acquire,
                                      std::memory_order_acquire)) {
      return kLaneFree;
    }
    // Claimed: the claimer may use what we published until it ends the
    // wait, so we wait for that past the deadline. A plain send or
    // receive's claim (or a static select's) ends within its move: spin. A
    // dynamic select's lasts until its caller completes or drops the
    // operation: spin, then park (AwaitHeldClaim()).
    const auto claimed = [arms](uintptr_t w, LaneState a, LaneState b) {
      return LaneArmsOf(w) == arms &&
             (LaneStateOf(w) == a || LaneStateOf(w) == b);
    };
    if (claimed(word, kLaneFillingHeld, kLaneTakingHeld)) {
      word = AwaitHeldClaim(word, self.parker());
    }
    Backoff backoff;
    while (claimed(word, kLaneFilling, kLaneTaking)) {
      backoff.Poll();
      word = lane_.load(std::memory_order_acquire);
    }
    // Armed again since: only a done wait can be overwritten [free to arm].
    if (LaneArmsOf(word) != arms) {
      return LaneStateOf(armed) == kRecvAwake ? kLaneFull : kLaneTaken;
    }
    const auto end = static_cast<LaneState>(LaneStateOf(word));
    if (end == kLaneDeclined || end == kLaneClosed) {
      // Free the lane for whoever arms it next, ourselves included. Release:
      // the claimer's accesses to what we published (acquired above) happen
      // before the next arm's publish, which acquires this.
      lane_.store(LaneWord(arms, kLaneFree), std::memory_order_release);
    }
    return end;
  }

  // Waits, past any deadline, until the dynamic select that claimed the
  // lane as `word` (held) ends the wait, and returns the word that ended
  // it; the select's end finds us asleep (EndLaneWait()). Out of line: it
  // is rare, and inlined it kept AwaitLane() out of the blocking calls.
  [[gnu::noinline]] uintptr_t AwaitHeldClaim(uintptr_t word, Parker& parker) {
    return AwaitWord(lane_, parker, absl::InfiniteFuture(), word,
                     LaneWord(LaneArmsOf(word), kLaneHeldAsleep));
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
  // partner would, so that the waiter cannot leave while we read its
  // context. Needs lock_ (with disconnected_ set), under which the lane is
  // armed, so it is not armed again. A lane claimed by someone else is left
  // to them: their end of the wait sends the waiter back under the lock,
  // where it sees disconnected_.
  void CloseLane() {
    std::optional<uintptr_t> claimed = ClaimLane(kRecvAwake, false);
    if (!claimed) claimed = ClaimLane(kSendAwake, false);
    if (claimed) EndLaneWait(*claimed, kLaneClosed, false);
  }

  // Storage in the lane for one value, if kValueInLane.
  struct LaneStorage {
    alignas(T) unsigned char bytes[sizeof(T)];
  };
  static T* InLane(LaneStorage& storage) {
    return std::launder(reinterpret_cast<T*>(storage.bytes));
  }

  // The one-byte members first, where they fill the base's tail padding,
  // so that an idle channel is as small as the layout allows; then the
  // lane, so that for values of up to 8 bytes the lock, the lane word, the
  // waiter and the value share a cache line in most of the ways a 16-byte
  // aligned allocation can fall.
  SpinLock lock_;
  // Written under lock_; atomic so that IsDisconnected() needs no lock.
  std::atomic<bool> disconnected_{false};

  // The lane. Invariant: it is armed (to kRecvAwake or kSendAwake, one more
  // arm counted) only under lock_, only from a state Armable() allows and
  // only while not disconnected; leaves an armed state only by its waiter
  // (to asleep, or to kLaneFree at its deadline) or by one claim (to
  // kLaneFilling or kLaneTaking, or their held states: a partner's, or
  // Disconnect()'s); leaves a claimed state only by its claimer (to
  // kLaneFull, kLaneTaken, kLaneDeclined or kLaneClosed), except that a
  // held state's waiter may first move it to kLaneHeldAsleep, which only
  // the claimer leaves; and leaves kLaneDeclined and kLaneClosed
  // only by the waiter (to kLaneFree). So a waiter never sees its own arm
  // again once claimed, and everything that happened meanwhile it sees
  // under the lock. lane_waiter_ and what the waiter publishes (delivered_,
  // or the offer) are written before arming and read by the claimer; a
  // value delivered into the lane is written by the claimer before
  // kLaneFull and read by the receiver after.
  std::atomic<uintptr_t> lane_{LaneWord(0, kLaneFree)};
  Context* lane_waiter_ = nullptr;  // Whom to wake.
  // Where a receiver's value goes, and a sender's offer: in the lane (each
  // holds a T from its publication or fill until taken), or a pointer to
  // the receiver's storage and to the sender's value.
  std::conditional_t<kValueInLane, LaneStorage, std::optional<T>*> delivered_{};
  std::conditional_t<kValueInLane, LaneStorage, T*> offered_{};

  WaitList senders_;  // Guarded by lock_: senders that did not use the lane.
  // Guarded by lock_: selects that receive, and a blocking receive that
  // found the lane busy.
  WaitList receivers_;
};

}  // namespace chan::internal

#endif  // CHAN_LIB_FLAVOR_ZERO_H_
