// chan's side of the side-by-side comparison with Go and crossbeam-channel
// (bench/compare.py runs it with the programs in bench/peers/). It runs the
// same scenarios the same way and prints the same lines:
//
//   chan <scenario> <flavor> <value> <unit>
//
// Usage: compare_chan [--flavor=NAME] [seq|spsc|mpsc|select_rx|select_both|
//                      pingpong|select_cases|memory|floor|all ...]
// --flavor restricts the throughput and ping-pong scenarios to one flavor
// (unbounded, bounded_n, bounded_1, bounded_0), for profiling one row.
// See bench/peers/README.md for what each scenario measures. Every run checks
// that each message arrived (count and sum) and exits 1 if not.

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "chan/chan.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace {

constexpr size_t kMessages = 200'000;       // per throughput run
constexpr size_t kProducers = 4;            // where a scenario has several
constexpr size_t kWarmupMessages = 10'000;  // untimed run before each timed one
// An unbounded channel allocates as it fills: its warm-up run sends as many
// messages as the timed one, so that the timed run finds the allocator's
// memory mapped already, as in a program that has been running (growing a
// fresh thread's heap takes one mprotect call per 4 KiB: ~800 calls, 3 ms,
// for 200,000 messages, which would otherwise fall on whichever run comes
// first in the process). The peers do the same.
size_t WarmupMessages(std::optional<size_t> capacity) {
  return capacity ? kWarmupMessages : kMessages;
}
constexpr size_t kRounds = 100'000;         // pingpong round trips
constexpr size_t kRssMessages = 1'000'000;  // queued by the peak RSS child
constexpr size_t kIdleChannels = 10'000;    // averaged over for the idle size
constexpr size_t kSelectKs[] = {1, 4, 16, 64, 256, 1024};

[[noreturn]] void Fail(const std::string& message) {
  std::fprintf(stderr, "compare_chan: %s\n", message.c_str());
  std::exit(1);
}

void Report(std::string_view scenario, std::string_view flavor,
            const std::string& value, std::string_view unit) {
  std::printf("chan %.*s %.*s %s %.*s\n", static_cast<int>(scenario.size()),
              scenario.data(), static_cast<int>(flavor.size()), flavor.data(),
              value.c_str(), static_cast<int>(unit.size()), unit.data());
  std::fflush(stdout);
}

std::string Fixed(double value, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, value);
  return buffer;
}

// What a consumer saw: how many messages and their sum.
struct Tally {
  size_t count = 0;
  size_t sum = 0;
  void Add(size_t v) {
    ++count;
    sum += v;
  }
};

void Expect(std::string_view scenario, std::string_view flavor, Tally got,
            size_t n) {
  if (got.count != n || got.sum != n * (n - 1) / 2) {
    Fail(std::string(scenario) + " " + std::string(flavor) + ": received " +
         std::to_string(got.count) + " messages summing to " +
         std::to_string(got.sum) + ", want " + std::to_string(n));
  }
}

struct Flavor {
  const char* name;
  std::optional<size_t> capacity;  // nullopt: unbounded
};

constexpr Flavor kFlavors[] = {
    {"unbounded", std::nullopt},
    {"bounded_n", kMessages},
    {"bounded_1", 1},
    {"bounded_0", 0},
};

// The flavor named by --flavor; empty: all of them.
std::string only_flavor;

bool Wanted(const Flavor& f) {
  return only_flavor.empty() || only_flavor == f.name;
}

using Tx = chan::Sender<size_t>;
using Rx = chan::Receiver<size_t>;

std::pair<Tx, Rx> Make(std::optional<size_t> capacity) {
  return capacity ? chan::Bounded<size_t>(*capacity)
                  : chan::Unbounded<size_t>();
}

void Produce(Tx& tx, size_t first, size_t count) {
  for (size_t v = first; v < first + count; ++v) {
    if (!tx.Send(v)) Fail("send on a disconnected channel");
  }
}

Tally Consume(Rx& rx, size_t n) {
  Tally t;
  for (size_t i = 0; i < n; ++i) {
    chan::RecvResult<size_t> r = rx.Recv();
    if (!r) Fail("receive on a disconnected channel");
    t.Add(*r);
  }
  return t;
}

// A throughput run makes its channels, then times from before it starts its
// threads until it has joined them all.
using Run = std::function<Tally(size_t n, std::optional<size_t> capacity,
                                absl::Duration* elapsed)>;

Tally Seq(size_t n, std::optional<size_t> capacity, absl::Duration* elapsed) {
  auto [tx, rx] = Make(capacity);
  const absl::Time start = absl::Now();
  Tally t;
  std::thread([&] {
    Produce(tx, 0, n);
    t = Consume(rx, n);
  }).join();
  *elapsed = absl::Now() - start;
  return t;
}

// Times `producers` threads, each running produce(p, first, count) over its
// share of n, and one consumer thread, from before they start until both
// are joined.
Tally RunProducersAndConsumer(
    size_t producers, size_t n,
    const std::function<void(size_t p, size_t first, size_t count)>& produce,
    const std::function<Tally()>& consume, absl::Duration* elapsed) {
  const size_t per = n / producers;
  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (size_t p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] { produce(p, p * per, per); });
  }
  Tally t;
  std::thread consumer([&] { t = consume(); });
  for (auto& h : threads) h.join();
  consumer.join();
  *elapsed = absl::Now() - start;
  return t;
}

Tally Spsc(size_t n, std::optional<size_t> capacity, absl::Duration* elapsed) {
  auto [tx, rx] = Make(capacity);
  return RunProducersAndConsumer(
      1, n,
      [&](size_t, size_t first, size_t count) { Produce(tx, first, count); },
      [&] { return Consume(rx, n); }, elapsed);
}

Tally Mpsc(size_t n, std::optional<size_t> capacity, absl::Duration* elapsed) {
  auto [tx, rx] = Make(capacity);
  std::vector<Tx> txs(kProducers, tx);  // One sender per producer.
  return RunProducersAndConsumer(
      kProducers, n,
      [&](size_t p, size_t first, size_t count) {
        Produce(txs[p], first, count);
      },
      [&] { return Consume(rx, n); }, elapsed);
}

// Receives n messages from whichever of four channels has one.
Tally ConsumeAny(std::vector<Rx>& rxs, size_t n) {
  Tally t;
  auto take = [&](std::optional<size_t> v) {
    if (!v) Fail("select received from a disconnected channel");
    t.Add(*v);
  };
  while (t.count < n) {
    chan::Select()
        .Recv(rxs[0], take)
        .Recv(rxs[1], take)
        .Recv(rxs[2], take)
        .Recv(rxs[3], take)
        .Wait();
  }
  return t;
}

void FourChannels(std::optional<size_t> capacity, std::vector<Tx>& txs,
                  std::vector<Rx>& rxs) {
  for (int i = 0; i < 4; ++i) {
    auto [tx, rx] = Make(capacity);
    txs.push_back(std::move(tx));
    rxs.push_back(std::move(rx));
  }
}

// Each producer sends on its own channel; the consumer selects.
Tally SelectRx(size_t n, std::optional<size_t> capacity,
               absl::Duration* elapsed) {
  std::vector<Tx> txs;
  std::vector<Rx> rxs;
  FourChannels(capacity, txs, rxs);
  return RunProducersAndConsumer(
      kProducers, n,
      [&](size_t p, size_t first, size_t count) {
        Produce(txs[p], first, count);
      },
      [&] { return ConsumeAny(rxs, n); }, elapsed);
}

// Every send is a select over sending on all four channels.
Tally SelectBoth(size_t n, std::optional<size_t> capacity,
                 absl::Duration* elapsed) {
  std::vector<Tx> txs;
  std::vector<Rx> rxs;
  FourChannels(capacity, txs, rxs);
  auto sent = [](chan::Status s) {
    if (s != chan::Status::kOk) Fail("select sent on a disconnected channel");
  };
  return RunProducersAndConsumer(
      kProducers, n,
      [&](size_t, size_t first, size_t count) {
        std::vector<Tx> mine = txs;  // Each producer its own sender copies.
        for (size_t v = first; v < first + count; ++v) {
          chan::Select()
              .Send(mine[0], v, sent)
              .Send(mine[1], v, sent)
              .Send(mine[2], v, sent)
              .Send(mine[3], v, sent)
              .Wait();
        }
      },
      [&] { return ConsumeAny(rxs, n); }, elapsed);
}

void Throughput(std::string_view scenario, const Run& run, bool needs_room) {
  for (const Flavor& f : kFlavors) {
    if (!Wanted(f)) continue;
    const bool fits = !f.capacity || *f.capacity >= kMessages;
    if (needs_room && !fits) {
      Report(scenario, f.name, "-", "n/a");
      continue;
    }
    absl::Duration elapsed;
    const size_t warm = WarmupMessages(f.capacity);
    Expect(scenario, f.name, run(warm, f.capacity, &elapsed), warm);
    Expect(scenario, f.name, run(kMessages, f.capacity, &elapsed), kMessages);
    Report(scenario, f.name, Fixed(absl::ToDoubleMilliseconds(elapsed), 3),
           "ms");
  }
}

// pingpong: a value goes out on one channel and comes back on another.
bool PingPong(size_t rounds, size_t capacity, absl::Duration* elapsed) {
  auto [ping_tx, ping_rx] = chan::Bounded<size_t>(capacity);
  auto [pong_tx, pong_rx] = chan::Bounded<size_t>(capacity);
  const absl::Time start = absl::Now();
  std::thread echo([&] {
    for (size_t i = 0; i < rounds; ++i) (void)pong_tx.Send(*ping_rx.Recv());
  });
  bool ok = true;
  std::thread ask([&] {
    for (size_t i = 0; i < rounds; ++i) {
      (void)ping_tx.Send(i);
      ok &= *pong_rx.Recv() == i;
    }
  });
  echo.join();
  ask.join();
  *elapsed = absl::Now() - start;
  return ok;
}

void RunPingPong() {
  for (const Flavor& f : kFlavors) {
    if (!f.capacity || *f.capacity > 1 || !Wanted(f)) continue;
    absl::Duration elapsed;
    PingPong(kRounds / 10, *f.capacity, &elapsed);
    if (!PingPong(kRounds, *f.capacity, &elapsed)) {
      Fail("pingpong: a value came back changed");
    }
    Report("pingpong", f.name,
           Fixed(absl::ToDoubleNanoseconds(elapsed) / kRounds, 1), "ns");
  }
}

// select_cases: a DynamicSelect over k receivers of which only the last has
// a value, already queued.
void RunSelectCases() {
  for (size_t k : kSelectKs) {
    const size_t iters = std::max<size_t>((size_t{1} << 20) / k, 2000);
    const size_t warm = iters / 10;
    std::vector<Tx> txs;
    std::vector<Rx> rxs;
    for (size_t i = 0; i < k; ++i) {
      auto [tx, rx] = chan::Bounded<size_t>(i == k - 1 ? iters + warm : 1);
      txs.push_back(std::move(tx));
      rxs.push_back(std::move(rx));
    }
    for (size_t v = 0; v < warm; ++v) (void)txs[k - 1].Send(v);
    for (size_t v = 0; v < iters; ++v) (void)txs[k - 1].Send(v);
    chan::DynamicSelect select;
    for (Rx& rx : rxs) select.AddRecv(rx);
    auto take = [&](size_t count, absl::Duration* elapsed) {
      Tally t;
      const absl::Time start = absl::Now();
      for (size_t i = 0; i < count; ++i) {
        chan::SelectedOperation op = select.Select();
        if (op.index() != k - 1) Fail("select_cases: wrong case chosen");
        chan::RecvResult<size_t> r = op.Recv(rxs[op.index()]);
        if (!r) Fail("select_cases: disconnected");
        t.Add(*r);
      }
      *elapsed = absl::Now() - start;
      return t;
    };
    absl::Duration elapsed;
    take(warm, &elapsed);
    const std::string flavor = "k" + std::to_string(k);
    Expect("select_cases", flavor, take(iters, &elapsed), iters);
    Report("select_cases", flavor,
           Fixed(absl::ToDoubleNanoseconds(elapsed) / iters, 1), "ns");
  }
}

// floor: two threads take turns on one atomic, no channel involved. The
// round trip is what any hand-off between two running threads costs at
// least (a rendezvous message needs one, a ping-pong round two), and it
// depends on where the machine places the two threads: it tells a reader
// what the hand-off rows of the same run could have been at best.
void Relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

void RunFloor() {
  alignas(64) std::atomic<size_t> turn{0};
  auto play = [&](size_t rounds) {
    const absl::Time start = absl::Now();
    std::thread echo([&] {
      for (size_t i = 0; i < rounds; ++i) {
        while (turn.load(std::memory_order_acquire) != 2 * i + 1) {
          Relax();
        }
        turn.store(2 * i + 2, std::memory_order_release);
      }
    });
    for (size_t i = 0; i < rounds; ++i) {
      turn.store(2 * i + 1, std::memory_order_release);
      while (turn.load(std::memory_order_acquire) != 2 * i + 2) {
        Relax();
      }
    }
    echo.join();
    turn.store(0, std::memory_order_relaxed);
    return absl::Now() - start;
  };
  play(kRounds / 10);
  Report("floor", "roundtrip",
         Fixed(absl::ToDoubleNanoseconds(play(kRounds)) / kRounds, 1), "ns");
}

// Heap bytes requested and not yet freed, counted by the replacement
// operator new and delete below: what Rust's counting allocator measures
// in the peer program (not malloc's own overhead).
std::atomic<int64_t> requested_bytes{0};

int64_t HeapInUse() { return requested_bytes.load(std::memory_order_relaxed); }

size_t PeakRssKiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoul(line.substr(6));
  }
  return 0;
}

// Peak RSS of a fresh process that queues kRssMessages, then drains them:
// `bounded` into a channel of that capacity, else into an unbounded one.
void RssChild(bool bounded) {
  auto [tx, rx] =
      bounded ? chan::Bounded<size_t>(kRssMessages) : chan::Unbounded<size_t>();
  for (size_t v = 0; v < kRssMessages; ++v) (void)tx.Send(v);
  Tally t;
  for (size_t v : rx.Drain()) t.Add(v);
  Expect("memory", "peak_rss", t, kRssMessages);
  std::printf("%zu\n", PeakRssKiB());
}

void ReportPerMessage(std::string_view flavor, int64_t bytes) {
  Report("memory", flavor, Fixed(double(bytes) / kRssMessages, 2), "B");
}

// The same rows as the peers: idle size of an unbounded and a rendezvous
// channel; bytes per message queued in an unbounded channel and in one of
// capacity kRssMessages (made and filled); peak RSS of each.
void RunMemory(const char* self) {
  for (const Flavor& f : {kFlavors[0], kFlavors[3]}) {
    std::vector<std::pair<Tx, Rx>> hold;
    hold.reserve(kIdleChannels);
    const int64_t before = HeapInUse();
    for (size_t i = 0; i < kIdleChannels; ++i) hold.push_back(Make(f.capacity));
    Report("memory", std::string("idle_") + f.name,
           Fixed(double(HeapInUse() - before) / kIdleChannels, 1), "B");
  }
  {
    auto [tx, rx] = chan::Unbounded<size_t>();
    const int64_t before = HeapInUse();
    for (size_t v = 0; v < kRssMessages; ++v) (void)tx.Send(v);
    ReportPerMessage("per_msg_unbounded", HeapInUse() - before);
  }
  {
    const int64_t before = HeapInUse();
    auto [tx, rx] = chan::Bounded<size_t>(kRssMessages);
    for (size_t v = 0; v < kRssMessages; ++v) (void)tx.Send(v);
    ReportPerMessage("per_msg_bounded", HeapInUse() - before);
  }
  for (const char* flavor : {"unbounded", "bounded"}) {
    const std::string command = std::string(self) + " rss_child " + flavor;
    FILE* child = popen(command.c_str(), "r");
    size_t kib = 0;
    if (child == nullptr || std::fscanf(child, "%zu", &kib) != 1 ||
        pclose(child) != 0) {
      Fail("memory: the peak RSS child failed");
    }
    Report("memory", std::string("peak_rss_") + flavor, std::to_string(kib),
           "KiB");
  }
}

}  // namespace

int main(int argc, char** argv) {
  // What the memory scenario runs in a child process.
  if (argc > 1 && std::string_view(argv[1]) == "rss_child") {
    RssChild(argc > 2 && std::string_view(argv[2]) == "bounded");
    return 0;
  }
  std::vector<std::string> scenarios;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with("--flavor=")) {
      only_flavor = arg.substr(9);
      if (std::none_of(std::begin(kFlavors), std::end(kFlavors),
                       [](const Flavor& f) { return only_flavor == f.name; })) {
        std::fprintf(stderr, "compare_chan: unknown flavor %s\n",
                     only_flavor.c_str());
        return 2;
      }
    } else {
      scenarios.emplace_back(arg);
    }
  }
  if (scenarios.empty()) scenarios.push_back("all");
  for (const std::string& s : scenarios) {
    const bool all = s == "all";
    if (all || s == "seq") Throughput("seq", Seq, /*needs_room=*/true);
    if (all || s == "spsc") Throughput("spsc", Spsc, false);
    if (all || s == "mpsc") Throughput("mpsc", Mpsc, false);
    if (all || s == "select_rx") Throughput("select_rx", SelectRx, false);
    if (all || s == "select_both") Throughput("select_both", SelectBoth, false);
    if (all || s == "pingpong") RunPingPong();
    if (all || s == "select_cases") RunSelectCases();
    if (s == "memory") RunMemory(argv[0]);
    if (s == "floor") RunFloor();
    if (!all && s != "seq" && s != "spsc" && s != "mpsc" && s != "select_rx" &&
        s != "select_both" && s != "pingpong" && s != "select_cases" &&
        s != "memory" && s != "floor") {
      std::fprintf(stderr, "compare_chan: unknown scenario %s\n", s.c_str());
      return 2;
    }
  }
  return 0;
}

// The replacement allocation functions that count requested bytes. Each
// block carries a header in front of it that remembers its size and the
// header's own length (at least 16, and the alignment asked for).
namespace {

void* CountedNew(size_t size, size_t align) {
  const size_t header = std::max<size_t>(align, 16);
  void* raw = nullptr;
  if (posix_memalign(&raw, header, header + size) != 0) return nullptr;
  char* p = static_cast<char*>(raw) + header;
  reinterpret_cast<size_t*>(p)[-1] = size;
  reinterpret_cast<size_t*>(p)[-2] = header;
  requested_bytes.fetch_add(static_cast<int64_t>(size),
                            std::memory_order_relaxed);
  return p;
}

void* CountedNewOrThrow(size_t size, size_t align) {
  void* p = CountedNew(size, align);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

void CountedDelete(void* p) {
  if (p == nullptr) return;
  char* c = static_cast<char*>(p);
  const size_t size = reinterpret_cast<size_t*>(c)[-1];
  const size_t header = reinterpret_cast<size_t*>(c)[-2];
  requested_bytes.fetch_sub(static_cast<int64_t>(size),
                            std::memory_order_relaxed);
  std::free(c - header);
}

constexpr size_t kDefaultAlign = __STDCPP_DEFAULT_NEW_ALIGNMENT__;

}  // namespace

void* operator new(size_t n) { return CountedNewOrThrow(n, kDefaultAlign); }
void* operator new[](size_t n) { return CountedNewOrThrow(n, kDefaultAlign); }
void* operator new(size_t n, std::align_val_t a) {
  return CountedNewOrThrow(n, static_cast<size_t>(a));
}
void* operator new[](size_t n, std::align_val_t a) {
  return CountedNewOrThrow(n, static_cast<size_t>(a));
}
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  return CountedNew(n, kDefaultAlign);
}
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  return CountedNew(n, kDefaultAlign);
}
void* operator new(size_t n, std::align_val_t a,
                   const std::nothrow_t&) noexcept {
  return CountedNew(n, static_cast<size_t>(a));
}
void* operator new[](size_t n, std::align_val_t a,
                     const std::nothrow_t&) noexcept {
  return CountedNew(n, static_cast<size_t>(a));
}
void operator delete(void* p) noexcept { CountedDelete(p); }
void operator delete[](void* p) noexcept { CountedDelete(p); }
void operator delete(void* p, size_t) noexcept { CountedDelete(p); }
void operator delete[](void* p, size_t) noexcept { CountedDelete(p); }
void operator delete(void* p, std::align_val_t) noexcept { CountedDelete(p); }
void operator delete[](void* p, std::align_val_t) noexcept { CountedDelete(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept {
  CountedDelete(p);
}
void operator delete[](void* p, size_t, std::align_val_t) noexcept {
  CountedDelete(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  CountedDelete(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  CountedDelete(p);
}
void operator delete(void* p, std::align_val_t,
                     const std::nothrow_t&) noexcept {
  CountedDelete(p);
}
void operator delete[](void* p, std::align_val_t,
                       const std::nothrow_t&) noexcept {
  CountedDelete(p);
}
