// The bounded flavor: a ring of `capacity` slots. Sends block (or fail to
// try) while every slot is taken; positions wrap around the ring lap after
// lap; capacities that cannot be allocated are refused with length_error.
#define BOOST_TEST_MODULE bounded
#include <array>
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "chan/chan.h"
#include "test/channel/channel_testing.h"
#include "test/support/scale.h"

namespace chan::testing {
namespace {

using std::chrono_literals::operator""ms;

BOOST_AUTO_TEST_CASE(LenCountsUpToTheCapacity) {
  auto [tx, rx] = Bounded<int>(3);
  BOOST_TEST(tx.Capacity().value() == 3u);
  BOOST_TEST(rx.Capacity().value() == 3u);
  for (int i = 0; i < 3; ++i) {
    BOOST_TEST(tx.Len() == static_cast<size_t>(i));
    BOOST_TEST(!tx.Full());
    BOOST_TEST(tx.TrySend(i).ok());
    BOOST_TEST(rx.Len() == static_cast<size_t>(i + 1));
    BOOST_TEST(!rx.Empty());
  }
  BOOST_TEST(tx.Full());
  BOOST_TEST(rx.Full());
  BOOST_TEST(rx.TryRecv().value() == 0);
  BOOST_TEST(!tx.Full());
  BOOST_TEST(tx.Len() == 2u);
}

BOOST_AUTO_TEST_CASE(TrySendToAFullChannelHandsTheValueBack) {
  auto [tx, rx] = Bounded<Boxed>(2);
  BOOST_TEST(tx.TrySend(Boxed(1)).ok());
  BOOST_TEST(tx.Send(Boxed(2)).ok());
  Boxed box(3);
  const int* cell = box.cell();
  SendResult<Boxed> r = tx.TrySend(std::move(box));
  BOOST_TEST(r.status() == Status::kFull);
  Boxed back = std::move(r).value();
  BOOST_TEST(back.value() == 3);
  BOOST_TEST(back.cell() == cell);
  BOOST_TEST(tx.Len() == 2u);

  // Once there is room, the same value goes in.
  BOOST_TEST(rx.TryRecv()->value() == 1);
  BOOST_TEST(tx.TrySend(std::move(back)).ok());
  BOOST_TEST(rx.TryRecv()->value() == 2);
  BOOST_TEST(rx.TryRecv()->value() == 3);
  BOOST_TEST(rx.TryRecv().status() == Status::kEmpty);
}

BOOST_AUTO_TEST_CASE(SendBlocksWhileFullUntilAReceiveMakesRoom) {
  auto [tx, rx] = Bounded<int>(2);
  BOOST_TEST(tx.Send(1).ok());
  BOOST_TEST(tx.Send(2).ok());
  std::atomic<bool> returned{false};
  Status status = Status::kEmpty;
  std::thread sender([&] {
    status = tx.Send(3).status();
    returned = true;
  });
  std::this_thread::sleep_for(30ms);
  BOOST_TEST(!returned.load());  // Still full: the send waits.
  BOOST_TEST(tx.Len() == 2u);
  BOOST_TEST(rx.Recv().value() == 1);
  sender.join();
  BOOST_TEST(returned.load());
  BOOST_TEST(status == Status::kOk);
  BOOST_TEST(rx.Recv().value() == 2);
  BOOST_TEST(rx.Recv().value() == 3);
}

// Single-threaded laps around a small ring, with fill levels that put the
// head before, at and after the tail: order and Len stay right throughout.
BOOST_AUTO_TEST_CASE(WrapsAroundTheRingLapAfterLap) {
  const int rounds = Scaled(3'000);
  auto [tx, rx] = Bounded<int>(3);
  int next_send = 0;
  int next_recv = 0;
  int wrong = 0;
  for (int round = 0; round < rounds; ++round) {
    const int burst = 1 + round % 3;
    for (int i = 0; i < burst; ++i) {
      if (!tx.TrySend(next_send++).ok()) ++wrong;
    }
    if (tx.Len() != static_cast<size_t>(burst)) ++wrong;
    if (tx.Full() != (burst == 3)) ++wrong;
    if (burst == 3 && tx.TrySend(-1).status() != Status::kFull) ++wrong;
    for (int i = 0; i < burst; ++i) {
      RecvResult<int> r = rx.TryRecv();
      if (!r || *r != next_recv++) ++wrong;
    }
    if (!rx.Empty()) ++wrong;
  }
  BOOST_TEST(wrong == 0);
  BOOST_TEST(rx.TryRecv().status() == Status::kEmpty);
}

// With the ring full, the head index lies past the tail index half the
// time; Len must count across the wrap.
BOOST_AUTO_TEST_CASE(LenCountsAcrossTheWrap) {
  auto [tx, rx] = Bounded<int>(5);
  for (int i = 0; i < 4; ++i) BOOST_TEST(tx.TrySend(i).ok());
  for (int i = 0; i < 3; ++i) BOOST_TEST(rx.TryRecv().ok());
  // Head at index 3, tail at index 4.
  BOOST_TEST(tx.Len() == 1u);
  for (int i = 0; i < 3; ++i) BOOST_TEST(tx.TrySend(i).ok());
  // Tail wrapped to index 2; head at 3.
  BOOST_TEST(tx.Len() == 4u);
  BOOST_TEST(tx.TrySend(9).ok());
  BOOST_TEST(tx.Len() == 5u);
  BOOST_TEST(tx.Full());
  BOOST_TEST(tx.TrySend(10).status() == Status::kFull);
}

BOOST_AUTO_TEST_CASE(SizeOneHandsValuesOverOneByOne) {
  const int n = Scaled(20'000);
  auto [tx, rx] = Bounded<int>(1);
  std::thread sender([n, tx = std::move(tx)]() mutable {
    for (int i = 0; i < n; ++i) {
      if (!tx.Send(i)) return;
    }
  });
  int expected = 0;
  int wrong = 0;
  for (int v : rx) {
    if (v != expected++) ++wrong;
    if (rx.Len() > 1) ++wrong;
  }
  sender.join();
  BOOST_TEST(wrong == 0);
  BOOST_TEST(expected == n);
}

BOOST_AUTO_TEST_CASE(LargeButAllocatableCapacityWorks) {
  const size_t capacity = size_t{1} << 20;
  auto [tx, rx] = Bounded<int>(capacity);
  BOOST_TEST(tx.Capacity().value() == capacity);
  BOOST_TEST(tx.TrySend(1).ok());
  BOOST_TEST(rx.TryRecv().value() == 1);
}

// The constructor must refuse the capacity with std::length_error whose
// message names it.
template <class T>
void ExpectLengthError(size_t capacity) {
  BOOST_TEST_CONTEXT("capacity " << capacity) {
    try {
      auto channel = Bounded<T>(capacity);
      BOOST_ERROR("Bounded() accepted a capacity it cannot hold");
    } catch (const std::length_error& e) {
      const std::string what = e.what();
      BOOST_TEST(what.find(std::to_string(capacity)) != std::string::npos,
                 "message: " << what);
      BOOST_TEST(what.find("capacity") != std::string::npos,
                 "message: " << what);
    }
  }
}

BOOST_AUTO_TEST_CASE(CapacityPastThePositionLimitIsALengthError) {
  // Over the 2^48 slots that positions leave room for.
  ExpectLengthError<int>((size_t{1} << 48) + 1);
  ExpectLengthError<int>(size_t{1} << 50);
  ExpectLengthError<int>(std::numeric_limits<size_t>::max() / 2);
  ExpectLengthError<int>(std::numeric_limits<size_t>::max());
}

BOOST_AUTO_TEST_CASE(CapacityWhoseBytesOverflowIsALengthError) {
  // capacity * sizeof(slot) does not fit in size_t.
  using Big = std::array<char, size_t{1} << 20>;
  ExpectLengthError<Big>(size_t{1} << 47);
}

// A capacity under the position limit whose ring still cannot be allocated:
// 2^47 slots of an int need 2 PiB, more than the address space. Only
// without a sanitizer, whose allocators stop the program on a request that
// large instead of failing it.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

BOOST_AUTO_TEST_CASE(CapacityThatCannotBeAllocatedIsALengthError) {
  if constexpr (kSanitized) {
    BOOST_TEST_MESSAGE("skipped under a sanitizer");
  } else {
    ExpectLengthError<int>(size_t{1} << 47);
    ExpectLengthError<int>(size_t{1} << 48);
  }
}

// Every capacity in the top half of size_t is refused like the others, not
// only those the checks above happen to use. Last in the file: if the
// constructor computes with such a capacity before refusing it, the
// undefined behaviour sanitizer stops the whole program here.
BOOST_AUTO_TEST_CASE(CapacityNearSizeMaxIsALengthError) {
  const size_t max = std::numeric_limits<size_t>::max();
  ExpectLengthError<int>(max / 2 + 1);  // 2^63
  ExpectLengthError<int>(max - 1);
}

}  // namespace
}  // namespace chan::testing
