// Selects under load: several threads send through selects over the same
// set of channels while one consumer selects over all their receivers, per
// flavor; and one consumer over 64 channels fed concurrently. No value is
// lost or duplicated, and each sender's values on one channel keep their
// order.
#define BOOST_TEST_MODULE select_stress
#include <array>
#include <boost/test/unit_test.hpp>
#include <cstddef>
#include <optional>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "chan/chan.h"
#include "test/select/select_testing.h"
#include "test/support/scale.h"

namespace chan::testing {
namespace {

constexpr int kChannels = 4;
constexpr int kProducers = 4;

// Each producer offers each of its values to all four channels at once;
// the odd ones give up after a short timeout and offer the value again.
// The consumer selects over the four receivers until all disconnect.
BOOST_AUTO_TEST_CASE_TEMPLATE(DoubleSelect, Flavor, AllFlavors) {
  const int kPerProducer = Scaled(5000);
  std::vector<Sender<int>> senders;
  std::vector<Receiver<int>> receivers;
  for (int c = 0; c < kChannels; ++c) {
    auto [tx, rx] = Flavor::template Make<int>();
    senders.push_back(std::move(tx));
    receivers.push_back(std::move(rx));
  }

  std::vector<std::thread> producers;
  ThreadFailures failures;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back(
        [&failures, p, kPerProducer, tx = senders]() mutable {
          for (int i = 0; i < kPerProducer; ++i) {
            int value = p * kPerProducer + i;
            for (bool sent = false; !sent;) {
              auto on_sent = [&](Status s) {
                failures.Check(s == Status::kOk);
                sent = true;
              };
              if (p % 2 == 0) {
                (void)Select()
                    .Send(tx[0], value, on_sent)
                    .Send(tx[1], value, on_sent)
                    .Send(tx[2], value, on_sent)
                    .Send(tx[3], value, on_sent)
                    .Wait();
              } else {
                (void)Select()
                    .Send(tx[0], value, on_sent)
                    .Send(tx[1], value, on_sent)
                    .Send(tx[2], value, on_sent)
                    .Send(tx[3], value, on_sent)
                    .Timeout(absl::Microseconds(200), [] {})
                    .Wait();
              }
            }
          }
        });
  }
  senders.clear();

  std::vector<int> counts(kProducers * kPerProducer, 0);
  // The last value seen per (producer, channel): each producer's values on
  // one channel arrive in the order it sent them.
  std::vector<std::array<int, kChannels>> last(kProducers);
  for (auto& l : last) l.fill(-1);
  int wrong = 0;
  std::array<Receiver<int>*, kChannels> live;
  for (int c = 0; c < kChannels; ++c) live[c] = &receivers[c];
  for (int open = kChannels; open > 0;) {
    auto take = [&](int c) {
      return [&, c](std::optional<int> v) {
        if (!v) {
          live[c] = nullptr;
          --open;
          return;
        }
        if (*v < 0 || *v >= kProducers * kPerProducer) {
          ++wrong;
          return;
        }
        ++counts[*v];
        int& seen = last[*v / kPerProducer][c];
        if (*v <= seen) ++wrong;
        seen = *v;
      };
    };
    (void)Select()
        .Recv(live[0], take(0))
        .Recv(live[1], take(1))
        .Recv(live[2], take(2))
        .Recv(live[3], take(3))
        .Wait();
  }
  for (std::thread& t : producers) t.join();
  BOOST_TEST(failures.count() == 0);
  BOOST_TEST(wrong == 0);
  BOOST_TEST(counts == std::vector<int>(kProducers * kPerProducer, 1),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(SixtyFourChannelsFedConcurrently) {
  constexpr int kMany = 64;
  const int kPerProducer = Scaled(5000);
  std::vector<Sender<int>> senders;
  std::vector<Receiver<int>> receivers;
  for (int c = 0; c < kMany; ++c) {
    // Mixed flavors: every fourth channel is a rendezvous.
    auto [tx, rx] = c % 4 == 0   ? Bounded<int>(0)
                    : c % 4 == 1 ? Bounded<int>(1)
                    : c % 4 == 2 ? Bounded<int>(8)
                                 : Unbounded<int>();
    senders.push_back(std::move(tx));
    receivers.push_back(std::move(rx));
  }
  std::vector<std::thread> producers;
  ThreadFailures failures;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&failures, p, kPerProducer,
                            tx = senders]() mutable {
      std::minstd_rand random(p + 7);
      for (int i = 0; i < kPerProducer; ++i) {
        failures.Check(tx[random() % kMany].Send(p * kPerProducer + i).ok());
      }
    });
  }
  senders.clear();

  std::vector<int> counts(kProducers * kPerProducer, 0);
  DynamicSelect select;
  for (Receiver<int>& rx : receivers) select.AddRecv(rx);
  int wrong = 0;
  for (int open = kMany; open > 0;) {
    SelectedOperation op = select.Select();
    const size_t c = op.index();
    RecvResult<int> r = op.Recv(receivers[c]);
    if (!r) {
      select.Disable(c);  // Disconnected: always ready from now on.
      --open;
      continue;
    }
    if (*r < 0 || *r >= kProducers * kPerProducer) {
      ++wrong;
    } else {
      ++counts[*r];
    }
  }
  for (std::thread& t : producers) t.join();
  BOOST_TEST(failures.count() == 0);
  BOOST_TEST(wrong == 0);
  BOOST_TEST(counts == std::vector<int>(kProducers * kPerProducer, 1),
             boost::test_tools::per_element());
}

}  // namespace
}  // namespace chan::testing
