// Channel throughput and latency, per flavor, on crossbeam's scenarios:
//
//   seq       one thread sends N, then receives N (needs capacity >= N)
//   spsc      one producer, one consumer
//   mpsc      4 producers, one consumer
//   pingpong  a round trip between two threads over two channels
//   timeout   a RecvFor() on an empty channel, which must return at its
//             deadline: the time per call past the timeout is the overrun
//
// N = 200,000 messages of int. One benchmark iteration is one whole
// scenario (one call, for timeout); items_per_second is messages per
// second.
//
//   bazel run --config=opt //bench:channel_bench -- --benchmark_repetitions=5
#include <cstdint>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "chan/chan.h"

namespace {

constexpr int kMessages = 200'000;
constexpr int kProducers = 4;

// Capacity argument: -1 unbounded, otherwise Bounded(capacity).
auto Make(int64_t capacity) {
  return capacity < 0 ? chan::Unbounded<int>()
                      : chan::Bounded<int>(static_cast<size_t>(capacity));
}

void Check(benchmark::State& state, int64_t received, int64_t sum,
           int64_t expected_sum) {
  if (received != kMessages || sum != expected_sum) {
    state.SkipWithError("messages lost or duplicated");
  }
}

void BM_Seq(benchmark::State& state) {
  for (auto _ : state) {
    auto [tx, rx] = Make(state.range(0));
    for (int i = 0; i < kMessages; ++i) (void)tx.Send(i);
    int64_t sum = 0, received = 0;
    for (int i = 0; i < kMessages; ++i) {
      sum += *rx.Recv();
      ++received;
    }
    Check(state, received, sum, int64_t{kMessages} * (kMessages - 1) / 2);
  }
  state.SetItemsProcessed(state.iterations() * kMessages);
}

void BM_Spsc(benchmark::State& state) {
  for (auto _ : state) {
    auto [tx, rx] = Make(state.range(0));
    std::thread producer([tx = std::move(tx)]() mutable {
      for (int i = 0; i < kMessages; ++i) (void)tx.Send(i);
    });
    int64_t sum = 0, received = 0;
    for (int v : rx) {
      sum += v;
      ++received;
    }
    producer.join();
    Check(state, received, sum, int64_t{kMessages} * (kMessages - 1) / 2);
  }
  state.SetItemsProcessed(state.iterations() * kMessages);
}

void BM_Mpsc(benchmark::State& state) {
  constexpr int kEach = kMessages / kProducers;
  for (auto _ : state) {
    auto [tx, rx] = Make(state.range(0));
    std::vector<std::thread> producers;
    for (int p = 0; p < kProducers; ++p) {
      producers.emplace_back([tx]() mutable {
        for (int i = 0; i < kEach; ++i) (void)tx.Send(i);
      });
    }
    { auto drop = std::move(tx); }
    int64_t sum = 0, received = 0;
    for (int v : rx) {
      sum += v;
      ++received;
    }
    for (auto& t : producers) t.join();
    Check(state, received, sum, int64_t{kProducers} * kEach * (kEach - 1) / 2);
  }
  state.SetItemsProcessed(state.iterations() * kMessages);
}

// Round trips: the main thread sends a token and waits for it to come back.
void BM_PingPong(benchmark::State& state) {
  auto [ping_tx, ping_rx] = Make(state.range(0));
  auto [pong_tx, pong_rx] = Make(state.range(0));
  std::thread echo(
      [rx = std::move(ping_rx), tx = std::move(pong_tx)]() mutable {
        for (int v : rx) (void)tx.Send(v);
      });
  for (auto _ : state) {
    (void)ping_tx.Send(1);
    benchmark::DoNotOptimize(pong_rx.Recv());
  }
  { auto drop = std::move(ping_tx); }
  echo.join();
}

// Arguments: capacity (0 or 1) and the timeout in microseconds.
void BM_RecvForTimesOut(benchmark::State& state) {
  auto [tx, rx] = Make(state.range(0));
  const absl::Duration timeout = absl::Microseconds(state.range(1));
  for (auto _ : state) {
    if (rx.RecvFor(timeout).status() != chan::Status::kTimeout) {
      state.SkipWithError("RecvFor on an empty channel did not time out");
    }
  }
}

void Flavors(benchmark::internal::Benchmark* b) {
  b->ArgName("cap")->Arg(-1)->Arg(1)->Arg(0)->Arg(kMessages);
}

BENCHMARK(BM_Seq)
    ->ArgName("cap")
    ->Arg(-1)
    ->Arg(kMessages)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_Spsc)
    ->Apply(Flavors)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_Mpsc)
    ->Apply(Flavors)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_PingPong)->ArgName("cap")->Arg(-1)->Arg(1)->Arg(0)->UseRealTime();
BENCHMARK(BM_RecvForTimesOut)
    ->ArgNames({"cap", "us"})
    ->ArgsProduct({{0, 1}, {1, 5, 50}})
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
