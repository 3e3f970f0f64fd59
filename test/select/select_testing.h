// Shared pieces of the select suites: the channel flavors a typed test runs
// over, waits for another thread to block on a channel, and a way to check
// that a call stops the program with a message.
#ifndef CHAN_TEST_SELECT_SELECT_TESTING_H_
#define CHAN_TEST_SELECT_SELECT_TESTING_H_

#include <atomic>
#include <boost/mpl/list.hpp>
#include <cstddef>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <utility>

#include "absl/time/time.h"
#include "chan/chan.h"

namespace chan::testing {

// The flavors, as typed test cases see them. kRoom is how many values a
// channel holds while nobody receives; kRendezvous says that a send needs a
// receiver blocked on the other side.
struct UnboundedFlavor {
  static constexpr size_t kRoom = std::numeric_limits<size_t>::max();
  static constexpr bool kRendezvous = false;
  template <class T>
  static std::pair<Sender<T>, Receiver<T>> Make() {
    return Unbounded<T>();
  }
};

template <size_t N>
struct BoundedFlavor {
  static_assert(N > 0, "capacity 0 is RendezvousFlavor");
  static constexpr size_t kRoom = N;
  static constexpr bool kRendezvous = false;
  template <class T>
  static std::pair<Sender<T>, Receiver<T>> Make() {
    return Bounded<T>(N);
  }
};

struct RendezvousFlavor {
  static constexpr size_t kRoom = 0;
  static constexpr bool kRendezvous = true;
  template <class T>
  static std::pair<Sender<T>, Receiver<T>> Make() {
    return Bounded<T>(0);
  }
};

using AllFlavors = boost::mpl::list<UnboundedFlavor, BoundedFlavor<1>,
                                    BoundedFlavor<16>, RendezvousFlavor>;
using BufferedFlavors =
    boost::mpl::list<UnboundedFlavor, BoundedFlavor<1>, BoundedFlavor<16>>;
// The flavors in which a send can block.
using BlockingFlavors =
    boost::mpl::list<BoundedFlavor<1>, BoundedFlavor<16>, RendezvousFlavor>;

// A move-only value whose loss or duplication shows: a send case that does
// not run must leave it non-null with the caller.
using Box = std::unique_ptr<int>;

// Waits until a receive from `rx` would not block — on a rendezvous
// channel, until a sender is blocked in a send. False after `limit`.
template <class T>
bool AwaitRecvReady(Receiver<T>& rx, absl::Duration limit = absl::Seconds(10)) {
  DynamicSelect select;
  select.AddRecv(rx);
  return select.ReadyFor(limit).has_value();
}

// Waits until a send on `tx` would not block — on a rendezvous channel,
// until the receiver is blocked in a receive. `probe` is never sent.
template <class T>
bool AwaitSendReady(Sender<T>& tx, T& probe,
                    absl::Duration limit = absl::Seconds(10)) {
  DynamicSelect select;
  select.AddSend(tx, probe);
  return select.ReadyFor(limit).has_value();
}

// Boost.Test's assertions are not thread-safe. Threads that a test starts
// count their failed checks here instead, and the test checks the count
// once it has joined them.
class ThreadFailures {
 public:
  // Counts a failure unless `condition` holds; returns `condition`.
  bool Check(bool condition) {
    if (!condition) count_.fetch_add(1, std::memory_order_relaxed);
    return condition;
  }
  int count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int> count_{0};
};

// Whether `wins` out of `total` is a share within [low, high].
inline bool ShareWithin(long wins, long total, double low, double high) {
  const double share = static_cast<double>(wins) / static_cast<double>(total);
  return share >= low && share <= high;
}

// How a child process ended.
struct ChildOutcome {
  bool ended = false;     // False: still running at the limit, then killed.
  bool aborted = false;   // Ended by SIGABRT.
  bool returned = false;  // The body returned (exit status 0).
  std::string stderr_text;
};

// Runs `body` in a forked child, with the child's stderr captured, and
// waits at most `limit` for it to end. Call it while the test runs no other
// thread: only the forking thread exists in the child.
ChildOutcome RunInChild(const std::function<void()>& body,
                        absl::Duration limit = absl::Seconds(20));

}  // namespace chan::testing

#endif  // CHAN_TEST_SELECT_SELECT_TESTING_H_
