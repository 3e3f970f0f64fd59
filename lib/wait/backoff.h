// Exponential backoff for the moments a thread waits on another that is
// already running: a slot being written, a lock being released, a partner
// about to arrive. Spinning is cheap when the wait is short; yielding gives
// the core away when it is not, which matters on a machine with few cores.
#ifndef CHAN_LIB_WAIT_BACKOFF_H_
#define CHAN_LIB_WAIT_BACKOFF_H_

#include <cstdint>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace chan::internal {

// Tells the core that this is a spin-wait loop (x86 PAUSE: lets the sibling
// hyperthread run and avoids a memory-order flush on exit).
inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

class Backoff {
 public:
  // Step k spins 2^k pauses while k <= kSpinLimit; Snooze() then yields the
  // core, until k passes kYieldLimit. Measured on a 2-core VM: a PAUSE costs
  // about 40 ns there, so spinning tops out at 2^6 pauses, about 2.5 us, a
  // fifth of a futex round trip (13 us); past that, yielding is cheaper than
  // burning the core the other thread may need.
  static constexpr uint32_t kSpinLimit = 6;
  static constexpr uint32_t kYieldLimit = 10;

  // Backs off in a lock-free retry loop, where another thread made progress
  // and ours should retry soon: spins only.
  void Spin() {
    const uint32_t limit = step_ < kSpinLimit ? step_ : kSpinLimit;
    for (uint32_t i = 0; i < (1u << limit); ++i) CpuRelax();
    if (step_ <= kSpinLimit) ++step_;
  }

  // Backs off while waiting for another thread to do something: spins first,
  // then yields.
  void Snooze() {
    if (step_ <= kSpinLimit) {
      for (uint32_t i = 0; i < (1u << step_); ++i) CpuRelax();
    } else {
      std::this_thread::yield();
    }
    if (step_ <= kYieldLimit) ++step_;
  }

  // True once waiting longer should block instead of snoozing.
  bool IsCompleted() const { return step_ > kYieldLimit; }

  void Reset() { step_ = 0; }

 private:
  uint32_t step_ = 0;
};

}  // namespace chan::internal

#endif  // CHAN_LIB_WAIT_BACKOFF_H_
