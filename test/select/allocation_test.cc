// A blocking select over a handful of cases, and a blocking receive, wait
// without allocating: once a thread's context exists and the channels are
// made, registering, parking and being woken touch no heap.
#define BOOST_TEST_MODULE allocation
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <new>
#include <optional>
#include <thread>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "chan/chan.h"

namespace {

// Counts the calling thread's allocations while `counting` is set.
thread_local bool counting = false;
thread_local int allocations = 0;

void* Allocate(std::size_t size, std::size_t alignment) {
  if (counting) ++allocations;
  void* p = alignment <= alignof(std::max_align_t)
                ? std::malloc(size == 0 ? 1 : size)
                : std::aligned_alloc(alignment, (size + alignment - 1) /
                                                    alignment * alignment);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

}  // namespace

void* operator new(std::size_t size) {
  return Allocate(size, alignof(std::max_align_t));
}
void* operator new[](std::size_t size) {
  return Allocate(size, alignof(std::max_align_t));
}
void* operator new(std::size_t size, std::align_val_t alignment) {
  return Allocate(size, static_cast<std::size_t>(alignment));
}
void* operator new[](std::size_t size, std::align_val_t alignment) {
  return Allocate(size, static_cast<std::size_t>(alignment));
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}

namespace chan {
namespace {

// Counts the allocations `body` makes on this thread.
template <class Body>
int AllocationsOf(Body body) {
  allocations = 0;
  counting = true;
  body();
  counting = false;
  return allocations;
}

// A sender thread that sends `value` on `tx` after a pause long enough for
// the receiving thread to register and park.
template <class T>
std::thread SendLater(Sender<T>& tx, T value) {
  return std::thread([&tx, value]() mutable {
    absl::SleepFor(absl::Milliseconds(20));
    (void)tx.Send(std::move(value));
  });
}

BOOST_AUTO_TEST_CASE(BlockingSelectOverFourCasesAllocatesNothing) {
  auto [a_tx, a_rx] = Unbounded<int>();
  auto [b_tx, b_rx] = Bounded<int>(4);
  auto [c_tx, c_rx] = Bounded<int>(0);
  auto [d_tx, d_rx] = Bounded<int>(1);
  int got = 0;
  auto wait = [&] {
    chan::Select()
        .Recv(a_rx, [&](std::optional<int> v) { got = *v; })
        .Recv(b_rx, [&](std::optional<int> v) { got = *v; })
        .Recv(c_rx, [&](std::optional<int> v) { got = *v; })
        .Recv(d_rx, [&](std::optional<int> v) { got = *v; })
        .Timeout(absl::Seconds(60), [] {})
        .Wait();
  };
  // The first wait makes this thread's context.
  std::thread warm = SendLater(b_tx, 1);
  wait();
  warm.join();

  for (Sender<int>* tx : {&a_tx, &b_tx, &c_tx, &d_tx}) {
    std::thread sender = SendLater(*tx, 7);
    BOOST_TEST(AllocationsOf(wait) == 0);
    sender.join();
    BOOST_TEST(got == 7);
  }
}

BOOST_AUTO_TEST_CASE(BlockingReceiveAllocatesNothing) {
  auto [tx, rx] = Bounded<int>(0);
  std::thread warm = SendLater(tx, 1);
  (void)rx.Recv();
  warm.join();

  std::thread sender = SendLater(tx, 2);
  std::optional<int> got;
  BOOST_TEST(AllocationsOf([&] { got = rx.Recv().to_optional(); }) == 0);
  sender.join();
  BOOST_TEST(got.value_or(-1) == 2);
}

BOOST_AUTO_TEST_CASE(CountingSeesAnAllocation) {
  // The harness itself: an allocation on this thread is counted.
  // (A call of operator new, unlike a new-expression, cannot be elided.)
  BOOST_TEST(AllocationsOf([] { ::operator delete(::operator new(8)); }) == 1);
}

}  // namespace
}  // namespace chan
