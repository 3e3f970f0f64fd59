// Timer flavors: receive-only channels whose readiness is a deadline. No
// thread runs them: a receive checks the clock, and a blocked wait (single
// or select) parks until the earliest deadline among its operations.
//
// Invariant [single reader]: only the receiver's thread touches a timer's
// state, so it needs no atomics.
#ifndef CHAN_LIB_FLAVOR_TIMER_H_
#define CHAN_LIB_FLAVOR_TIMER_H_

#include <optional>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "lib/base/check.h"
#include "lib/flavor/flavor.h"

namespace chan::internal {

// The parts common to every flavor that nobody can send to.
template <class T>
class ReceiveOnly : public Flavor<T> {
 public:
  // Nothing to register with: the loop parks until Deadline().
  bool Register(Operation& op, Context&, uintptr_t) override {
    return this->IsReady(op);
  }
  void Unregister(Operation&, Context&, uintptr_t) override {}
  void Abandon(Operation&) override {}
  void Write(Operation&, T&) override {
    Die("a timer channel cannot be sent to");
  }
  void DisconnectSenders() override {}
  void CloseReceiver() override {}
  void DiscardAll() override {}
  std::optional<size_t> Capacity() const override { return 1; }
  bool IsDisconnected() const override { return false; }
};

// Delivers `deadline` once, at `deadline`; then never again.
class AtTimer final : public ReceiveOnly<absl::Time> {
 public:
  explicit AtTimer(absl::Time deadline) : deadline_(deadline) {}

  bool TryReserve(Operation& op) override { return IsReady(op); }
  bool IsReady(Operation&) override {
    return !fired_ && absl::Now() >= deadline_;
  }
  absl::Time Deadline(Operation&) override {
    return fired_ ? absl::InfiniteFuture() : deadline_;
  }
  void Read(Operation&, std::optional<absl::Time>& out) override {
    out.emplace(deadline_);
    fired_ = true;
  }
  size_t Len() const override {
    return !fired_ && absl::Now() >= deadline_ ? 1 : 0;
  }

 private:
  const absl::Time deadline_;
  bool fired_ = false;
};

// Delivers the time of each tick: start + period, start + 2 * period, ...
// At most one tick is pending: a receiver that falls behind gets the latest
// tick that is due, and the ticks it missed are dropped (as Go's Ticker
// does); the schedule itself never drifts.
class TickTimer final : public ReceiveOnly<absl::Time> {
 public:
  TickTimer(absl::Time start, absl::Duration period)
      : next_(start + period), period_(period) {}

  bool TryReserve(Operation& op) override { return IsReady(op); }
  bool IsReady(Operation&) override { return absl::Now() >= next_; }
  absl::Time Deadline(Operation&) override { return next_; }
  void Read(Operation&, std::optional<absl::Time>& out) override {
    // Skip to the latest tick that is due; the next one follows it.
    const absl::Time now = absl::Now();
    absl::Duration remainder;
    const int64_t missed = absl::IDivDuration(now - next_, period_, &remainder);
    const absl::Time latest = next_ + missed * period_;
    out.emplace(latest);
    next_ = latest + period_;
  }
  size_t Len() const override { return absl::Now() >= next_ ? 1 : 0; }

 private:
  absl::Time next_;
  const absl::Duration period_;
};

// Never ready: a case that is always disabled.
template <class T>
class NeverFlavor final : public ReceiveOnly<T> {
 public:
  bool TryReserve(Operation&) override { return false; }
  bool IsReady(Operation&) override { return false; }
  bool CanBecomeReady() const override { return false; }
  void Read(Operation&, std::optional<T>&) override {
    Die("a Never channel was read");
  }
  size_t Len() const override { return 0; }
  std::optional<size_t> Capacity() const override { return 0; }
};

}  // namespace chan::internal

#endif  // CHAN_LIB_FLAVOR_TIMER_H_
