// Timeout (...For) and deadline (...Until) forms: they return a value that
// comes in time, time out with kTimeout (never early) otherwise, hand a
// send's value back on timeout, wait forever on an infinite timeout, and act
// as a try on a zero or negative one. Elapsed times are checked from below;
// the upper bounds only catch a wait that ignores its deadline.
#define BOOST_TEST_MODULE timeout
#include <atomic>
#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "chan/chan.h"
#include "test/channel/channel_testing.h"
#include "test/support/scale.h"

namespace chan::testing {
namespace {

using std::chrono_literals::operator""ms;

using AllFlavors = boost::mpl::list<UnboundedMaker, BoundedMaker<1>,
                                    BoundedMaker<16>, RendezvousMaker>;
// Flavors in which a sender can block.
using BlockingFlavors =
    boost::mpl::list<BoundedMaker<1>, BoundedMaker<16>, RendezvousMaker>;

const absl::Duration kShort = absl::Milliseconds(30);
const absl::Duration kGenerous = absl::Seconds(10);

// Sends `value` from another thread after `delay`.
class LateSender {
 public:
  LateSender(Sender<int> tx, int value, std::chrono::milliseconds delay)
      : thread_([tx = std::move(tx), value, delay]() mutable {
          std::this_thread::sleep_for(delay);
          (void)tx.Send(value);
        }) {}
  ~LateSender() { thread_.join(); }

 private:
  std::thread thread_;
};

BOOST_AUTO_TEST_CASE_TEMPLATE(RecvForTakesAValueThatComesInTime, Maker,
                              AllFlavors) {
  auto [tx, rx] = Maker::template Make<int>();
  const absl::Time start = absl::Now();
  RecvResult<int> r;
  {
    LateSender late(tx, 7, 10ms);
    r = rx.RecvFor(kGenerous);
  }
  BOOST_TEST(r.status() == Status::kOk);
  BOOST_TEST(r.value() == 7);
  BOOST_TEST(absl::Now() - start < kGenerous);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(RecvUntilTakesAValueThatComesInTime, Maker,
                              AllFlavors) {
  auto [tx, rx] = Maker::template Make<int>();
  const absl::Time deadline = absl::Now() + kGenerous;
  RecvResult<int> r;
  {
    LateSender late(tx, 8, 10ms);
    r = rx.RecvUntil(deadline);
  }
  BOOST_TEST(r.status() == Status::kOk);
  BOOST_TEST(r.value() == 8);
  BOOST_TEST(absl::Now() < deadline);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(RecvForTimesOutWhenNothingComes, Maker,
                              AllFlavors) {
  auto [tx, rx] = Maker::template Make<int>();
  const absl::Time start = absl::Now();
  RecvResult<int> r = rx.RecvFor(kShort);
  const absl::Duration waited = absl::Now() - start;
  BOOST_TEST(r.status() == Status::kTimeout);
  BOOST_TEST(!std::move(r).to_optional().has_value());
  BOOST_TEST(waited >= kShort);
  BOOST_TEST(waited < kGenerous);

  // The channel works as before.
  LateSender late(tx, 1, 0ms);
  BOOST_TEST(rx.RecvFor(kGenerous).value() == 1);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(RecvUntilTimesOutAtTheDeadline, Maker,
                              AllFlavors) {
  auto [tx, rx] = Maker::template Make<int>();
  const absl::Time deadline = absl::Now() + kShort;
  RecvResult<int> r = rx.RecvUntil(deadline);
  BOOST_TEST(r.status() == Status::kTimeout);
  BOOST_TEST(absl::Now() >= deadline);
  BOOST_TEST(absl::Now() < deadline + kGenerous);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(InfiniteTimeoutWaitsForTheValue, Maker,
                              AllFlavors) {
  auto [tx, rx] = Maker::template Make<int>();
  {
    LateSender late(tx, 1, 10ms);
    RecvResult<int> r = rx.RecvFor(absl::InfiniteDuration());
    BOOST_TEST(r.status() == Status::kOk);
    BOOST_TEST(r.value() == 1);
  }
  {
    LateSender late(tx, 2, 10ms);
    RecvResult<int> r = rx.RecvUntil(absl::InfiniteFuture());
    BOOST_TEST(r.status() == Status::kOk);
    BOOST_TEST(r.value() == 2);
  }
}

// A finite timeout too long to ever pass waits like an infinite one.
BOOST_AUTO_TEST_CASE_TEMPLATE(HugeFiniteTimeoutWaitsForTheValue, Maker,
                              AllFlavors) {
  auto [tx, rx] = Maker::template Make<int>();
  const absl::Duration thousand_years = absl::Hours(24 * 365 * 1000);
  const absl::Duration almost_max =
      absl::Seconds(std::numeric_limits<int64_t>::max() / 2);
  {
    LateSender late(tx, 1, 10ms);
    BOOST_TEST(rx.RecvFor(thousand_years).value() == 1);
  }
  {
    LateSender late(tx, 2, 10ms);
    BOOST_TEST(rx.RecvFor(almost_max).value() == 2);
  }
  {
    LateSender late(tx, 3, 10ms);
    BOOST_TEST(rx.RecvUntil(absl::Now() + almost_max).value() == 3);
  }
}

// A zero or negative timeout, or a deadline already past, tries once: with
// nothing there it reports kTimeout at once.
BOOST_AUTO_TEST_CASE_TEMPLATE(PastDeadlineRecvOnEmptyTimesOutAtOnce, Maker,
                              AllFlavors) {
  auto [tx, rx] = Maker::template Make<int>();
  const absl::Time start = absl::Now();
  BOOST_TEST(rx.RecvFor(absl::ZeroDuration()).status() == Status::kTimeout);
  BOOST_TEST(rx.RecvFor(-absl::Seconds(1)).status() == Status::kTimeout);
  BOOST_TEST(rx.RecvFor(-absl::InfiniteDuration()).status() ==
             Status::kTimeout);
  BOOST_TEST(rx.RecvUntil(absl::Now() - absl::Seconds(1)).status() ==
             Status::kTimeout);
  BOOST_TEST(rx.RecvUntil(absl::InfinitePast()).status() == Status::kTimeout);
  BOOST_TEST(absl::Now() - start < kGenerous);
}

// ...and with a value there, it takes it, as TryRecv would.
BOOST_AUTO_TEST_CASE_TEMPLATE(PastDeadlineRecvTakesWhatIsThere, Maker,
                              AllFlavors) {
  using Recv = RecvResult<int> (*)(Receiver<int>&);
  const Recv forms[] = {
      [](Receiver<int>& r) { return r.RecvFor(absl::ZeroDuration()); },
      [](Receiver<int>& r) { return r.RecvFor(-absl::Seconds(1)); },
      [](Receiver<int>& r) { return r.RecvFor(-absl::InfiniteDuration()); },
      [](Receiver<int>& r) { return r.RecvUntil(absl::InfinitePast()); },
  };
  auto [tx, rx] = Maker::template Make<int>();
  int value = 0;
  for (Recv recv : forms) {
    BOOST_TEST_CONTEXT("receive form " << value) {
      std::thread sender([&tx, value] { (void)tx.Send(value); });
      // A rendezvous sender must be waiting before a try can meet it.
      const absl::Time deadline = absl::Now() + kGenerous;
      RecvResult<int> r = recv(rx);
      while (r.status() == Status::kTimeout && absl::Now() < deadline) {
        std::this_thread::sleep_for(1ms);
        r = recv(rx);
      }
      sender.join();
      BOOST_TEST(r.status() == Status::kOk);
      BOOST_TEST(r.value() == value);
    }
    ++value;
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(PastDeadlineSendIsATry, Maker, AllFlavors) {
  using Send = SendResult<Boxed> (*)(Sender<Boxed>&, Boxed &&);
  const Send forms[] = {
      [](Sender<Boxed>& s, Boxed&& v) {
        return s.SendFor(std::move(v), absl::ZeroDuration());
      },
      [](Sender<Boxed>& s, Boxed&& v) {
        return s.SendFor(std::move(v), -absl::Seconds(1));
      },
      [](Sender<Boxed>& s, Boxed&& v) {
        return s.SendUntil(std::move(v), absl::InfinitePast());
      },
  };
  auto [tx, rx] = Maker::template Make<Boxed>();
  const absl::Time start = absl::Now();
  int value = 0;
  for (Send send : forms) {
    BOOST_TEST_CONTEXT("send form " << value) {
      // While there is room, it sends.
      for (size_t i = 0; i < RoomFor<Maker>(100); ++i) {
        BOOST_TEST(send(tx, Boxed(value)).ok());
      }
      if constexpr (Maker::kKind != Kind::kUnbounded) {
        // Without room it times out at once, value in hand.
        Boxed box(value);
        const int* cell = box.cell();
        SendResult<Boxed> r = send(tx, std::move(box));
        BOOST_TEST(r.status() == Status::kTimeout);
        BOOST_TEST(r.value().cell() == cell);
      }
      for (Boxed& box : rx.Drain()) BOOST_TEST(box.value() == value);
    }
    ++value;
  }
  BOOST_TEST(absl::Now() - start < kGenerous);
}

template <class Maker>
void Fill(Sender<Boxed>& tx) {
  for (size_t i = 0; i < RoomFor<Maker>(100); ++i) {
    BOOST_TEST_REQUIRE(tx.TrySend(Boxed(static_cast<int>(i))).ok());
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(SendForTimesOutWithoutRoom, Maker,
                              BlockingFlavors) {
  auto [tx, rx] = Maker::template Make<Boxed>();
  Fill<Maker>(tx);
  Boxed box(-7);
  const int* cell = box.cell();
  const absl::Time start = absl::Now();
  SendResult<Boxed> r = tx.SendFor(std::move(box), kShort);
  const absl::Duration waited = absl::Now() - start;
  BOOST_TEST(r.status() == Status::kTimeout);
  BOOST_TEST(r.value().value() == -7);
  BOOST_TEST(r.value().cell() == cell);
  BOOST_TEST(waited >= kShort);
  BOOST_TEST(waited < kGenerous);
  // Nothing of the timed-out send reached the channel.
  size_t received = 0;
  for (Boxed& queued : rx.Drain()) {
    BOOST_TEST(queued.value() == static_cast<int>(received));
    ++received;
  }
  BOOST_TEST(received == RoomFor<Maker>(100));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(SendUntilTimesOutAtTheDeadline, Maker,
                              BlockingFlavors) {
  auto [tx, rx] = Maker::template Make<Boxed>();
  Fill<Maker>(tx);
  const absl::Time deadline = absl::Now() + kShort;
  SendResult<Boxed> r = tx.SendUntil(Boxed(-8), deadline);
  BOOST_TEST(r.status() == Status::kTimeout);
  BOOST_TEST(r.value().value() == -8);
  BOOST_TEST(absl::Now() >= deadline);
  BOOST_TEST(absl::Now() < deadline + kGenerous);
}

// Takes one value from `rx` after `delay`, in another thread, making room.
class LateReceiver {
 public:
  LateReceiver(Receiver<Boxed>& rx, std::chrono::milliseconds delay)
      : thread_([&rx, delay] {
          std::this_thread::sleep_for(delay);
          (void)rx.Recv();
        }) {}
  ~LateReceiver() { thread_.join(); }

 private:
  std::thread thread_;
};

BOOST_AUTO_TEST_CASE_TEMPLATE(SendForSucceedsWhenRoomComesInTime, Maker,
                              BlockingFlavors) {
  auto [tx, rx] = Maker::template Make<Boxed>();
  Fill<Maker>(tx);
  {
    LateReceiver late(rx, 10ms);
    BOOST_TEST(tx.SendFor(Boxed(1), kGenerous).ok());
  }
  {
    LateReceiver late(rx, 10ms);
    BOOST_TEST(tx.SendUntil(Boxed(2), absl::Now() + kGenerous).ok());
  }
  {
    LateReceiver late(rx, 10ms);
    BOOST_TEST(tx.SendFor(Boxed(3), absl::InfiniteDuration()).ok());
  }
  {
    LateReceiver late(rx, 10ms);
    BOOST_TEST(tx.SendUntil(Boxed(4), absl::InfiniteFuture()).ok());
  }
}

// A value that comes just as a receive times out is never lost: either the
// timed receive returns it, or it is still there for the next receive.
BOOST_AUTO_TEST_CASE_TEMPLATE(RecvTimeoutRacingASendLosesNothing, Maker,
                              AllFlavors) {
  const int n = Scaled(300);
  auto [tx, rx] = Maker::template Make<int>();
  std::thread sender([n, tx = std::move(tx)]() mutable {
    std::minstd_rand random(1);
    for (int i = 0; i < n; ++i) {
      std::this_thread::sleep_for(std::chrono::microseconds(random() % 1500));
      if (!tx.Send(i)) return;
    }
  });
  std::minstd_rand random(2);
  int wrong = 0;
  int timeouts = 0;
  for (int i = 0; i < n; ++i) {
    RecvResult<int> r =
        rx.RecvFor(absl::Microseconds(static_cast<int64_t>(random() % 1000)));
    if (r.status() == Status::kTimeout) {
      ++timeouts;
      r = rx.Recv();
    }
    if (!r || *r != i) ++wrong;
  }
  sender.join();
  BOOST_TEST(wrong == 0);
  BOOST_TEST(rx.Recv().status() == Status::kDisconnected);
  BOOST_TEST_MESSAGE("timed out " << timeouts << " of " << n);
}

// Sends that time out and retry with the handed-back value deliver every
// value exactly once, in order.
BOOST_AUTO_TEST_CASE_TEMPLATE(SendTimeoutRacingARecvLosesNothing, Maker,
                              BlockingFlavors) {
  const int n = Scaled(300);
  auto [tx, rx] = Maker::template Make<Boxed>();
  int timeouts = 0;
  int wrong_sends = 0;
  std::thread sender([&, tx = std::move(tx)]() mutable {
    std::minstd_rand random(3);
    for (int i = 0; i < n; ++i) {
      Boxed box(i);
      for (;;) {
        const absl::Duration timeout =
            absl::Microseconds(static_cast<int64_t>(random() % 1000));
        SendResult<Boxed> r = tx.SendFor(std::move(box), timeout);
        if (r.ok()) break;
        if (r.status() != Status::kTimeout) {
          ++wrong_sends;
          return;
        }
        ++timeouts;
        box = std::move(r).value();
      }
    }
  });
  std::minstd_rand random(4);
  std::vector<int> received;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::microseconds(random() % 1500));
    RecvResult<Boxed> r = rx.Recv();
    if (!r) break;
    received.push_back(r->value());
  }
  sender.join();
  std::vector<int> expected(n);
  for (int i = 0; i < n; ++i) expected[i] = i;
  BOOST_TEST(received == expected);
  BOOST_TEST(wrong_sends == 0);
  BOOST_TEST_MESSAGE("timed out " << timeouts << " times");
}

}  // namespace
}  // namespace chan::testing
