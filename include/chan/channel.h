// Typed multi-producer, single-consumer channels.
//
//   auto [tx, rx] = chan::Bounded<Job>(64);  // or Unbounded<Job>(), or
//                                            // Bounded<Job>(0): rendezvous
//   std::thread worker([rx = std::move(rx)]() mutable {
//     for (Job job : rx) Run(job);           // ends when every sender is gone
//   });
//   if (auto r = tx.Send(MakeJob()); !r) Log(r.status());  // value in r
//
// A channel has any number of `Sender`s (copyable; every copy counts) and
// one `Receiver` (move-only). Three flavors sit behind the same two types:
//
//   Unbounded<T>()   a linked list of blocks; sends never block.
//   Bounded<T>(n)    a ring of n slots; a send blocks while all are full.
//   Bounded<T>(0)    rendezvous: a send completes only when the receiver
//                    takes the value, which moves once, sender to receiver.
//
// Guarantees:
//   - A send happens-before the receive that takes its value: everything the
//     sender wrote before sending is visible to the receiver after receiving.
//   - Messages from one sender arrive in the order it sent them (FIFO per
//     sender); messages of different senders interleave.
//   - Every value sent successfully is received exactly once, or destroyed
//     exactly once with the channel: nothing is lost, nothing duplicated.
//   - Disconnection: when the last Sender is destroyed, the receiver still
//     receives everything queued, then sees Status::kDisconnected; a
//     receiver blocked at that moment wakes. The disconnection
//     happens-before the receive that reports it. When the Receiver is
//     destroyed (or closed), every send fails and hands its value back,
//     blocked senders wake, and on destruction the queued values are
//     destroyed at once, in the destroying thread.
//   - Every blocking call has a non-blocking form (Try...), a timeout form
//     (...For) and a deadline form (...Until). Deadlines saturate:
//     absl::InfiniteDuration() waits forever.
//   - T may be move-only and need not be default-constructible. If T's move
//     constructor throws during a send, the exception propagates, the
//     channel stays intact and the value stays with the caller; during a
//     receive, the value stays queued.
//
// Misuse — any operation on a moved-from handle — stops the program with a
// message naming the operation, in every build mode. The receiver is one
// thread's at a time: to hand it to another thread, move it.
#ifndef CHAN_CHANNEL_H_
#define CHAN_CHANNEL_H_

#include <cstddef>
#include <iterator>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "chan/result.h"
#include "lib/base/check.h"
#include "lib/flavor/array.h"
#include "lib/flavor/fast_path.h"
#include "lib/flavor/flavor.h"
#include "lib/flavor/list.h"
#include "lib/flavor/zero.h"
#include "lib/wait/wait.h"

namespace chan {

template <class T>
class Sender;
template <class T>
class Receiver;

namespace internal {
// Handles for a new channel; the flavor starts with one sender counted.
template <class T>
std::pair<Sender<T>, Receiver<T>> MakeChannel(Flavor<T>* flavor);
// A receiver for a flavor nobody sends to (timers).
template <class T>
Receiver<T> MakeReceiver(Flavor<T>* flavor);
}  // namespace internal

// A channel with no bound on its length: sends never block.
template <class T>
std::pair<Sender<T>, Receiver<T>> Unbounded();

// A channel of `capacity` slots; capacity 0 makes a rendezvous channel.
// Throws std::length_error if the slots cannot be allocated.
template <class T>
std::pair<Sender<T>, Receiver<T>> Bounded(size_t capacity);

// The deadline `timeout` from now, saturating: an infinite or overflowing
// timeout is an infinite deadline, a negative one is now.
inline absl::Time DeadlineAfter(absl::Duration timeout) {
  if (timeout == absl::InfiniteDuration()) return absl::InfiniteFuture();
  return absl::Now() + timeout;  // absl::Time arithmetic saturates.
}

// The sending half of a channel.
template <class T>
class Sender {
 public:
  Sender(const Sender& other) : flavor_(other.flavor_) {
    if (flavor_ != nullptr) flavor_->AddSender();
  }
  Sender& operator=(const Sender& other) {
    if (this != &other) {
      if (other.flavor_ != nullptr) other.flavor_->AddSender();
      Reset();
      flavor_ = other.flavor_;
    }
    return *this;
  }
  Sender(Sender&& other) noexcept
      : flavor_(std::exchange(other.flavor_, nullptr)) {}
  Sender& operator=(Sender&& other) noexcept {
    if (this != &other) {
      Reset();
      flavor_ = std::exchange(other.flavor_, nullptr);
    }
    return *this;
  }
  ~Sender() { Reset(); }

  // Sends, blocking while the channel is full. Fails only with
  // kDisconnected.
  SendResult<T> Send(T&& value) {
    return SendImpl(value, absl::InfiniteFuture(), "Sender::Send");
  }
  SendResult<T> Send(const T& value) { return Send(T(value)); }

  // Sends if that is possible without blocking: kFull otherwise.
  SendResult<T> TrySend(T&& value) {
    const internal::Attempt attempt =
        internal::TrySendNow(*Checked("Sender::TrySend"), value);
    if (attempt == internal::Attempt::kWouldBlock) {
      return SendResult<T>::Failed(Status::kFull, std::move(value));
    }
    return Settled(attempt, value);
  }
  SendResult<T> TrySend(const T& value) { return TrySend(T(value)); }

  // Sends, blocking at most `timeout` / until `deadline`: kTimeout then.
  // One exception, on a rendezvous channel: once a DynamicSelect has chosen
  // a receive of this waiting send, the send waits, past the deadline if
  // need be (parked, once a brief spin is over), until that operation is
  // completed or dropped.
  SendResult<T> SendFor(T&& value, absl::Duration timeout) {
    return SendImpl(value, DeadlineAfter(timeout), "Sender::SendFor");
  }
  SendResult<T> SendFor(const T& value, absl::Duration timeout) {
    return SendFor(T(value), timeout);
  }
  SendResult<T> SendUntil(T&& value, absl::Time deadline) {
    return SendImpl(value, deadline, "Sender::SendUntil");
  }
  SendResult<T> SendUntil(const T& value, absl::Time deadline) {
    return SendUntil(T(value), deadline);
  }

  // Messages queued now (0 for a rendezvous channel). A send that gave up
  // room it had claimed (its move threw, or a DynamicSelect dropped it after
  // choosing it) while a later send was already queued behind it leaves an
  // empty place, which counts here and takes room until the receiver
  // passes it.
  size_t Len() const { return Checked("Sender::Len")->Len(); }
  // The capacity; nullopt for an unbounded channel.
  std::optional<size_t> Capacity() const {
    return Checked("Sender::Capacity")->Capacity();
  }
  bool Empty() const { return Len() == 0; }
  // Whether a send would block now for want of room. Always true for a
  // rendezvous channel, never for an unbounded one.
  bool Full() const { return Checked("Sender::Full")->Full(); }
  // Whether the receiver is gone or closed.
  bool IsDisconnected() const {
    return Checked("Sender::IsDisconnected")->IsDisconnected();
  }

  // For select: the channel this sender sends on.
  internal::Flavor<T>* flavor(const char* operation) const {
    return Checked(operation);
  }

 private:
  template <class U>
  friend std::pair<Sender<U>, Receiver<U>> internal::MakeChannel(
      internal::Flavor<U>*);

  explicit Sender(internal::Flavor<T>* flavor) : flavor_(flavor) {}

  internal::Flavor<T>* Checked(const char* operation) const {
    if (flavor_ == nullptr) [[unlikely]]
      internal::DieMovedFrom(operation);
    return flavor_;
  }

  SendResult<T> SendImpl(T& value, absl::Time deadline, const char* name) {
    const internal::Attempt attempt =
        internal::TrySendBeforeWaiting(*Checked(name), value);
    if (attempt == internal::Attempt::kWouldBlock) {
      return SendWaiting(value, deadline);
    }
    return Settled(attempt, value);
  }

  // The result of a send that did not have to wait: sent, or disconnected.
  static SendResult<T> Settled(internal::Attempt attempt, T& value) {
    if (attempt == internal::Attempt::kDone) return SendResult<T>::Sent();
    return SendResult<T>::Failed(Status::kDisconnected, std::move(value));
  }

  // The slow path, kept out of line so that the fast path above inlines
  // into the caller.
  [[gnu::noinline]] SendResult<T> SendWaiting(T& value, absl::Time deadline) {
    if (std::optional<internal::Attempt> attempt =
            flavor_->SendWaiting(deadline, value)) {
      if (*attempt == internal::Attempt::kWouldBlock) {
        return SendResult<T>::Failed(Status::kTimeout, std::move(value));
      }
      return Settled(*attempt, value);
    }
    internal::Operation op(flavor_, internal::OpKind::kSend);
    op.packet.value = &value;  // Where a rendezvous receiver takes it.
    internal::WaitOptions options;
    options.deadline = deadline;
    options.just_tried = true;
    if (internal::Wait(std::span(&op, 1), options) == internal::kTimedOut) {
      return SendResult<T>::Failed(Status::kTimeout, std::move(value));
    }
    return Finish(op, value);
  }

  // Completes a send whose operation is ready.
  SendResult<T> Finish(internal::Operation& op, T& value) {
    if (op.token.disconnected) {
      return SendResult<T>::Failed(Status::kDisconnected, std::move(value));
    }
    if (!op.token.via_packet) flavor_->Write(op, value);
    return SendResult<T>::Sent();
  }

  void Reset() {
    if (flavor_ != nullptr) std::exchange(flavor_, nullptr)->DropSender();
  }

  internal::Flavor<T>* flavor_;  // Null after a move.
};

// The receiving half of a channel.
template <class T>
class Receiver {
 public:
  class Iterator;
  class DrainRange;

  Receiver(Receiver&& other) noexcept
      : flavor_(std::exchange(other.flavor_, nullptr)) {}
  Receiver& operator=(Receiver&& other) noexcept {
    if (this != &other) {
      Reset();
      flavor_ = std::exchange(other.flavor_, nullptr);
    }
    return *this;
  }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;
  ~Receiver() { Reset(); }

  // Receives, blocking while the channel is empty: a value, or
  // kDisconnected once every sender is gone and the channel is drained.
  RecvResult<T> Recv() {
    return RecvImpl(absl::InfiniteFuture(), "Receiver::Recv");
  }

  // Receives if a value is there now: kEmpty otherwise.
  RecvResult<T> TryRecv() {
    RecvResult<T> result;  // kEmpty
    const internal::Attempt attempt =
        internal::TryRecvNow(*Checked("Receiver::TryRecv"), result.storage());
    if (attempt != internal::Attempt::kWouldBlock) Settle(attempt, result);
    return result;
  }

  // Receives, blocking at most `timeout` / until `deadline`: kTimeout then.
  // One exception, on a rendezvous channel: once a DynamicSelect has chosen
  // a send to this waiting receive, the receive waits, past the deadline if
  // need be (parked, once a brief spin is over), until that operation is
  // completed or dropped.
  RecvResult<T> RecvFor(absl::Duration timeout) {
    return RecvImpl(DeadlineAfter(timeout), "Receiver::RecvFor");
  }
  RecvResult<T> RecvUntil(absl::Time deadline) {
    return RecvImpl(deadline, "Receiver::RecvUntil");
  }

  // Closes the channel from the receiving side: sends fail from now on and
  // blocked senders wake; what is queued stays to be received, after which
  // receives report kDisconnected.
  void Close() { Checked("Receiver::Close")->CloseReceiver(); }

  size_t Len() const { return Checked("Receiver::Len")->Len(); }
  std::optional<size_t> Capacity() const {
    return Checked("Receiver::Capacity")->Capacity();
  }
  bool Empty() const { return Len() == 0; }
  bool Full() const { return Checked("Receiver::Full")->Full(); }
  // Whether every sender is gone (or the receiver closed). Values may still
  // be queued.
  bool IsDisconnected() const {
    return Checked("Receiver::IsDisconnected")->IsDisconnected();
  }

  // Blocking iteration: yields values until the channel is disconnected
  // and drained.
  Iterator begin();
  std::default_sentinel_t end() { return {}; }

  // Non-blocking iteration over what is queued now:
  //   for (T v : rx.Drain()) ...
  DrainRange Drain();

  // For select: the channel this receiver receives from.
  internal::Flavor<T>* flavor(const char* operation) const {
    return Checked(operation);
  }

 private:
  template <class U>
  friend std::pair<Sender<U>, Receiver<U>> internal::MakeChannel(
      internal::Flavor<U>*);
  template <class U>
  friend Receiver<U> internal::MakeReceiver(internal::Flavor<U>*);

  explicit Receiver(internal::Flavor<T>* flavor) : flavor_(flavor) {}

  internal::Flavor<T>* Checked(const char* operation) const {
    if (flavor_ == nullptr) [[unlikely]]
      internal::DieMovedFrom(operation);
    return flavor_;
  }

  RecvResult<T> RecvImpl(absl::Time deadline, const char* name) {
    RecvResult<T> result;
    const internal::Attempt attempt =
        internal::TryRecvBeforeWaiting(*Checked(name), result.storage());
    if (attempt == internal::Attempt::kWouldBlock) {
      RecvWaiting(deadline, result);
    } else {
      Settle(attempt, result);
    }
    return result;
  }

  // The status of a receive that did not have to wait: a value, or
  // disconnected.
  static void Settle(internal::Attempt attempt, RecvResult<T>& result) {
    result.set_status(attempt == internal::Attempt::kDone
                          ? Status::kOk
                          : Status::kDisconnected);
  }

  // The slow path, kept out of line so that the fast path above inlines
  // into the caller.
  [[gnu::noinline]] void RecvWaiting(absl::Time deadline,
                                     RecvResult<T>& result) {
    if (std::optional<internal::Attempt> attempt =
            flavor_->RecvWaiting(deadline, result.storage())) {
      if (*attempt == internal::Attempt::kWouldBlock) {
        result.set_status(Status::kTimeout);
      } else {
        Settle(*attempt, result);
      }
      return;
    }
    internal::Operation op(flavor_, internal::OpKind::kRecv);
    op.packet.value = &result.storage();  // Where a sender puts its value.
    internal::WaitOptions options;
    options.deadline = deadline;
    options.just_tried = true;
    if (internal::Wait(std::span(&op, 1), options) == internal::kTimedOut) {
      result.set_status(Status::kTimeout);
      return;
    }
    Finish(op, result);
  }

  // Completes a receive whose operation is ready.
  void Finish(internal::Operation& op, RecvResult<T>& result) {
    if (op.token.disconnected) {
      result.set_status(Status::kDisconnected);
      return;
    }
    if (!op.token.via_packet) flavor_->Read(op, result.storage());
    result.set_status(Status::kOk);
  }

  void Reset() {
    if (flavor_ != nullptr) std::exchange(flavor_, nullptr)->DropReceiver();
  }

  internal::Flavor<T>* flavor_;  // Null after a move.
};

// Input iterator over a receiver; each increment is a blocking Recv().
template <class T>
class Receiver<T>::Iterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = T;
  using difference_type = std::ptrdiff_t;

  Iterator() = default;
  explicit Iterator(Receiver* receiver, bool blocking)
      : receiver_(receiver), blocking_(blocking) {
    Advance();
  }

  T& operator*() const { return *current_; }
  T* operator->() const { return &*current_; }
  Iterator& operator++() {
    Advance();
    return *this;
  }
  void operator++(int) { Advance(); }
  bool operator==(std::default_sentinel_t) const {
    return !current_.has_value();
  }

 private:
  void Advance() {
    // The previous value goes before the wait for the next one, and T need
    // not be assignable.
    current_.reset();
    RecvResult<T> r = blocking_ ? receiver_->Recv() : receiver_->TryRecv();
    if (r) current_.emplace(std::move(r).value());
  }

  Receiver* receiver_ = nullptr;
  bool blocking_ = true;
  mutable std::optional<T> current_;
};

// The range Drain() returns: what the channel holds, without blocking.
template <class T>
class Receiver<T>::DrainRange {
 public:
  explicit DrainRange(Receiver* receiver) : receiver_(receiver) {}
  Iterator begin() { return Iterator(receiver_, /*blocking=*/false); }
  std::default_sentinel_t end() { return {}; }

 private:
  Receiver* receiver_;
};

template <class T>
typename Receiver<T>::Iterator Receiver<T>::begin() {
  Checked("Receiver::begin");
  return Iterator(this, /*blocking=*/true);
}

template <class T>
typename Receiver<T>::DrainRange Receiver<T>::Drain() {
  Checked("Receiver::Drain");
  return DrainRange(this);
}

namespace internal {

template <class T>
std::pair<Sender<T>, Receiver<T>> MakeChannel(Flavor<T>* flavor) {
  return {Sender<T>(flavor), Receiver<T>(flavor)};
}

template <class T>
Receiver<T> MakeReceiver(Flavor<T>* flavor) {
  flavor->ReleaseSendingSide();
  return Receiver<T>(flavor);
}

}  // namespace internal

template <class T>
std::pair<Sender<T>, Receiver<T>> Unbounded() {
  return internal::MakeChannel<T>(new internal::List<T>);
}

template <class T>
std::pair<Sender<T>, Receiver<T>> Bounded(size_t capacity) {
  if (capacity == 0) return internal::MakeChannel<T>(new internal::Zero<T>);
  return internal::MakeChannel<T>(new internal::Array<T>(capacity));
}

}  // namespace chan

#endif  // CHAN_CHANNEL_H_
