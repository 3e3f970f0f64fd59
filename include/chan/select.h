// Select: wait until one of several channel operations can proceed, and
// perform exactly that one — Go's select statement, for threads.
//
//   size_t ran = chan::Select()
//       .Recv(results, [&](std::optional<Result> r) {
//         if (r) Use(*r); else results_done = true;  // nullopt: disconnected
//       })
//       .Send(audit, entry, [](chan::Status s) { ... })  // sent only if chosen
//       .Timeout(absl::Milliseconds(200), [] { ... })
//       .Wait();                                          // index of the case
//
// Cases:
//   Recv(rx, f)         f(std::optional<T>): the value, or nullopt once the
//                       channel is disconnected and drained. A disconnected
//                       receiver is always ready; it never hangs a select.
//   Send(tx, value, f)  f() or f(chan::Status): kOk once sent, or
//                       kDisconnected if the receiver is gone. `value` is
//                       moved from only if this case sends; an lvalue stays
//                       with the caller otherwise.
//   Timeout(d, f) / Deadline(t, f)
//                       f() when the time passes with nothing else ready.
//   Stop(token, f)      f() once stop is requested on the std::stop_token;
//                       a blocked select wakes for it.
//   Default(f)          makes the select non-blocking: f() when no other
//                       case is ready right away (Go's `default:`).
//
// Semantics:
//   - Exactly one case runs per Wait(). When several are ready, each is
//     chosen with equal probability; Biased() chooses the first ready case
//     in declaration order instead.
//   - A case can be disabled: pass a null Receiver*/Sender* or an empty
//     std::optional, or receive from chan::Never<T>(). The same channel may
//     appear in several cases.
//   - A rendezvous select never pairs with itself: a select that sends and
//     receives on one zero-capacity channel needs another thread.
//   - Waiting for a timeout or deadline returns at that time even if a value
//     arrives later; a value that is ready at the deadline may still be
//     taken instead of the timeout.
//   - A select with no enabled case, no timeout and no default would block
//     forever: it stops the program with a message instead.
//   - Select waits without allocating; it parks once, whatever the number of
//     cases.
//
// DynamicSelect is the same engine over a list of operations whose length is
// known only at run time (Go's reflect.Select, crossbeam's Select): add
// operations, wait, then complete the one selected.
#ifndef CHAN_SELECT_H_
#define CHAN_SELECT_H_

#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <memory>
#include <optional>
#include <stop_token>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "chan/channel.h"
#include "chan/result.h"
#include "lib/base/check.h"
#include "lib/wait/operation.h"
#include "lib/wait/stop_operation.h"
#include "lib/wait/wait.h"

namespace chan {
namespace internal {

// Each case of a select prepares its operation before the wait and, if it
// is the one chosen, completes it and runs its handler.

template <class T, class F>
class RecvCase {
  static_assert(std::is_invocable_v<F&, std::optional<T>>,
                "a Recv handler takes std::optional<T> (nullopt means the "
                "channel is disconnected)");

 public:
  RecvCase(Receiver<T>* rx, F handler)
      : rx_(rx), handler_(std::move(handler)) {}
  // value_ is empty outside a wait: nothing to move.
  RecvCase(RecvCase&& other)
      : rx_(other.rx_), handler_(std::move(other.handler_)) {}

  void Prepare(Operation& op, WaitOptions&) {
    op.target = rx_ == nullptr ? nullptr : rx_->flavor("Select::Recv");
    op.kind = OpKind::kRecv;
    op.packet.value = &value_;  // Where a rendezvous sender puts its value.
  }

  void Complete(Operation& op) {
    if (op.token.disconnected) {
      handler_(std::optional<T>());
      return;
    }
    if (!op.token.via_packet) rx_->flavor("Select::Recv")->Read(op, value_);
    std::optional<T> value = std::move(value_);
    value_.reset();
    handler_(std::move(value));
  }

  bool IsTimeout(absl::Time) const { return false; }
  bool IsDefault() const { return false; }

 private:
  Receiver<T>* rx_;
  F handler_;
  std::optional<T> value_;
};

template <class F>
void RunSendHandler(F& handler, Status status) {
  if constexpr (std::is_invocable_v<F&, Status>) {
    handler(status);
  } else {
    static_assert(std::is_invocable_v<F&>,
                  "a Send handler takes chan::Status or nothing");
    handler();
  }
}

template <class T, class F>
class SendCase {
 public:
  // Sends the caller's `*value`, which stays with the caller unless sent.
  SendCase(Sender<T>* tx, T* value, F handler)
      : tx_(tx), value_(value), handler_(std::move(handler)) {}
  // Sends a value the case owns.
  SendCase(Sender<T>* tx, T&& value, F handler)
      : tx_(tx), owned_(std::move(value)), handler_(std::move(handler)) {}
  SendCase(SendCase&& other)
      : tx_(other.tx_),
        value_(other.owned_ ? nullptr : other.value_),
        owned_(std::move(other.owned_)),
        handler_(std::move(other.handler_)) {}

  void Prepare(Operation& op, WaitOptions&) {
    op.target = tx_ == nullptr ? nullptr : tx_->flavor("Select::Send");
    op.kind = OpKind::kSend;
    op.packet.value = value();  // Where a rendezvous receiver takes it.
  }

  void Complete(Operation& op) {
    if (op.token.disconnected) {
      RunSendHandler(handler_, Status::kDisconnected);
      return;
    }
    if (!op.token.via_packet) tx_->flavor("Select::Send")->Write(op, *value());
    RunSendHandler(handler_, Status::kOk);
  }

  bool IsTimeout(absl::Time) const { return false; }
  bool IsDefault() const { return false; }

 private:
  T* value() { return owned_ ? &*owned_ : value_; }

  Sender<T>* tx_;
  T* value_ = nullptr;
  std::optional<T> owned_;
  F handler_;
};

template <class F>
class TimeoutCase {
 public:
  // A timeout measured from each Wait(), or a fixed deadline.
  TimeoutCase(std::optional<absl::Duration> timeout, absl::Time deadline,
              F handler)
      : timeout_(timeout), deadline_(deadline), handler_(std::move(handler)) {}

  void Prepare(Operation& op, WaitOptions& options) {
    op.target = nullptr;
    if (timeout_) deadline_ = DeadlineAfter(*timeout_);
    options.deadline = std::min(options.deadline, deadline_);
  }
  void Complete(Operation&) { handler_(); }
  bool IsTimeout(absl::Time fired) const { return deadline_ == fired; }
  bool IsDefault() const { return false; }

 private:
  std::optional<absl::Duration> timeout_;
  absl::Time deadline_;
  F handler_;
};

template <class F>
class DefaultCase {
 public:
  explicit DefaultCase(F handler) : handler_(std::move(handler)) {}

  void Prepare(Operation& op, WaitOptions& options) {
    op.target = nullptr;
    options.block = false;
  }
  void Complete(Operation&) { handler_(); }
  bool IsTimeout(absl::Time) const { return false; }
  bool IsDefault() const { return true; }

 private:
  F handler_;
};

template <class F>
class StopCase {
 public:
  StopCase(std::stop_token token, F handler)
      : stop_(std::move(token)), handler_(std::move(handler)) {}

  void Prepare(Operation& op, WaitOptions&) {
    op.target = stop_.stop_possible() ? &stop_ : nullptr;
    op.kind = OpKind::kRecv;
  }
  void Complete(Operation&) { handler_(); }
  bool IsTimeout(absl::Time) const { return false; }
  bool IsDefault() const { return false; }

 private:
  StopOperation stop_;
  F handler_;
};

}  // namespace internal

// The builder that chan::Select() starts. Each case method returns a new
// builder with one more case; Wait() runs the select. A builder may be kept
// and waited on again (timeouts then count from each Wait()).
template <class... Cases>
class [[nodiscard]] SelectBuilder {
 public:
  SelectBuilder() = default;
  SelectBuilder(std::tuple<Cases...> cases, bool biased)
      : cases_(std::move(cases)), biased_(biased) {}

  template <class T, class F>
  auto Recv(Receiver<T>& rx, F handler) && {
    return Add(internal::RecvCase<T, F>(&rx, std::move(handler)));
  }
  template <class T, class F>
  auto Recv(Receiver<T>* rx, F handler) && {
    return Add(internal::RecvCase<T, F>(rx, std::move(handler)));
  }
  template <class T, class F>
  auto Recv(std::optional<Receiver<T>>& rx, F handler) && {
    return Add(
        internal::RecvCase<T, F>(rx ? &*rx : nullptr, std::move(handler)));
  }

  template <class T, class F>
  auto Send(Sender<T>& tx, std::type_identity_t<T>& value, F handler) && {
    return Add(internal::SendCase<T, F>(&tx, &value, std::move(handler)));
  }
  template <class T, class F>
  auto Send(Sender<T>& tx, std::type_identity_t<T>&& value, F handler) && {
    return Add(
        internal::SendCase<T, F>(&tx, std::move(value), std::move(handler)));
  }
  template <class T, class F>
  auto Send(Sender<T>* tx, std::type_identity_t<T>& value, F handler) && {
    return Add(internal::SendCase<T, F>(tx, &value, std::move(handler)));
  }
  template <class T, class F>
  auto Send(std::optional<Sender<T>>& tx, std::type_identity_t<T>& value,
            F handler) && {
    return Add(internal::SendCase<T, F>(tx ? &*tx : nullptr, &value,
                                        std::move(handler)));
  }

  template <class F>
  auto Timeout(absl::Duration timeout, F handler) && {
    return Add(internal::TimeoutCase<F>(timeout, absl::InfiniteFuture(),
                                        std::move(handler)));
  }
  template <class F>
  auto Deadline(absl::Time deadline, F handler) && {
    return Add(
        internal::TimeoutCase<F>(std::nullopt, deadline, std::move(handler)));
  }
  template <class F>
  auto Stop(std::stop_token token, F handler) && {
    return Add(internal::StopCase<F>(std::move(token), std::move(handler)));
  }
  template <class F>
  auto Default(F handler) && {
    return Add(internal::DefaultCase<F>(std::move(handler)));
  }

  // Chooses the first ready case in declaration order instead of at random.
  SelectBuilder Biased() && {
    return SelectBuilder(std::move(cases_), /*biased=*/true);
  }

  // Waits for one case, runs it, and returns its index in declaration order.
  size_t Wait() { return WaitImpl(std::index_sequence_for<Cases...>{}); }

 private:
  template <class Case>
  SelectBuilder<Cases..., Case> Add(Case c) {
    return SelectBuilder<Cases..., Case>(
        std::tuple_cat(std::move(cases_), std::tuple<Case>(std::move(c))),
        biased_);
  }

  template <size_t... I>
  size_t WaitImpl(std::index_sequence<I...>) {
    constexpr size_t kCases = sizeof...(Cases);
    std::array<internal::Operation, kCases> ops;
    internal::WaitOptions options;
    options.fair = !biased_;
    (std::get<I>(cases_).Prepare(ops[I], options), ...);

    // Stops at the first operation that can become ready: usually the first.
    const bool enabled =
        !options.block || options.deadline != absl::InfiniteFuture() ||
        std::any_of(ops.begin(), ops.end(), [](const internal::Operation& op) {
          return op.target != nullptr && op.target->CanBecomeReady();
        });
    CHAN_CHECK(enabled,
               "chan::Select: no enabled case, no timeout and no default; "
               "the select would block forever");

    size_t chosen = internal::Wait(ops, options);
    if (chosen == internal::kTimedOut) {
      chosen = FirstCase(
          [&](const auto& c) { return c.IsTimeout(options.deadline); });
    } else if (chosen == internal::kWouldBlock) {
      chosen = FirstCase([](const auto& c) { return c.IsDefault(); });
    }
    ((I == chosen ? std::get<I>(cases_).Complete(ops[I]) : void()), ...);
    return chosen;
  }

  // The index of the first case that satisfies `match`.
  template <class Match>
  size_t FirstCase(Match match) const {
    return FirstCaseImpl(match, std::index_sequence_for<Cases...>{});
  }
  template <class Match, size_t... I>
  size_t FirstCaseImpl(Match& match, std::index_sequence<I...>) const {
    size_t found = sizeof...(Cases);
    // The || fold stops at the first match.
    (void)((match(std::get<I>(cases_)) ? (found = I, true) : false) || ...);
    return found;
  }

  std::tuple<Cases...> cases_;
  bool biased_ = false;
};

// Starts a select; see the top of this file.
inline SelectBuilder<> Select() { return {}; }

class DynamicSelect;

// The operation a DynamicSelect chose. Complete it with the Recv() or Send()
// that matches how it was added (a stop operation needs nothing). Destroying
// it without completing releases what it reserved: nothing is lost, and no
// other thread is left waiting.
//
// One exception: a send on a rendezvous channel may be complete already when
// the select returns, because a receiver that arrived while the select
// waited took the value (a send's value is given up front, so it can be
// handed over at once). Send() then reports kOk, and destroying the
// operation cannot take the value back.
//
// Complete or drop it promptly. Until then it holds what it reserved: a
// partner blocked on a rendezvous channel waits for it, parked; on a buffered
// channel, a chosen send holds a slot, and the receiver, which takes values
// in order, waits for that slot awake (spinning, then yielding).
class [[nodiscard]] SelectedOperation {
 public:
  SelectedOperation(SelectedOperation&& other) noexcept
      : select_(std::exchange(other.select_, nullptr)), index_(other.index_) {}
  SelectedOperation(const SelectedOperation&) = delete;
  SelectedOperation& operator=(const SelectedOperation&) = delete;
  SelectedOperation& operator=(SelectedOperation&&) = delete;
  ~SelectedOperation();

  // The index AddRecv()/AddSend() returned for the chosen operation.
  size_t index() const { return index_; }

  // Completes a chosen receive from `rx`: a value, or kDisconnected.
  template <class T>
  RecvResult<T> Recv(Receiver<T>& rx);

  // Completes a chosen send on `tx` of the value given to AddSend(): kOk,
  // or kDisconnected with the value handed back.
  template <class T>
  SendResult<T> Send(Sender<T>& tx);

 private:
  friend class DynamicSelect;
  SelectedOperation(DynamicSelect* select, size_t index)
      : select_(select), index_(index) {}

  internal::Operation& op();
  void* handle();

  DynamicSelect* select_;  // Null once completed or moved from.
  size_t index_;
};

// A select over a list of operations built at run time.
//
//   chan::DynamicSelect select;
//   for (auto& rx : receivers) select.AddRecv(rx);
//   chan::SelectedOperation op = select.Select();
//   chan::RecvResult<int> r = op.Recv(receivers[op.index()]);
//
// The channels must outlive the DynamicSelect. Values given to AddSend() are
// moved from only by the send that completes.
class DynamicSelect {
 public:
  DynamicSelect() = default;
  DynamicSelect(const DynamicSelect&) = delete;
  DynamicSelect& operator=(const DynamicSelect&) = delete;

  // Adds a receive; returns its index.
  template <class T>
  size_t AddRecv(Receiver<T>& rx) {
    return Add(rx.flavor("DynamicSelect::AddRecv"), internal::OpKind::kRecv,
               &rx, nullptr);
  }
  // Adds a send of `value`; returns its index. Several sends may share one
  // value: only the send that completes moves from it.
  template <class T>
  size_t AddSend(Sender<T>& tx, T& value) {
    return Add(tx.flavor("DynamicSelect::AddSend"), internal::OpKind::kSend,
               &tx, &value);
  }

  // Adds an operation that is chosen once stop is requested on `token`;
  // returns its index. A token without a stop state is never chosen.
  size_t AddStop(std::stop_token token) {
    auto& stop =
        stops_.emplace_back(std::make_unique<internal::StopOperation>(token));
    return Add(stop->stop_possible() ? stop.get() : nullptr,
               internal::OpKind::kRecv, nullptr, nullptr);
  }

  // Disables the operation at `index`: it is never chosen again (Go's nil
  // channel). For example, a receive whose channel is disconnected, and so
  // always ready, once its end has been seen.
  void Disable(size_t index) {
    CHAN_CHECK(index < ops_.size(),
               "chan::DynamicSelect::Disable: no such "
               "operation");
    internal::Selectable*& target = ops_[index].target;
    if (target != nullptr && target->CanBecomeReady()) --can_become_ready_;
    target = nullptr;
  }

  // Chooses the first ready operation in the order added, not at random.
  DynamicSelect& Biased(bool biased = true) {
    biased_ = biased;
    return *this;
  }

  // Blocks until an operation is chosen.
  SelectedOperation Select() { return *Run(absl::InfiniteFuture(), true); }
  // Chooses an operation only if one is ready now.
  std::optional<SelectedOperation> TrySelect() {
    return Run(absl::InfiniteFuture(), false);
  }
  std::optional<SelectedOperation> SelectFor(absl::Duration timeout) {
    return Run(DeadlineAfter(timeout), true);
  }
  std::optional<SelectedOperation> SelectUntil(absl::Time deadline) {
    return Run(deadline, true);
  }

  // Readiness only: the index of an operation that is ready (a receive
  // would not block, or a send would not), without performing it. By the
  // time the caller acts, another thread may have made it unready again.
  size_t Ready() { return *ReadyImpl(absl::InfiniteFuture(), true); }
  std::optional<size_t> TryReady() {
    return ReadyImpl(absl::InfiniteFuture(), false);
  }
  std::optional<size_t> ReadyFor(absl::Duration timeout) {
    return ReadyImpl(DeadlineAfter(timeout), true);
  }
  std::optional<size_t> ReadyUntil(absl::Time deadline) {
    return ReadyImpl(deadline, true);
  }

  size_t size() const { return ops_.size(); }

 private:
  friend class SelectedOperation;

  size_t Add(internal::Selectable* target, internal::OpKind kind, void* handle,
             void* value) {
    internal::Operation& op = ops_.emplace_back(target, kind);
    op.packet.value = value;
    if (target != nullptr && target->CanBecomeReady()) ++can_become_ready_;
    // A receive must stay free to not complete: a rendezvous sender must
    // not hand it a value before the caller decides. Sends may be completed
    // by a partner, since their value was given up front.
    op.accepts_handoff = kind == internal::OpKind::kSend;
    // What it reserves stays reserved until the caller completes or drops
    // the SelectedOperation, however long that takes.
    op.held = true;
    handles_.push_back(handle);
    return ops_.size() - 1;
  }

  std::optional<SelectedOperation> Run(absl::Time deadline, bool block) {
    const size_t chosen = WaitFor(deadline, block, /*ready_only=*/false);
    if (chosen >= ops_.size()) return std::nullopt;
    return SelectedOperation(this, chosen);
  }

  std::optional<size_t> ReadyImpl(absl::Time deadline, bool block) {
    const size_t chosen = WaitFor(deadline, block, /*ready_only=*/true);
    if (chosen >= ops_.size()) return std::nullopt;
    return chosen;
  }

  size_t WaitFor(absl::Time deadline, bool block, bool ready_only) {
    CHAN_CHECK(
        can_become_ready_ > 0 || !block || deadline != absl::InfiniteFuture(),
        "chan::DynamicSelect: no enabled operation and no timeout; the "
        "select would block forever");
    // Only the operation chosen last time holds a token: a try that fails
    // writes none. Resetting every token would cost more than the tries
    // themselves in a select over a thousand operations.
    if (chosen_last_ < ops_.size()) {
      ops_[chosen_last_].token = internal::Token{};
    }
    internal::WaitOptions options;
    options.deadline = deadline;
    options.block = block;
    options.fair = !biased_;
    options.ready_only = ready_only;
    chosen_last_ = internal::Wait(std::span(ops_.data(), ops_.size()), options);
    return chosen_last_;
  }

  absl::InlinedVector<internal::Operation, 4> ops_;
  absl::InlinedVector<void*, 4> handles_;  // The Receiver or Sender of each.
  std::vector<std::unique_ptr<internal::StopOperation>> stops_;
  size_t chosen_last_ = SIZE_MAX;  // The operation whose token may be set.
  // How many operations are enabled and can become ready (not Never()):
  // kept by Add() and Disable(), so that a select need not ask every
  // operation each time it runs.
  size_t can_become_ready_ = 0;
  bool biased_ = false;
};

inline internal::Operation& SelectedOperation::op() {
  CHAN_CHECK(select_ != nullptr,
             "chan::SelectedOperation completed twice or moved from");
  return select_->ops_[index_];
}

inline void* SelectedOperation::handle() { return select_->handles_[index_]; }

inline SelectedOperation::~SelectedOperation() {
  if (select_ == nullptr) return;
  internal::Operation& o = op();
  if (o.target != nullptr && !o.token.disconnected && !o.token.via_packet) {
    o.target->Abandon(o);
  }
}

template <class T>
RecvResult<T> SelectedOperation::Recv(Receiver<T>& rx) {
  internal::Operation& o = op();
  CHAN_CHECK(o.kind == internal::OpKind::kRecv && handle() == &rx,
             "chan::SelectedOperation::Recv on an operation that is not a "
             "receive from this receiver");
  select_ = nullptr;
  RecvResult<T> result;
  if (o.token.disconnected) {
    result.set_status(Status::kDisconnected);
    return result;
  }
  rx.flavor("SelectedOperation::Recv")->Read(o, result.storage());
  result.set_status(Status::kOk);
  return result;
}

template <class T>
SendResult<T> SelectedOperation::Send(Sender<T>& tx) {
  internal::Operation& o = op();
  CHAN_CHECK(o.kind == internal::OpKind::kSend && handle() == &tx,
             "chan::SelectedOperation::Send on an operation that is not a "
             "send on this sender");
  select_ = nullptr;
  T& value = *static_cast<T*>(o.packet.value);
  if (o.token.disconnected) {
    return SendResult<T>::Failed(Status::kDisconnected, std::move(value));
  }
  if (!o.token.via_packet)
    tx.flavor("SelectedOperation::Send")->Write(o, value);
  return SendResult<T>::Sent();
}

}  // namespace chan

#endif  // CHAN_SELECT_H_
