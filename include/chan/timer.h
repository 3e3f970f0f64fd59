// Timer channels: receivers that deliver the time at a deadline, with no
// thread behind them. They work like any other receiver — Recv(), TryRecv(),
// RecvFor(), range-for — and as cases in a select, where the wait parks until
// the earliest deadline among its cases.
//
//   chan::Receiver<absl::Time> tick = chan::Tick(absl::Seconds(1));
//   chan::Receiver<absl::Time> done = chan::After(absl::Minutes(1));
//   for (bool running = true; running;) {
//     chan::Select()
//         .Recv(tick, [](std::optional<absl::Time> t) { Heartbeat(*t); })
//         .Recv(done, [&](std::optional<absl::Time>) { running = false; })
//         .Wait();
//   }
//
// Deadlines saturate: absl::InfiniteDuration() (or a duration so long that
// now + d overflows) means never, and a negative duration means now.
#ifndef CHAN_TIMER_H_
#define CHAN_TIMER_H_

#include <stdexcept>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "chan/channel.h"
#include "lib/flavor/timer.h"

namespace chan {

// Delivers `deadline` once, when it arrives. After that the receiver is
// never ready again (and never disconnected), like Go's time.After.
inline Receiver<absl::Time> At(absl::Time deadline) {
  return MakeReceiver<absl::Time>(new internal::AtTimer(deadline));
}

// Delivers now + `delay` once, when that time arrives.
inline Receiver<absl::Time> After(absl::Duration delay) {
  return At(DeadlineAfter(delay));
}

// Delivers the time of each tick, every `period` from now. A receiver that
// falls behind gets only the latest tick that is due: missed ticks are
// dropped, and the schedule does not drift. Throws std::invalid_argument if
// `period` is not positive.
inline Receiver<absl::Time> Tick(absl::Duration period) {
  if (period <= absl::ZeroDuration()) {
    throw std::invalid_argument("chan::Tick: the period must be positive");
  }
  return MakeReceiver<absl::Time>(new internal::TickTimer(absl::Now(), period));
}

// Never delivers anything, and never disconnects: a receive blocks until
// its timeout, and a select case on it never runs (Go's nil channel).
template <class T>
Receiver<T> Never() {
  return MakeReceiver<T>(new internal::NeverFlavor<T>);
}

}  // namespace chan

#endif  // CHAN_TIMER_H_
