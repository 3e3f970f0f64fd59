// Matching on rendezvous channels when both sides may be selects: every
// value that a send case reports sent is received exactly once, a send case
// that loses (to a timeout, or to another case) has sent nothing, and a
// thread never pairs with itself.
#define BOOST_TEST_MODULE rendezvous_matching
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

// Counts how often each value in [0, n) arrived.
std::vector<int> Histogram(const std::vector<int>& values, int n) {
  std::vector<int> counts(n, 0);
  for (int v : values) {
    BOOST_REQUIRE((v >= 0 && v < n));
    ++counts[v];
  }
  return counts;
}

// K senders select-send on one rendezvous channel with short random
// timeouts, retrying the same value after each timeout; one receiver
// selects with a timeout too. A timed-out send that had in fact paired
// would show up as a value received twice.
BOOST_AUTO_TEST_CASE(SendersAndReceiverAllSelectingWithTimeouts) {
  constexpr int kSenders = 8;
  const int kPerSender = Scaled(1000);
  auto [tx, rx] = Bounded<int>(0);
  std::vector<std::thread> senders;
  std::atomic<long> send_timeouts{0};
  ThreadFailures failures;
  for (int s = 0; s < kSenders; ++s) {
    senders.emplace_back([tx = Sender<int>(tx), s, kPerSender, &send_timeouts,
                          &failures]() mutable {
      std::minstd_rand random(s + 1);
      for (int i = 0; i < kPerSender; ++i) {
        int value = s * kPerSender + i;
        for (bool sent = false; !sent;) {
          const absl::Duration wait = absl::Microseconds(random() % 2000);
          const size_t ran = Select()
                                 .Send(tx, value,
                                       [&](Status st) {
                                         failures.Check(st == Status::kOk);
                                         sent = true;
                                       })
                                 .Timeout(wait, [&] { ++send_timeouts; })
                                 .Wait();
          failures.Check((ran == 0u) == sent);
        }
      }
    });
  }
  { Sender<int> gone = std::move(tx); }

  std::vector<int> received;
  long recv_timeouts = 0;
  for (bool open = true; open;) {
    (void)Select()
        .Recv(rx,
              [&](std::optional<int> v) {
                if (v) {
                  received.push_back(*v);
                } else {
                  open = false;
                }
              })
        .Timeout(absl::Milliseconds(1), [&] { ++recv_timeouts; })
        .Wait();
  }
  for (std::thread& t : senders) t.join();
  BOOST_TEST(failures.count() == 0);
  BOOST_TEST_MESSAGE("send timeouts " << send_timeouts.load()
                                      << ", receive timeouts "
                                      << recv_timeouts);
  const std::vector<int> counts = Histogram(received, kSenders * kPerSender);
  BOOST_TEST(counts == std::vector<int>(kSenders * kPerSender, 1),
             boost::test_tools::per_element());
  BOOST_TEST(rx.TryRecv().status() == Status::kDisconnected);
}

// A ring of threads; thread i receives on its own rendezvous channel and
// sends to thread i + 1's. Each selects {send to the next, receive its own}
// until it has sent and received kValues, so selects pair with selects, and
// two neighbours may each offer a send and a receive at the same time.
void RunRing(int threads) {
  const int kValues = Scaled(2000);
  std::vector<Sender<int>> senders;
  std::vector<Receiver<int>> receivers;
  for (int i = 0; i < threads; ++i) {
    auto [tx, rx] = Bounded<int>(0);
    senders.push_back(std::move(tx));
    receivers.push_back(std::move(rx));
  }
  std::vector<std::vector<int>> received(threads);
  std::vector<std::thread> ring;
  ThreadFailures failures;
  for (int i = 0; i < threads; ++i) {
    ring.emplace_back([&, i, next = std::move(senders[(i + 1) % threads]),
                       own = std::move(receivers[i])]() mutable {
      int sent = 0;
      std::vector<int>& got = received[i];
      auto take = [&](std::optional<int> v) {
        // The previous thread leaves only after its last value arrived.
        if (failures.Check(v.has_value())) got.push_back(*v);
      };
      auto on_sent = [&](Status s) {
        failures.Check(s == Status::kOk);
        ++sent;
      };
      // Offer both while both are due; once all values came in, stop
      // receiving, since the previous thread may be gone: a disconnected
      // receive case would always be ready.
      while (sent < kValues || static_cast<int>(got.size()) < kValues) {
        int value = i * kValues + sent;
        if (sent == kValues) {
          (void)Select().Recv(own, take).Wait();
        } else if (static_cast<int>(got.size()) == kValues) {
          (void)Select().Send(next, value, on_sent).Wait();
        } else {
          (void)Select().Send(next, value, on_sent).Recv(own, take).Wait();
        }
        if (failures.count() > 0) return;
      }
    });
  }
  for (std::thread& t : ring) t.join();
  BOOST_TEST(failures.count() == 0);
  for (int i = 0; i < threads; ++i) {
    const int from = (i + threads - 1) % threads;
    std::vector<int> expected(kValues);
    for (int k = 0; k < kValues; ++k) expected[k] = from * kValues + k;
    BOOST_TEST_CONTEXT("thread " << i) {
      BOOST_TEST(received[i] == expected, boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(TwoThreadsEachSelectingSendAndRecvPairOff) { RunRing(2); }

BOOST_AUTO_TEST_CASE(RingOfEightSelectsPairsOff) { RunRing(8); }

BOOST_AUTO_TEST_CASE(SelectSenderMeetsSelectReceiver) {
  const int kValues = Scaled(5000);
  auto [tx, rx] = Bounded<int>(0);
  ThreadFailures failures;
  std::thread sender([&, tx = std::move(tx)]() mutable {
    for (int i = 0; i < kValues; ++i) {
      const size_t ran =
          Select()
              .Timeout(kGenerous, [] {})
              .Send(tx, i, [&](Status s) { failures.Check(s == Status::kOk); })
              .Wait();
      if (!failures.Check(ran == 1u)) return;
    }
  });
  std::vector<int> received;
  for (int i = 0; i < kValues; ++i) {
    BOOST_REQUIRE(Select()
                      .Recv(rx,
                            [&](std::optional<int> v) {
                              BOOST_REQUIRE(v.has_value());
                              received.push_back(*v);
                            })
                      .Timeout(kGenerous, [] {})
                      .Wait() == 0u);
  }
  sender.join();
  BOOST_TEST(failures.count() == 0);
  std::vector<int> expected(kValues);
  for (int i = 0; i < kValues; ++i) expected[i] = i;
  BOOST_TEST(received == expected, boost::test_tools::per_element());
  BOOST_TEST(rx.TryRecv().status() == Status::kDisconnected);
}

BOOST_AUTO_TEST_CASE(DynamicSendersMeetADynamicReceiver) {
  constexpr int kSenders = 4;
  const int kPerSender = Scaled(1000);
  auto [tx, rx] = Bounded<Box>(0);
  std::vector<std::thread> senders;
  ThreadFailures failures;
  for (int s = 0; s < kSenders; ++s) {
    senders.emplace_back(
        [&failures, tx = Sender<Box>(tx), s, kPerSender]() mutable {
          for (int i = 0; i < kPerSender; ++i) {
            Box value = std::make_unique<int>(s * kPerSender + i);
            DynamicSelect select;
            select.AddSend(tx, value);
            failures.Check(select.Select().Send(tx).ok());
            failures.Check(value == nullptr);
          }
        });
  }
  { Sender<Box> gone = std::move(tx); }
  std::vector<int> received;
  DynamicSelect select;
  select.AddRecv(rx);
  for (;;) {
    RecvResult<Box> r = select.Select().Recv(rx);
    if (!r) break;
    received.push_back(**r);
  }
  for (std::thread& t : senders) t.join();
  BOOST_TEST(failures.count() == 0);
  const std::vector<int> counts = Histogram(received, kSenders * kPerSender);
  BOOST_TEST(counts == std::vector<int>(kSenders * kPerSender, 1),
             boost::test_tools::per_element());
}

// A thread that holds both ends of a rendezvous channel and selects to
// send and to receive on it has nobody to pair with: the timeout runs and
// the value stays with the caller.
BOOST_AUTO_TEST_CASE(LoneThreadCannotPairWithItself) {
  auto [tx, rx] = Bounded<Box>(0);
  Box value = std::make_unique<int>(1);
  bool sent = false;
  bool received = false;
  const absl::Duration timeout = absl::Milliseconds(50);
  const absl::Time start = absl::Now();
  const size_t ran = Select()
                         .Send(tx, value, [&] { sent = true; })
                         .Recv(rx, [&](std::optional<Box>) { received = true; })
                         .Timeout(timeout, [] {})
                         .Wait();
  BOOST_TEST(ran == 2u);
  BOOST_TEST(!sent);
  BOOST_TEST(!received);
  BOOST_TEST(absl::Now() - start >= timeout);
  BOOST_REQUIRE(value != nullptr);
  BOOST_TEST(*value == 1);

  // Non-blocking, it takes the default.
  BOOST_TEST(Select()
                 .Send(tx, value, [&] { sent = true; })
                 .Recv(rx, [&](std::optional<Box>) { received = true; })
                 .Default([] {})
                 .Wait() == 2u);
  BOOST_TEST(value != nullptr);
}

BOOST_AUTO_TEST_CASE(LoneThreadDynamicSelectCannotPairWithItself) {
  auto [tx, rx] = Bounded<Box>(0);
  Box value = std::make_unique<int>(1);
  DynamicSelect select;
  select.AddSend(tx, value);
  select.AddRecv(rx);
  BOOST_TEST(!select.TrySelect().has_value());
  BOOST_TEST(!select.SelectFor(absl::Milliseconds(50)).has_value());
  BOOST_TEST(!select.TryReady().has_value());
  BOOST_TEST(!select.ReadyFor(absl::Milliseconds(20)).has_value());
  BOOST_REQUIRE(value != nullptr);
  BOOST_TEST(*value == 1);
}

}  // namespace
}  // namespace chan::testing
