// Fairness: when several cases are ready, each is chosen with about equal
// probability — whatever its position, and however many unready cases come
// before it — while Biased() always takes the first ready one. The bounds
// are loose: with 4 ready cases and 40,000 selects, a share outside
// [15%, 35%] is dozens of standard deviations from 25%.
#define BOOST_TEST_MODULE fairness
#include <array>
#include <boost/test/unit_test.hpp>
#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include "chan/chan.h"
#include "test/select/select_testing.h"
#include "test/support/scale.h"

namespace chan::testing {
namespace {

// Channels that each hold `values` ints, so they stay ready throughout.
template <size_t N>
struct Filled {
  explicit Filled(int values) {
    for (size_t i = 0; i < N; ++i) {
      auto [tx, rx] = Unbounded<int>();
      for (int v = 0; v < values; ++v) BOOST_REQUIRE(tx.Send(v).ok());
      senders.push_back(std::move(tx));
      receivers.push_back(std::move(rx));
    }
  }
  std::vector<Sender<int>> senders;
  std::vector<Receiver<int>> receivers;
};

void ExpectShares(const std::vector<long>& wins, long total, double low,
                  double high) {
  for (size_t i = 0; i < wins.size(); ++i) {
    BOOST_TEST_INFO("case " << i << " won " << wins[i] << " of " << total);
    BOOST_TEST(ShareWithin(wins[i], total, low, high));
  }
}

BOOST_AUTO_TEST_CASE(FourReadyReceiversShareEvenly) {
  const int selects = Scaled(40'000);
  Filled<4> c(selects);
  std::vector<long> wins(4, 0);
  for (int i = 0; i < selects; ++i) {
    const size_t ran = Select()
                           .Recv(c.receivers[0], [](std::optional<int>) {})
                           .Recv(c.receivers[1], [](std::optional<int>) {})
                           .Recv(c.receivers[2], [](std::optional<int>) {})
                           .Recv(c.receivers[3], [](std::optional<int>) {})
                           .Wait();
    BOOST_REQUIRE(ran < 4u);
    ++wins[ran];
  }
  ExpectShares(wins, selects, 0.15, 0.35);
  // Each receive took exactly one value from the case that won.
  for (size_t i = 0; i < 4; ++i) {
    BOOST_TEST(static_cast<long>(c.receivers[i].Len()) == selects - wins[i]);
  }
}

BOOST_AUTO_TEST_CASE(ReadyCasesAfterUnreadyOnesShareEvenly) {
  // Three empty channels come first. A select that started at a random
  // case and took the first ready one from there would give the first
  // ready case 4/5 of the wins; a random order gives each half.
  const int selects = Scaled(40'000);
  Filled<2> ready(selects);
  Filled<3> idle(0);
  std::vector<long> wins(2, 0);
  for (int i = 0; i < selects; ++i) {
    const size_t ran = Select()
                           .Recv(idle.receivers[0], [](std::optional<int>) {})
                           .Recv(idle.receivers[1], [](std::optional<int>) {})
                           .Recv(idle.receivers[2], [](std::optional<int>) {})
                           .Recv(ready.receivers[0], [](std::optional<int>) {})
                           .Recv(ready.receivers[1], [](std::optional<int>) {})
                           .Wait();
    BOOST_REQUIRE((ran == 3u || ran == 4u));
    ++wins[ran - 3];
  }
  ExpectShares(wins, selects, 0.40, 0.60);
}

BOOST_AUTO_TEST_CASE(TwoSendsOnOneChannelShareEvenly) {
  // Both cases send on the same unbounded channel; what arrives tells
  // which case ran.
  const int selects = Scaled(40'000);
  auto [tx, rx] = Unbounded<int>();
  std::vector<long> wins(2, 0);
  for (int i = 0; i < selects; ++i) {
    const size_t ran = Select().Send(tx, 0, [] {}).Send(tx, 1, [] {}).Wait();
    ++wins[ran];
  }
  std::vector<long> arrived(2, 0);
  for (int v : rx.Drain()) ++arrived[v];
  BOOST_TEST(arrived == wins, boost::test_tools::per_element());
  ExpectShares(wins, selects, 0.40, 0.60);
}

BOOST_AUTO_TEST_CASE(ReadySendAndRecvShareEvenly) {
  const int selects = Scaled(40'000);
  Filled<1> in(selects);
  auto [tx, out] = Unbounded<int>();
  std::vector<long> wins(2, 0);
  for (int i = 0; i < selects; ++i) {
    const size_t ran = Select()
                           .Recv(in.receivers[0], [](std::optional<int>) {})
                           .Send(tx, i, [] {})
                           .Wait();
    ++wins[ran];
  }
  ExpectShares(wins, selects, 0.40, 0.60);
  BOOST_TEST(static_cast<long>(out.Len()) == wins[1]);
}

BOOST_AUTO_TEST_CASE(BiasedAlwaysPicksTheFirstReadyCase) {
  const int selects = Scaled(10'000);
  Filled<4> c(selects);
  for (int i = 0; i < selects; ++i) {
    const size_t ran = Select()
                           .Recv(c.receivers[0], [](std::optional<int>) {})
                           .Recv(c.receivers[1], [](std::optional<int>) {})
                           .Recv(c.receivers[2], [](std::optional<int>) {})
                           .Recv(c.receivers[3], [](std::optional<int>) {})
                           .Biased()
                           .Wait();
    BOOST_REQUIRE(ran == 0u);
  }
  // Once the first case runs dry, the second takes every turn.
  for (int i = 0; i < selects; ++i) {
    const size_t ran = Select()
                           .Recv(c.receivers[0], [](std::optional<int>) {})
                           .Recv(c.receivers[1], [](std::optional<int>) {})
                           .Recv(c.receivers[2], [](std::optional<int>) {})
                           .Biased()
                           .Default([] {})
                           .Wait();
    BOOST_REQUIRE(ran == 1u);
  }
  BOOST_TEST(c.receivers[2].Len() == static_cast<size_t>(selects));
}

BOOST_AUTO_TEST_CASE(DynamicSelectShareEvenly) {
  const int selects = Scaled(40'000);
  Filled<4> c(selects);
  DynamicSelect select;
  for (Receiver<int>& rx : c.receivers) select.AddRecv(rx);
  std::vector<long> wins(4, 0);
  for (int i = 0; i < selects; ++i) {
    std::optional<SelectedOperation> op = select.TrySelect();
    BOOST_REQUIRE(op.has_value());
    const size_t index = op->index();
    BOOST_REQUIRE(op->Recv(c.receivers[index]).ok());
    ++wins[index];
  }
  ExpectShares(wins, selects, 0.15, 0.35);
}

BOOST_AUTO_TEST_CASE(LargeDynamicSelectSharesEvenlyAmongScatteredReadyCases) {
  // More cases than the loop keeps on its stack, three of them ready and
  // spread among empty ones: each ready case wins about a third, wherever
  // it stands, however early a pass stops.
  const int selects = Scaled(30'000);
  constexpr size_t kCases = 20;
  constexpr std::array<size_t, 3> kReady = {2, 11, 19};
  std::vector<Sender<int>> senders;
  std::vector<Receiver<int>> receivers;
  for (size_t i = 0; i < kCases; ++i) {
    auto [tx, rx] = Unbounded<int>();
    senders.push_back(std::move(tx));
    receivers.push_back(std::move(rx));
  }
  for (size_t i : kReady) {
    for (int v = 0; v < selects; ++v) BOOST_REQUIRE(senders[i].Send(v).ok());
  }
  DynamicSelect select;
  for (Receiver<int>& rx : receivers) select.AddRecv(rx);
  std::vector<long> wins(kCases, 0);
  for (int i = 0; i < selects; ++i) {
    std::optional<SelectedOperation> op = select.TrySelect();
    BOOST_REQUIRE(op.has_value());
    const size_t index = op->index();
    BOOST_REQUIRE(op->Recv(receivers[index]).ok());
    ++wins[index];
  }
  std::vector<long> ready_wins;
  for (size_t i : kReady) ready_wins.push_back(wins[i]);
  ExpectShares(ready_wins, selects, 0.25, 0.42);
  BOOST_TEST(ready_wins[0] + ready_wins[1] + ready_wins[2] == selects);
}

BOOST_AUTO_TEST_CASE(DynamicReadyShareEvenly) {
  // Readiness consumes nothing, so one value per channel keeps all ready.
  const int selects = Scaled(40'000);
  Filled<4> c(1);
  DynamicSelect select;
  for (Receiver<int>& rx : c.receivers) select.AddRecv(rx);
  std::vector<long> wins(4, 0);
  for (int i = 0; i < selects; ++i) {
    std::optional<size_t> ready = select.TryReady();
    BOOST_REQUIRE(ready.has_value());
    ++wins[*ready];
  }
  ExpectShares(wins, selects, 0.15, 0.35);
  for (Receiver<int>& rx : c.receivers) BOOST_TEST(rx.Len() == 1u);
}

BOOST_AUTO_TEST_CASE(DynamicBiasedAlwaysPicksTheFirstReady) {
  const int selects = Scaled(10'000);
  Filled<4> c(1);
  Filled<1> idle(0);
  DynamicSelect select;
  select.AddRecv(idle.receivers[0]);
  for (Receiver<int>& rx : c.receivers) select.AddRecv(rx);
  select.Biased();
  for (int i = 0; i < selects; ++i) {
    BOOST_REQUIRE(select.Ready() == 1u);
    std::optional<SelectedOperation> op = select.TrySelect();
    BOOST_REQUIRE(op.has_value());
    BOOST_REQUIRE(op->index() == 1u);
    // Dropped: the value stays, and the case stays first and ready.
  }
  // Biased(false) restores the random choice.
  select.Biased(false);
  std::vector<long> wins(5, 0);
  for (int i = 0; i < selects; ++i) ++wins[select.Ready()];
  BOOST_TEST(wins[0] == 0);
  for (size_t i = 1; i < 5; ++i) BOOST_TEST(wins[i] > 0);
}

}  // namespace
}  // namespace chan::testing
