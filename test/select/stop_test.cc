// Stop cases: a std::stop_token as a select case. A blocked select wakes
// when another thread requests stop; a stop already requested is ready at
// once; a token with no stop state is a disabled case; and a stop request
// arriving after the select has returned touches nothing of it.
#define BOOST_TEST_MODULE stop
#include <array>
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <cstddef>
#include <optional>
#include <stop_token>
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

const absl::Duration kShort = absl::Milliseconds(20);
const absl::Duration kGenerous = absl::Seconds(10);

BOOST_AUTO_TEST_CASE_TEMPLATE(BlockedSelectWakesOnRequestStop, Flavor,
                              AllFlavors) {
  auto [tx, rx] = Flavor::template Make<int>();  // Never gets anything.
  auto [ftx, frx] = Flavor::template Make<int>();
  if constexpr (Flavor::kRoom != UnboundedFlavor::kRoom) {
    for (size_t i = 0; i < Flavor::kRoom; ++i) BOOST_REQUIRE(ftx.Send(0).ok());
  }
  std::stop_source stop;
  bool stopped = false;
  size_t ran = 99;
  int value = 1;
  std::thread waiter([&] {
    if constexpr (Flavor::kRoom == UnboundedFlavor::kRoom) {
      ran = Select()
                .Recv(rx, [](std::optional<int>) {})
                .Stop(stop.get_token(), [&] { stopped = true; })
                .Wait();
    } else {
      // A send that cannot proceed, too.
      ran = Select()
                .Recv(rx, [](std::optional<int>) {})
                .Send(ftx, value, [] {})
                .Stop(stop.get_token(), [&] { stopped = true; })
                .Wait();
    }
  });
  absl::SleepFor(kShort);  // Usually asleep by now; either way must work.
  const absl::Time requested = absl::Now();
  stop.request_stop();
  waiter.join();
  BOOST_TEST(absl::Now() - requested < kGenerous);
  BOOST_TEST(stopped);
  BOOST_TEST(ran == (Flavor::kRoom == UnboundedFlavor::kRoom ? 1u : 2u));
  BOOST_TEST(value == 1);
}

BOOST_AUTO_TEST_CASE(StopAlreadyRequestedRunsAtOnce) {
  auto [tx, rx] = Unbounded<int>();
  std::stop_source stop;
  stop.request_stop();
  for (int i = 0; i < 10; ++i) {
    bool stopped = false;
    const size_t ran = Select()
                           .Recv(rx, [](std::optional<int>) {})
                           .Stop(stop.get_token(), [&] { stopped = true; })
                           .Timeout(kGenerous, [] {})
                           .Wait();
    BOOST_TEST(ran == 1u);
    BOOST_TEST(stopped);
  }
  // It is ready, so it wins over Default.
  BOOST_TEST(Select().Stop(stop.get_token(), [] {}).Default([] {}).Wait() ==
             0u);
}

BOOST_AUTO_TEST_CASE(StopCompetesFairlyWithAReadyValue) {
  auto [tx, rx] = Unbounded<int>();
  const int selects = Scaled(4000);
  for (int i = 0; i < selects; ++i) BOOST_REQUIRE(tx.Send(i).ok());
  std::stop_source stop;
  stop.request_stop();
  std::array<long, 2> wins = {0, 0};
  for (int i = 0; i < selects; ++i) {
    ++wins[Select()
               .Recv(rx, [](std::optional<int>) {})
               .Stop(stop.get_token(), [] {})
               .Wait()];
  }
  BOOST_TEST(ShareWithin(wins[0], selects, 0.35, 0.65));
  BOOST_TEST(ShareWithin(wins[1], selects, 0.35, 0.65));
}

BOOST_AUTO_TEST_CASE(TokenWithoutStopStateIsDisabled) {
  auto [tx, rx] = Unbounded<int>();
  std::stop_token none;  // Default-constructed: stop can never happen.
  BOOST_TEST(!none.stop_possible());
  bool stopped = false;
  BOOST_TEST(Select()
                 .Stop(none, [&] { stopped = true; })
                 .Recv(rx, [](std::optional<int>) {})
                 .Default([] {})
                 .Wait() == 2u);
  BOOST_TEST(Select()
                 .Stop(none, [&] { stopped = true; })
                 .Timeout(kShort, [] {})
                 .Wait() == 1u);
  // A source made without a stop state hands out such tokens too.
  std::stop_source stateless(std::nostopstate);
  BOOST_TEST(Select()
                 .Stop(stateless.get_token(), [&] { stopped = true; })
                 .Default([] {})
                 .Wait() == 1u);
  BOOST_TEST(!stopped);
}

BOOST_AUTO_TEST_CASE(SelectOnlyOnAStatelessTokenDies) {
  ChildOutcome outcome =
      RunInChild([] { (void)Select().Stop(std::stop_token(), [] {}).Wait(); });
  BOOST_TEST(outcome.ended);
  BOOST_TEST(outcome.aborted);
  BOOST_TEST_INFO("stderr: " << outcome.stderr_text);
  BOOST_TEST(outcome.stderr_text.find("no enabled case") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(StopAloneIsAnEnabledCase) {
  std::stop_source stop;
  std::thread stopper([&] {
    absl::SleepFor(kShort);
    stop.request_stop();
  });
  bool stopped = false;
  BOOST_TEST(Select().Stop(stop.get_token(), [&] { stopped = true; }).Wait() ==
             0u);
  stopper.join();
  BOOST_TEST(stopped);
}

BOOST_AUTO_TEST_CASE(OneRequestWakesEverySelectOnTheToken) {
  constexpr int kWaiters = 4;
  std::stop_source stop;
  std::vector<std::thread> waiters;
  std::vector<Sender<int>> senders;
  std::atomic<int> stopped{0};
  for (int i = 0; i < kWaiters; ++i) {
    auto [tx, rx] = Bounded<int>(0);
    senders.push_back(std::move(tx));
    waiters.emplace_back(
        [&, token = stop.get_token(), rx = std::move(rx)]() mutable {
          (void)Select()
              .Recv(rx, [](std::optional<int>) {})
              .Stop(token, [&] { ++stopped; })
              .Wait();
        });
  }
  absl::SleepFor(kShort);
  stop.request_stop();
  for (std::thread& t : waiters) t.join();
  BOOST_TEST(stopped.load() == kWaiters);
}

BOOST_AUTO_TEST_CASE(StopDoesNotLoseValues) {
  // A consumer selects {value, stop} until stopped, then drains; every
  // value sent before the stop request is received exactly once.
  const int kValues = Scaled(20'000);
  auto [tx, rx] = Unbounded<int>();
  std::stop_source stop;
  std::vector<int> got;
  std::thread consumer(
      [&, token = stop.get_token(), rx = std::move(rx)]() mutable {
        for (bool running = true; running;) {
          (void)Select()
              .Recv(rx, [&](std::optional<int> v) { got.push_back(*v); })
              .Stop(token, [&] { running = false; })
              .Wait();
        }
        for (int v : rx.Drain()) got.push_back(v);
      });
  for (int i = 0; i < kValues; ++i) BOOST_REQUIRE(tx.Send(i).ok());
  stop.request_stop();
  consumer.join();
  std::vector<int> expected(kValues);
  for (int i = 0; i < kValues; ++i) expected[i] = i;
  BOOST_TEST(got == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(StopRequestedAfterTheSelectReturned) {
  // Each round a select waits on {value, stop}; a value wins, and the stop
  // request comes while the select is returning, or after. The request must
  // not touch the finished select (AddressSanitizer would see it) nor
  // disturb the next wait of the same thread.
  const int rounds = Scaled(2000);
  int wrong = 0;
  for (int round = 0; round < rounds; ++round) {
    auto [tx, rx] = Bounded<int>(0);
    std::stop_source stop;
    std::thread sender([&, tx = std::move(tx)]() mutable {
      (void)tx.Send(round);
      stop.request_stop();
    });
    size_t ran = Select()
                     .Recv(rx, [](std::optional<int>) {})
                     .Stop(stop.get_token(), [] {})
                     .Wait();
    if (ran != 0) ++wrong;  // Stop is requested only after the value.
    // The next wait, on another token, is not woken by the old request.
    std::stop_source other;
    ran = Select()
              .Stop(other.get_token(), [] {})
              .Timeout(absl::Microseconds(100), [] {})
              .Wait();
    if (ran != 1) ++wrong;
    sender.join();
  }
  BOOST_TEST(wrong == 0);
}

BOOST_AUTO_TEST_CASE(StoredBuilderWithAStopCase) {
  auto [tx, rx] = Unbounded<int>();
  std::stop_source stop;
  int values = 0;
  bool stopped = false;
  auto select = Select()
                    .Recv(rx, [&](std::optional<int>) { ++values; })
                    .Stop(stop.get_token(), [&] { stopped = true; });
  for (int i = 0; i < 5; ++i) {
    BOOST_REQUIRE(tx.Send(i).ok());
    BOOST_TEST(select.Wait() == 0u);
  }
  std::thread stopper([&] {
    absl::SleepFor(kShort);
    stop.request_stop();
  });
  BOOST_TEST(select.Wait() == 1u);
  stopper.join();
  BOOST_TEST(values == 5);
  BOOST_TEST(stopped);
}

}  // namespace
}  // namespace chan::testing
