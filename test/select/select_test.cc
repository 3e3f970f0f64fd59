// The Select() builder: which case runs and what its handler receives, what
// happens to a send's value when another case wins, disabled cases, the
// same channel in several cases, timeouts, a builder waited on repeatedly,
// and the misuse that stops the program.
#define BOOST_TEST_MODULE select
#include "chan/select.h"

#include <array>
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <cstddef>
#include <memory>
#include <optional>
#include <set>
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

BOOST_AUTO_TEST_CASE(WaitReturnsTheIndexOfTheCaseThatRan) {
  auto [tx0, rx0] = Unbounded<int>();
  auto [tx1, rx1] = Unbounded<int>();
  auto [tx2, rx2] = Unbounded<int>();
  BOOST_REQUIRE(tx1.Send(11).ok());
  std::array<int, 3> runs = {0, 0, 0};
  std::optional<int> got;
  const size_t ran = Select()
                         .Recv(rx0, [&](std::optional<int>) { ++runs[0]; })
                         .Recv(rx1,
                               [&](std::optional<int> v) {
                                 ++runs[1];
                                 got = v;
                               })
                         .Recv(rx2, [&](std::optional<int>) { ++runs[2]; })
                         .Wait();
  BOOST_TEST(ran == 1u);
  BOOST_TEST(runs[0] == 0);
  BOOST_TEST(runs[1] == 1);
  BOOST_TEST(runs[2] == 0);
  BOOST_REQUIRE(got.has_value());
  BOOST_TEST(*got == 11);
  // The other channels were not touched.
  BOOST_TEST(rx0.Len() == 0u);
  BOOST_TEST(rx2.Len() == 0u);
}

BOOST_AUTO_TEST_CASE(EveryCaseKindReportsItsDeclarationIndex) {
  auto [tx, rx] = Unbounded<int>();
  auto [btx, brx] = Bounded<int>(1);
  BOOST_REQUIRE(btx.Send(1).ok());  // Full: its send case is not ready.
  std::stop_source stop;
  int which = -1;
  auto run = [&](bool queue_a_value) {
    if (queue_a_value) BOOST_REQUIRE(tx.Send(5).ok());
    return Select()
        .Recv(rx, [&](std::optional<int>) { which = 0; })
        .Send(btx, 2, [&] { which = 1; })
        .Stop(stop.get_token(), [&] { which = 2; })
        .Default([&] { which = 3; })
        .Wait();
  };
  BOOST_TEST(run(true) == 0u);
  BOOST_TEST(which == 0);
  BOOST_TEST(run(false) == 3u);
  BOOST_TEST(which == 3);
  stop.request_stop();
  BOOST_TEST(run(false) == 2u);
  BOOST_TEST(which == 2);
  BOOST_REQUIRE(brx.Recv().ok());  // Room now; stop is still ready too.
  const size_t ran = run(false);
  BOOST_TEST((ran == 1u || ran == 2u));
}

BOOST_AUTO_TEST_CASE(RecvHandlerGetsValuesThenNulloptOnceDisconnected) {
  auto [tx, rx] = Unbounded<int>();
  BOOST_REQUIRE(tx.Send(1).ok());
  BOOST_REQUIRE(tx.Send(2).ok());
  { Sender<int> gone = std::move(tx); }
  std::vector<std::optional<int>> seen;
  for (int i = 0; i < 4; ++i) {
    // No timeout: a disconnected receiver is ready, so this cannot hang.
    const size_t ran =
        Select()
            .Recv(rx, [&](std::optional<int> v) { seen.push_back(v); })
            .Wait();
    BOOST_TEST(ran == 0u);
  }
  BOOST_REQUIRE(seen.size() == 4u);
  BOOST_TEST((seen[0] == 1));
  BOOST_TEST((seen[1] == 2));
  BOOST_TEST(!seen[2].has_value());
  BOOST_TEST(!seen[3].has_value());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(BlockedSelectWakesWhenTheLastSenderLeaves, Flavor,
                              AllFlavors) {
  auto [tx, rx] = Flavor::template Make<int>();
  auto [otx, orx] = Flavor::template Make<int>();  // Never gets anything.
  std::thread leaver([tx = std::move(tx)]() mutable {
    absl::SleepFor(kShort);
    Sender<int> gone = std::move(tx);
  });
  bool got_nullopt = false;
  const size_t ran =
      Select()
          .Recv(orx, [](std::optional<int>) {})
          .Recv(rx, [&](std::optional<int> v) { got_nullopt = !v; })
          .Wait();
  leaver.join();
  BOOST_TEST(ran == 1u);
  BOOST_TEST(got_nullopt);
}

BOOST_AUTO_TEST_CASE(RecvCarriesAMoveOnlyValue) {
  auto [tx, rx] = Bounded<Box>(2);
  BOOST_REQUIRE(tx.Send(std::make_unique<int>(42)).ok());
  Box got;
  const size_t ran = Select()
                         .Recv(rx,
                               [&](std::optional<Box> v) {
                                 BOOST_REQUIRE(v.has_value());
                                 got = std::move(*v);
                               })
                         .Wait();
  BOOST_TEST(ran == 0u);
  BOOST_REQUIRE(got != nullptr);
  BOOST_TEST(*got == 42);
}

BOOST_AUTO_TEST_CASE(SendValueArrivesWhenTheSendCaseWins) {
  auto [tx, rx] = Bounded<Box>(1);
  Box value = std::make_unique<int>(7);
  int* const cell = value.get();
  std::optional<Status> status;
  const size_t ran =
      Select().Send(tx, value, [&](Status s) { status = s; }).Wait();
  BOOST_TEST(ran == 0u);
  BOOST_TEST((status == Status::kOk));
  BOOST_TEST(value == nullptr);  // Moved into the channel.
  RecvResult<Box> r = rx.TryRecv();
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(r->get() == cell);  // The very same object, moved once.
}

BOOST_AUTO_TEST_CASE(SendOfAnRvalueArrives) {
  auto [tx, rx] = Unbounded<Box>();
  bool ran_handler = false;
  const size_t ran =
      Select()
          .Send(tx, std::make_unique<int>(9), [&] { ran_handler = true; })
          .Wait();
  BOOST_TEST(ran == 0u);
  BOOST_TEST(ran_handler);
  RecvResult<Box> r = rx.TryRecv();
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(**r == 9);
}

BOOST_AUTO_TEST_CASE(LosingSendLeavesTheValueWithTheCaller) {
  auto [tx, rx] = Bounded<Box>(1);
  BOOST_REQUIRE(tx.Send(std::make_unique<int>(1)).ok());  // Full.
  auto [vtx, vrx] = Unbounded<int>();
  BOOST_REQUIRE(vtx.Send(3).ok());
  Box value = std::make_unique<int>(2);
  bool send_ran = false;
  // The receive is the only ready case.
  const size_t ran = Select()
                         .Send(tx, value, [&] { send_ran = true; })
                         .Recv(vrx, [](std::optional<int>) {})
                         .Wait();
  BOOST_TEST(ran == 1u);
  BOOST_TEST(!send_ran);
  BOOST_REQUIRE(value != nullptr);
  BOOST_TEST(*value == 2);
  BOOST_TEST(rx.Len() == 1u);

  // The same when Default wins, and when a timeout does.
  BOOST_TEST(Select()
                 .Send(tx, value, [&] { send_ran = true; })
                 .Default([] {})
                 .Wait() == 1u);
  BOOST_TEST(Select()
                 .Send(tx, value, [&] { send_ran = true; })
                 .Timeout(absl::Milliseconds(5), [] {})
                 .Wait() == 1u);
  BOOST_TEST(!send_ran);
  BOOST_REQUIRE(value != nullptr);
  BOOST_TEST(*value == 2);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(SendToAGoneReceiverReportsDisconnected, Flavor,
                              AllFlavors) {
  auto [tx, rx] = Flavor::template Make<Box>();
  { Receiver<Box> gone = std::move(rx); }
  Box value = std::make_unique<int>(4);
  std::optional<Status> status;
  const size_t ran =
      Select().Send(tx, value, [&](Status s) { status = s; }).Wait();
  BOOST_TEST(ran == 0u);
  BOOST_TEST((status == Status::kDisconnected));
  BOOST_REQUIRE(value != nullptr);  // Stays with the caller.
  BOOST_TEST(*value == 4);

  // A handler that takes nothing runs as well.
  bool ran_plain = false;
  BOOST_TEST(Select().Send(tx, value, [&] { ran_plain = true; }).Wait() == 0u);
  BOOST_TEST(ran_plain);
  BOOST_TEST(value != nullptr);
}

BOOST_AUTO_TEST_CASE(BlockedSendSelectWakesWhenTheReceiverLeaves) {
  auto [tx, rx] = Bounded<Box>(1);
  BOOST_REQUIRE(tx.Send(std::make_unique<int>(1)).ok());
  std::thread leaver([rx = std::move(rx)]() mutable {
    absl::SleepFor(kShort);
    Receiver<Box> gone = std::move(rx);
  });
  Box value = std::make_unique<int>(2);
  std::optional<Status> status;
  const size_t ran =
      Select().Send(tx, value, [&](Status s) { status = s; }).Wait();
  leaver.join();
  BOOST_TEST(ran == 0u);
  BOOST_TEST((status == Status::kDisconnected));
  BOOST_TEST(value != nullptr);
}

BOOST_AUTO_TEST_CASE(DisabledCasesNeverRun) {
  Receiver<int>* no_receiver = nullptr;
  Sender<int>* no_sender = nullptr;
  std::optional<Receiver<int>> empty_receiver;
  std::optional<Sender<int>> empty_sender;
  Receiver<int> never = Never<int>();
  int value = 1;
  std::array<int, 6> runs = {};
  auto select = [&] {
    return Select()
        .Recv(no_receiver, [&](std::optional<int>) { ++runs[0]; })
        .Send(no_sender, value, [&] { ++runs[1]; })
        .Recv(empty_receiver, [&](std::optional<int>) { ++runs[2]; })
        .Send(empty_sender, value, [&] { ++runs[3]; })
        .Recv(never, [&](std::optional<int>) { ++runs[4]; });
  };
  for (int i = 0; i < 10; ++i) {
    BOOST_TEST(select().Default([&] { ++runs[5]; }).Wait() == 5u);
  }
  const absl::Time start = absl::Now();
  BOOST_TEST(select().Timeout(kShort, [&] { ++runs[5]; }).Wait() == 5u);
  BOOST_TEST(absl::Now() - start >= kShort);
  BOOST_TEST((runs == std::array<int, 6>{0, 0, 0, 0, 0, 11}));
}

BOOST_AUTO_TEST_CASE(OptionalHandlesThatHoldAChannelAreEnabled) {
  auto [tx, rx] = Bounded<int>(1);
  std::optional<Sender<int>> maybe_tx(std::move(tx));
  std::optional<Receiver<int>> maybe_rx(std::move(rx));
  int value = 6;
  BOOST_TEST(Select().Send(maybe_tx, value, [] {}).Wait() == 0u);
  std::optional<int> got;
  BOOST_TEST(
      Select().Recv(maybe_rx, [&](std::optional<int> v) { got = v; }).Wait() ==
      0u);
  BOOST_TEST((got == 6));
}

BOOST_AUTO_TEST_CASE(EnabledCaseAmongDisabledOnesRuns) {
  auto [tx, rx] = Unbounded<int>();
  Receiver<int>* none = nullptr;
  Receiver<int> never = Never<int>();
  std::thread sender([tx = std::move(tx)]() mutable {
    absl::SleepFor(kShort);
    (void)tx.Send(3);
  });
  std::optional<int> got;
  const size_t ran = Select()
                         .Recv(none, [](std::optional<int>) {})
                         .Recv(never, [](std::optional<int>) {})
                         .Recv(rx, [&](std::optional<int> v) { got = v; })
                         .Wait();
  sender.join();
  BOOST_TEST(ran == 2u);
  BOOST_TEST((got == 3));
}

BOOST_AUTO_TEST_CASE(TheSameReceiverInSeveralCases) {
  auto [tx, rx] = Unbounded<int>();
  const int kValues = 200;
  for (int i = 0; i < kValues; ++i) BOOST_REQUIRE(tx.Send(i).ok());
  std::array<int, 2> wins = {0, 0};
  std::vector<int> got;
  for (int i = 0; i < kValues; ++i) {
    const size_t ran = Select()
                           .Recv(rx,
                                 [&](std::optional<int> v) {
                                   ++wins[0];
                                   got.push_back(*v);
                                 })
                           .Recv(rx,
                                 [&](std::optional<int> v) {
                                   ++wins[1];
                                   got.push_back(*v);
                                 })
                           .Wait();
    BOOST_TEST(ran < 2u);
  }
  // Each value once, in order; both cases won some (each is chosen with
  // probability 1/2, so missing one in 200 tries is 2^-199).
  std::vector<int> expected(kValues);
  for (int i = 0; i < kValues; ++i) expected[i] = i;
  BOOST_TEST(got == expected, boost::test_tools::per_element());
  BOOST_TEST(wins[0] > 0);
  BOOST_TEST(wins[1] > 0);
  BOOST_TEST(rx.TryRecv().status() == Status::kEmpty);
}

BOOST_AUTO_TEST_CASE(SendAndRecvOnTheSameBoundedChannel) {
  auto [tx, rx] = Bounded<int>(1);
  int value = 8;
  auto select = [&](std::optional<int>& got) {
    return Select()
        .Send(tx, value, [] {})
        .Recv(rx, [&](std::optional<int> v) { got = v; })
        .Wait();
  };
  // Empty: only the send can proceed. Full: only the receive.
  for (int round = 0; round < 20; ++round) {
    std::optional<int> got;
    BOOST_TEST(select(got) == 0u);
    BOOST_TEST(!got.has_value());
    BOOST_TEST(rx.Len() == 1u);
    BOOST_TEST(select(got) == 1u);
    BOOST_TEST((got == 8));
    BOOST_TEST(rx.Len() == 0u);
  }
}

BOOST_AUTO_TEST_CASE(DefaultMakesTheSelectNonBlocking) {
  auto [tx, rx] = Unbounded<int>();
  bool default_ran = false;
  const absl::Time start = absl::Now();
  // The index of Default is its position, wherever it is declared.
  const size_t ran = Select()
                         .Default([&] { default_ran = true; })
                         .Recv(rx, [](std::optional<int>) {})
                         .Wait();
  BOOST_TEST(ran == 0u);
  BOOST_TEST(default_ran);
  BOOST_TEST(absl::Now() - start < kGenerous);

  // A ready case wins over Default.
  BOOST_REQUIRE(tx.Send(1).ok());
  default_ran = false;
  BOOST_TEST(Select()
                 .Default([&] { default_ran = true; })
                 .Recv(rx, [](std::optional<int>) {})
                 .Wait() == 1u);
  BOOST_TEST(!default_ran);
}

BOOST_AUTO_TEST_CASE(DefaultWinsOverATimeout) {
  auto [tx, rx] = Unbounded<int>();
  const size_t ran = Select()
                         .Recv(rx, [](std::optional<int>) {})
                         .Timeout(kGenerous, [] {})
                         .Default([] {})
                         .Wait();
  BOOST_TEST(ran == 2u);
}

BOOST_AUTO_TEST_CASE(TimeoutRunsWhenNothingIsReady) {
  auto [tx, rx] = Unbounded<int>();
  bool timed_out = false;
  const absl::Time start = absl::Now();
  const size_t ran = Select()
                         .Recv(rx, [](std::optional<int>) {})
                         .Timeout(kShort, [&] { timed_out = true; })
                         .Wait();
  BOOST_TEST(ran == 1u);
  BOOST_TEST(timed_out);
  BOOST_TEST(absl::Now() - start >= kShort);
  BOOST_TEST(absl::Now() - start < kGenerous);
}

BOOST_AUTO_TEST_CASE(DeadlineRunsWhenNothingIsReady) {
  auto [tx, rx] = Unbounded<int>();
  const absl::Time deadline = absl::Now() + kShort;
  const size_t ran = Select()
                         .Recv(rx, [](std::optional<int>) {})
                         .Deadline(deadline, [] {})
                         .Wait();
  BOOST_TEST(ran == 1u);
  BOOST_TEST(absl::Now() >= deadline);
}

BOOST_AUTO_TEST_CASE(TheEarliestOfSeveralTimeoutsRuns) {
  auto [tx, rx] = Unbounded<int>();
  int which = -1;
  const size_t ran = Select()
                         .Timeout(kGenerous, [&] { which = 0; })
                         .Recv(rx, [](std::optional<int>) {})
                         .Deadline(absl::Now() + kShort, [&] { which = 2; })
                         .Timeout(absl::Seconds(5), [&] { which = 3; })
                         .Wait();
  BOOST_TEST(ran == 2u);
  BOOST_TEST(which == 2);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(BlockedSelectWakesForAValue, Flavor, AllFlavors) {
  auto [tx, rx] = Flavor::template Make<int>();
  auto [otx, orx] = Flavor::template Make<int>();
  bool sent = false;
  std::thread sender([&, tx = std::move(tx)]() mutable {
    absl::SleepFor(kShort);
    sent = tx.Send(12).ok();
  });
  std::optional<int> got;
  const size_t ran = Select()
                         .Recv(orx, [](std::optional<int>) {})
                         .Recv(rx, [&](std::optional<int> v) { got = v; })
                         .Timeout(kGenerous, [] {})
                         .Wait();
  sender.join();
  BOOST_TEST(sent);
  BOOST_TEST(ran == 1u);
  BOOST_TEST((got == 12));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(BlockedSendSelectWakesWhenThereIsRoom, Flavor,
                              BlockingFlavors) {
  auto [tx, rx] = Flavor::template Make<int>();
  for (size_t i = 0; i < Flavor::kRoom; ++i) BOOST_REQUIRE(tx.Send(-1).ok());
  std::vector<int> received;
  std::thread receiver([&, rx = std::move(rx)]() mutable {
    absl::SleepFor(kShort);
    for (int v : rx) received.push_back(v);
  });
  int value = 5;
  const size_t ran =
      Select().Timeout(kGenerous, [] {}).Send(tx, value, [] {}).Wait();
  BOOST_TEST(ran == 1u);
  { Sender<int> gone = std::move(tx); }
  receiver.join();
  BOOST_REQUIRE(received.size() == Flavor::kRoom + 1);
  BOOST_TEST(received.back() == 5);
}

BOOST_AUTO_TEST_CASE(BiasedPicksTheFirstReadyCase) {
  auto [tx0, rx0] = Unbounded<int>();
  auto [tx1, rx1] = Unbounded<int>();
  auto [tx2, rx2] = Unbounded<int>();
  for (int i = 0; i < 100; ++i) {
    BOOST_REQUIRE(tx1.Send(i).ok());
    BOOST_REQUIRE(tx2.Send(i).ok());
  }
  for (int i = 0; i < 100; ++i) {
    const size_t ran = Select()
                           .Recv(rx0, [](std::optional<int>) {})
                           .Recv(rx1, [](std::optional<int>) {})
                           .Recv(rx2, [](std::optional<int>) {})
                           .Biased()
                           .Wait();
    BOOST_TEST(ran == 1u);
  }
  BOOST_TEST(rx2.Len() == 100u);
}

BOOST_AUTO_TEST_CASE(StoredBuilderIsWaitedOnRepeatedly) {
  auto [tx, rx] = Unbounded<int>();
  std::vector<int> got;
  int timeouts = 0;
  auto select = Select()
                    .Recv(rx, [&](std::optional<int> v) { got.push_back(*v); })
                    .Timeout(kShort, [&] { ++timeouts; });
  for (int i = 0; i < 50; ++i) {
    BOOST_REQUIRE(tx.Send(i).ok());
    BOOST_TEST(select.Wait() == 0u);
  }
  BOOST_TEST(got.size() == 50u);
  BOOST_TEST(got.back() == 49);
  // The timeout counts from each Wait(), not from when it was declared.
  for (int i = 0; i < 3; ++i) {
    const absl::Time start = absl::Now();
    BOOST_TEST(select.Wait() == 1u);
    BOOST_TEST(absl::Now() - start >= kShort);
  }
  BOOST_TEST(timeouts == 3);
}

BOOST_AUTO_TEST_CASE(HandlersMayOwnMoveOnlyState) {
  auto [tx, rx] = Unbounded<int>();
  BOOST_REQUIRE(tx.Send(2).ok());
  int result = 0;
  auto factor = std::make_unique<int>(21);
  BOOST_TEST(Select()
                 .Recv(rx, [&, factor = std::move(factor)](
                               std::optional<int> v) { result = *v * *factor; })
                 .Wait() == 0u);
  BOOST_TEST(result == 42);
}

BOOST_AUTO_TEST_CASE(ADisconnectedCaseIsReadyNextToAnIdleOne) {
  auto [tx, rx] = Bounded<int>(4);
  auto [dtx, drx] = Bounded<int>(4);
  { Sender<int> gone = std::move(dtx); }
  for (int i = 0; i < 10; ++i) {
    bool nullopt = false;
    BOOST_TEST(Select()
                   .Recv(rx, [](std::optional<int>) {})
                   .Recv(drx, [&](std::optional<int> v) { nullopt = !v; })
                   .Wait() == 1u);
    BOOST_TEST(nullopt);
  }
}

// A Recv handler that records which case ran and what it received. One
// type for every case keeps the builder's type, and so the debug
// information, linear in the number of cases.
struct RecordWinner {
  int index;
  int* winner;
  int* value;
  void operator()(std::optional<int> v) const {
    *winner = index;
    *value = *v;
  }
};

// Adds one Recv case per receiver in `receivers`, from index I on.
template <size_t I, size_t N, class Builder>
auto AddRecvCases(Builder builder, std::array<Receiver<int>, N>& receivers,
                  int& winner, int& value) {
  if constexpr (I == N) {
    return builder;
  } else {
    return AddRecvCases<I + 1>(
        std::move(builder).Recv(
            receivers[I], RecordWinner{static_cast<int>(I), &winner, &value}),
        receivers, winner, value);
  }
}

BOOST_AUTO_TEST_CASE(ManyCasesInOneBuilder) {
  constexpr size_t kCases = 32;
  std::vector<Sender<int>> senders;
  std::array<Receiver<int>, kCases> receivers = [&]<size_t... I>(
      std::index_sequence<I...>) {
    auto make = [&](size_t) {
      auto [tx, rx] = Unbounded<int>();
      senders.push_back(std::move(tx));
      return std::move(rx);
    };
    return std::array<Receiver<int>, kCases>{make(I)...};
  }
  (std::make_index_sequence<kCases>{});

  // Values on a subset; every one comes out of its own case, once.
  const std::vector<size_t> chosen = {0, 3, 7, 8, 15, 16, 23, 30, 31};
  for (size_t c : chosen) {
    BOOST_REQUIRE(senders[c].Send(static_cast<int>(c) * 10).ok());
  }
  std::set<int> winners;
  for (size_t i = 0; i < chosen.size(); ++i) {
    int winner = -1;
    int value = -1;
    const size_t ran =
        AddRecvCases<0>(Select(), receivers, winner, value).Wait();
    BOOST_TEST(static_cast<int>(ran) == winner);
    BOOST_TEST(value == winner * 10);
    BOOST_TEST(winners.insert(winner).second);
  }
  BOOST_TEST(winners.size() == chosen.size());
  for (Receiver<int>& rx : receivers) BOOST_TEST(rx.Len() == 0u);
}

BOOST_AUTO_TEST_CASE(SelectWithNoEnabledCaseDies) {
  ChildOutcome outcome = RunInChild([] {
    Receiver<int>* none = nullptr;
    (void)Select().Recv(none, [](std::optional<int>) {}).Wait();
  });
  BOOST_TEST(outcome.ended);
  BOOST_TEST(outcome.aborted);
  BOOST_TEST_INFO("stderr: " << outcome.stderr_text);
  BOOST_TEST(outcome.stderr_text.find("no enabled case") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(SelectWithNoCaseAtAllDies) {
  ChildOutcome outcome = RunInChild([] { (void)Select().Wait(); });
  BOOST_TEST(outcome.ended);
  BOOST_TEST(outcome.aborted);
  BOOST_TEST_INFO("stderr: " << outcome.stderr_text);
  BOOST_TEST(outcome.stderr_text.find("no enabled case") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(SelectOnlyOnDisabledCasesOfEveryKindDies) {
  ChildOutcome outcome = RunInChild([] {
    Sender<int>* no_sender = nullptr;
    std::optional<Receiver<int>> empty;
    int value = 0;
    (void)Select()
        .Send(no_sender, value, [] {})
        .Recv(empty, [](std::optional<int>) {})
        .Stop(std::stop_token(), [] {})
        .Wait();
  });
  BOOST_TEST(outcome.ended);
  BOOST_TEST(outcome.aborted);
  BOOST_TEST_INFO("stderr: " << outcome.stderr_text);
  BOOST_TEST(outcome.stderr_text.find("no enabled case") != std::string::npos);
}

// select.h lists a receive from chan::Never<T>() among the disabled cases,
// and promises that a select with no enabled case stops the program instead
// of blocking forever. A select whose only case is a Never receive must
// therefore die, not hang.
BOOST_AUTO_TEST_CASE(SelectOnlyOnNeverDies) {
  ChildOutcome outcome = RunInChild(
      [] {
        Receiver<int> never = Never<int>();
        (void)Select().Recv(never, [](std::optional<int>) {}).Wait();
      },
      absl::Seconds(3));
  BOOST_TEST_INFO("ended: the select must stop the program, not block");
  BOOST_TEST(outcome.ended);
  BOOST_TEST(outcome.aborted);
  BOOST_TEST_INFO("stderr: " << outcome.stderr_text);
  BOOST_TEST(outcome.stderr_text.find("no enabled case") != std::string::npos);
}

}  // namespace
}  // namespace chan::testing
