// Timeouts racing values. Whatever the interleaving, a value is either
// delivered by the select or stays where it was — queued, or with its
// sender — never both and never neither. And a value that is ready when the
// deadline has already passed is still taken instead of the timeout, as
// select.h documents.
#define BOOST_TEST_MODULE timeout_race
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <cstddef>
#include <memory>
#include <optional>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "chan/chan.h"
#include "test/select/select_testing.h"
#include "test/support/scale.h"

namespace chan::testing {
namespace {

const absl::Duration kGenerous = absl::Seconds(10);
// The race window: the other side acts within about this much of the
// deadline, before or after it.
const absl::Duration kDeadline = absl::Milliseconds(2);

// Sleeps until `when` plus a random offset in [-spread, +spread].
void SleepAround(absl::Time when, absl::Duration spread,
                 std::minstd_rand& random) {
  const int64_t range = absl::ToInt64Microseconds(spread);
  const absl::Duration offset = absl::Microseconds(
      static_cast<int64_t>(random() % (2 * range + 1)) - range);
  absl::SleepFor(when + offset - absl::Now());
}

// A sender sends at about the moment a select's timeout expires. If the
// select timed out, the value must still be there for a later receive.
BOOST_AUTO_TEST_CASE_TEMPLATE(RecvTimeoutRacingASend, Flavor, AllFlavors) {
  const int rounds = Scaled(300);
  std::minstd_rand random(1);
  int by_select = 0;
  int afterwards = 0;
  int wrong = 0;
  for (int round = 0; round < rounds; ++round) {
    auto [tx, rx] = Flavor::template Make<int>();
    const absl::Time start = absl::Now();
    bool sent = false;
    std::thread sender([&, tx = std::move(tx)]() mutable {
      SleepAround(start + kDeadline, absl::Microseconds(500), random);
      sent = tx.Send(round).ok();
    });
    int delivered = 0;
    const size_t ran = Select()
                           .Recv(rx,
                                 [&](std::optional<int> v) {
                                   if (v && *v == round) ++delivered;
                                 })
                           .Timeout(kDeadline, [] {})
                           .Wait();
    if (ran == 0) {
      ++by_select;
    } else {
      // Timed out: the value is queued, or its sender is still waiting
      // (a rendezvous), or it has not been sent yet.
      RecvResult<int> r = rx.RecvFor(kGenerous);
      if (r.ok() && *r == round) {
        ++delivered;
        ++afterwards;
      }
    }
    sender.join();
    if (!sent || delivered != 1) ++wrong;
    // Nothing more: the sender is gone and the channel is empty.
    if (rx.TryRecv().status() != Status::kDisconnected) ++wrong;
  }
  BOOST_TEST_MESSAGE("taken by the select " << by_select << ", afterwards "
                                            << afterwards);
  BOOST_TEST(wrong == 0);
}

// A receiver makes room (or, on a rendezvous channel, arrives) at about the
// moment a send case's timeout expires. If the timeout ran, the value is
// still the caller's and never reaches the receiver.
BOOST_AUTO_TEST_CASE_TEMPLATE(SendTimeoutRacingARecv, Flavor, BlockingFlavors) {
  const int rounds = Scaled(300);
  std::minstd_rand random(2);
  int sent_count = 0;
  int wrong = 0;
  for (int round = 0; round < rounds; ++round) {
    auto [tx, rx] = Flavor::template Make<Box>();
    for (size_t i = 0; i < Flavor::kRoom; ++i) {
      BOOST_REQUIRE(tx.Send(std::make_unique<int>(-1)).ok());  // Full.
    }
    const absl::Time start = absl::Now();
    std::vector<Box> received;
    std::thread receiver([&, rx = std::move(rx)]() mutable {
      SleepAround(start + kDeadline, absl::Microseconds(500), random);
      for (Box& b : rx) received.push_back(std::move(b));
    });
    Box value = std::make_unique<int>(round);
    int* const cell = value.get();
    bool handler_ran = false;
    const size_t ran = Select()
                           .Send(tx, value, [&] { handler_ran = true; })
                           .Timeout(kDeadline, [] {})
                           .Wait();
    { Sender<Box> gone = std::move(tx); }  // Ends the receiver's loop.
    receiver.join();

    const bool sent = ran == 0;
    sent_count += sent;
    if (sent != handler_ran) ++wrong;
    if (sent != (value == nullptr)) ++wrong;
    if (received.size() != Flavor::kRoom + (sent ? 1 : 0)) ++wrong;
    if (sent && (received.empty() || received.back().get() != cell)) ++wrong;
  }
  BOOST_TEST_MESSAGE("sent " << sent_count << " of " << rounds);
  BOOST_TEST(wrong == 0);
}

// Many senders select with short random timeouts on one channel and offer
// the same value again after each timeout; the receiver is slower. A send
// that timed out but had in fact gone through would arrive twice.
BOOST_AUTO_TEST_CASE_TEMPLATE(RetriedTimedOutSendsArriveOnce, Flavor,
                              BlockingFlavors) {
  constexpr int kSenders = 4;
  const int kPerSender = Scaled(1000);
  auto [tx, rx] = Flavor::template Make<int>();
  std::vector<std::thread> senders;
  for (int s = 0; s < kSenders; ++s) {
    senders.emplace_back([tx = Sender<int>(tx), s, kPerSender]() mutable {
      std::minstd_rand random(s + 10);
      for (int i = 0; i < kPerSender; ++i) {
        int value = s * kPerSender + i;
        for (bool sent = false; !sent;) {
          (void)Select()
              .Send(tx, value, [&] { sent = true; })
              .Timeout(absl::Microseconds(random() % 500), [] {})
              .Wait();
        }
      }
    });
  }
  { Sender<int> gone = std::move(tx); }
  std::vector<int> counts(kSenders * kPerSender, 0);
  int wrong = 0;
  for (int v : rx) {
    if (v < 0 || v >= kSenders * kPerSender) {
      ++wrong;
    } else {
      ++counts[v];
    }
  }
  for (std::thread& t : senders) t.join();
  BOOST_TEST(wrong == 0);
  BOOST_TEST(counts == std::vector<int>(kSenders * kPerSender, 1),
             boost::test_tools::per_element());
}

// The same race through DynamicSelect::SelectFor.
BOOST_AUTO_TEST_CASE_TEMPLATE(SelectForRacingASend, Flavor, AllFlavors) {
  const int rounds = Scaled(300);
  std::minstd_rand random(3);
  int wrong = 0;
  for (int round = 0; round < rounds; ++round) {
    auto [tx, rx] = Flavor::template Make<int>();
    const absl::Time start = absl::Now();
    std::thread sender([&, tx = std::move(tx)]() mutable {
      SleepAround(start + kDeadline, absl::Microseconds(500), random);
      (void)tx.Send(round);
    });
    int delivered = 0;
    DynamicSelect select;
    select.AddRecv(rx);
    if (std::optional<SelectedOperation> op = select.SelectFor(kDeadline)) {
      RecvResult<int> r = op->Recv(rx);
      if (r.ok() && *r == round) ++delivered;
    } else {
      RecvResult<int> r = rx.RecvFor(kGenerous);
      if (r.ok() && *r == round) ++delivered;
    }
    sender.join();
    if (delivered != 1) ++wrong;
    if (rx.TryRecv().status() != Status::kDisconnected) ++wrong;
  }
  BOOST_TEST(wrong == 0);
}

// A timer and a timeout due at the same instant: one of them runs, and if
// it was the timeout, the timer's value is still there.
BOOST_AUTO_TEST_CASE(TimerRacingATimeoutAtTheSameInstant) {
  const int rounds = Scaled(200);
  int timer_won = 0;
  int wrong = 0;
  for (int round = 0; round < rounds; ++round) {
    const absl::Time when = absl::Now() + absl::Microseconds(300);
    Receiver<absl::Time> timer = At(when);
    std::optional<absl::Time> fired;
    const size_t ran =
        Select()
            .Recv(timer, [&](std::optional<absl::Time> t) { fired = t; })
            .Deadline(when, [] {})
            .Wait();
    if (ran == 0) {
      ++timer_won;
      if (fired != when) ++wrong;
      if (timer.TryRecv().status() != Status::kEmpty) ++wrong;
    } else {
      RecvResult<absl::Time> r = timer.TryRecv();
      if (!r.ok() || *r != when) ++wrong;
    }
    if (absl::Now() < when) ++wrong;  // Neither runs early.
  }
  BOOST_TEST_MESSAGE("the timer won " << timer_won << " of " << rounds);
  BOOST_TEST(wrong == 0);
}

// --- A ready value at a deadline that has passed ---------------------------

// Runs a select of a receive from `rx` and, added by `add_timeout`, a
// timeout that has already expired; returns the index that ran.
template <class AddTimeout>
size_t RecvWithExpiredTimeout(Receiver<int>& rx, AddTimeout add_timeout,
                              std::optional<int>& got) {
  return add_timeout(Select().Recv(rx, [&](std::optional<int> v) { got = v; }))
      .Wait();
}

template <class Flavor>
void CheckReadyValueBeatsExpiredTimeouts() {
  auto past = [](auto builder) {
    return std::move(builder).Deadline(absl::Now() - absl::Seconds(1), [] {});
  };
  auto infinite_past = [](auto builder) {
    return std::move(builder).Deadline(absl::InfinitePast(), [] {});
  };
  auto zero = [](auto builder) {
    return std::move(builder).Timeout(absl::ZeroDuration(), [] {});
  };
  auto negative = [](auto builder) {
    return std::move(builder).Timeout(-absl::Seconds(1), [] {});
  };
  auto negative_infinite = [](auto builder) {
    return std::move(builder).Timeout(-absl::InfiniteDuration(), [] {});
  };
  constexpr int kVariants = 5;

  auto [tx, rx] = Flavor::template Make<int>();
  std::thread sender;
  if constexpr (Flavor::kRendezvous) {
    // One blocked send per variant.
    sender = std::thread([tx = Sender<int>(tx)]() mutable {
      for (int i = 0; i < kVariants; ++i) (void)tx.Send(i);
    });
  }
  std::vector<size_t> ran;
  std::vector<std::optional<int>> got(kVariants);
  auto run = [&](auto add_timeout) {
    const size_t i = ran.size();
    if constexpr (!Flavor::kRendezvous) {
      BOOST_REQUIRE(tx.Send(static_cast<int>(i)).ok());
    }
    BOOST_REQUIRE(AwaitRecvReady(rx));
    ran.push_back(RecvWithExpiredTimeout(rx, add_timeout, got[i]));
  };
  run(past);
  run(infinite_past);
  run(zero);
  run(negative);
  run(negative_infinite);
  if (sender.joinable()) sender.join();
  BOOST_TEST(ran == std::vector<size_t>(kVariants, 0),
             boost::test_tools::per_element());
  for (int i = 0; i < kVariants; ++i) BOOST_TEST((got[i] == i));

  // With nothing ready, the same selects time out at once.
  for (auto add :
       {+[](Receiver<int>&r, std::optional<int>&g) {
          return RecvWithExpiredTimeout(
              r,
              [](auto b) {
                return std::move(b).Deadline(absl::InfinitePast(), [] {});
              },
              g);
        },
        +[](Receiver<int>&r, std::optional<int>&g) {
          return RecvWithExpiredTimeout(
              r,
              [](auto b) {
                return std::move(b).Timeout(absl::ZeroDuration(), [] {});
              },
              g);
        }}) {
    std::optional<int> none;
    const absl::Time start = absl::Now();
    BOOST_TEST(add(rx, none) == 1u);
    BOOST_TEST(!none.has_value());
    BOOST_TEST(absl::Now() - start < kGenerous);
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(ReadyValueBeatsAnExpiredTimeout, Flavor,
                              AllFlavors) {
  CheckReadyValueBeatsExpiredTimeouts<Flavor>();
}

BOOST_AUTO_TEST_CASE(ReadySendBeatsAnExpiredTimeout) {
  auto [tx, rx] = Bounded<Box>(1);
  Box value = std::make_unique<int>(1);
  const size_t ran = Select()
                         .Send(tx, value, [] {})
                         .Deadline(absl::InfinitePast(), [] {})
                         .Wait();
  BOOST_TEST(ran == 0u);
  BOOST_TEST(value == nullptr);
  BOOST_TEST(rx.Len() == 1u);
}

BOOST_AUTO_TEST_CASE(ReadyTimerBeatsAnExpiredTimeout) {
  const absl::Time when = absl::Now() - absl::Milliseconds(1);
  Receiver<absl::Time> timer = At(when);
  std::optional<absl::Time> fired;
  const size_t ran =
      Select()
          .Deadline(absl::InfinitePast(), [] {})
          .Recv(timer, [&](std::optional<absl::Time> t) { fired = t; })
          .Wait();
  BOOST_TEST(ran == 1u);
  BOOST_TEST((fired == when));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(ValueArrivingAfterTheTimeoutStaysQueued, Flavor,
                              AllFlavors) {
  auto [tx, rx] = Flavor::template Make<int>();
  const absl::Duration timeout = absl::Milliseconds(20);
  bool sent = false;
  std::thread sender([&, tx = std::move(tx)]() mutable {
    absl::SleepFor(3 * timeout);
    sent = tx.Send(5).ok();
  });
  bool got = false;
  const absl::Time start = absl::Now();
  const size_t ran = Select()
                         .Recv(rx, [&](std::optional<int>) { got = true; })
                         .Timeout(timeout, [] {})
                         .Wait();
  const absl::Duration waited = absl::Now() - start;
  // Only a very late wake-up could see the value first.
  if (waited < 3 * timeout) {
    BOOST_TEST(ran == 1u);
    BOOST_TEST(!got);
  }
  RecvResult<int> r = rx.RecvFor(kGenerous);
  sender.join();
  BOOST_TEST(sent);
  BOOST_TEST(got != r.ok());
  BOOST_TEST(rx.TryRecv().status() == Status::kDisconnected);
}

}  // namespace
}  // namespace chan::testing
