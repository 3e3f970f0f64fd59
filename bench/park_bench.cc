// The park/unpark round trip between two threads: one thread unparks the
// other and parks until it is unparked back. This is the cost a blocking
// channel operation pays when the other side really sleeps.
#include <atomic>
#include <thread>

#include "benchmark/benchmark.h"
#include "chan/park.h"

namespace {

void BM_ParkUnparkRoundTrip(benchmark::State& state) {
  chan::Parker main_parker;
  chan::Parker echo_parker;
  chan::Unparker wake_main = main_parker.unparker();
  chan::Unparker wake_echo = echo_parker.unparker();
  std::atomic<bool> stop{false};
  std::thread echo([&] {
    for (;;) {
      echo_parker.Park();
      if (stop.load(std::memory_order_relaxed)) return;
      wake_main.Unpark();
    }
  });
  for (auto _ : state) {
    wake_echo.Unpark();
    main_parker.Park();
  }
  stop.store(true, std::memory_order_relaxed);
  wake_echo.Unpark();
  echo.join();
}
BENCHMARK(BM_ParkUnparkRoundTrip)->UseRealTime();

// The same with the token already there: Park() returns without a syscall.
void BM_UnparkThenPark(benchmark::State& state) {
  chan::Parker& parker = chan::Parker::ForThisThread();
  chan::Unparker unparker = parker.unparker();
  for (auto _ : state) {
    unparker.Unpark();
    parker.Park();
  }
}
BENCHMARK(BM_UnparkThenPark);

}  // namespace

BENCHMARK_MAIN();
