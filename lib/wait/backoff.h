// Exponential backoff for the moments a thread waits on another that is
// probably running: a slot being written, a lock being released, a partner
// about to arrive. Spinning is cheap when the wait is short; yielding gives
// the core away when it is not, which matters on a machine with few cores.
//
// The budgets, measured on the 2-core VMs this was tuned on (bench/; the
// second figure is an AMD EPYC VM's):
//   - a PAUSE costs 9.6 ns / 24 ns; the spin phase (2^0 .. 2^6 PAUSEs)
//     ~1.2 us / ~3 us;
//   - a sched_yield with nothing else to run costs ~150 ns / ~375 ns;
//   - a park/unpark round trip through the futex costs ~11 us; a round
//     trip between two threads spinning on one atomic ~115 ns / 50-450 ns
//     (it depends on where the hypervisor places the two vCPUs: see
//     `compare_chan floor`).
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
  // Steps up to kSpinLimit spin 2^step PAUSEs; later steps yield.
  static constexpr uint32_t kSpinLimit = 6;

  // Step budgets (IsCompleted() after this many steps):
  //
  // kRetrySteps: for retrying an operation before registering as a waiter,
  // ~3 us (spin, then 14 yields). Long enough to cover a partner's send or
  // receive in progress; after that, registering costs less than retrying.
  static constexpr uint32_t kRetrySteps = 20;
  // kWaitSteps: for a registered waiter before it parks, ~11 us (spin, then
  // 64 yields): about one futex round trip, so spinning-then-parking costs
  // at most twice what the better of the two would have. Shorter budgets
  // let a woken thread's wake-up latency (itself ~10 us) exceed the other
  // side's spin, so both sides take turns parking: with 10 steps, 200,000
  // rendezvous messages took 1,003 ms instead of 147 ms.
  static constexpr uint32_t kWaitSteps = 70;

  explicit Backoff(uint32_t steps = kRetrySteps) : limit_(steps) {}

  // Backs off in a lock-free retry loop, where another thread made progress
  // and ours should retry soon: spins only.
  void Spin() {
    const uint32_t shift = step_ < kSpinLimit ? step_ : kSpinLimit;
    for (uint32_t i = 0; i < (1u << shift); ++i) CpuRelax();
    if (step_ <= kSpinLimit) ++step_;
  }

  // Backs off while waiting for another thread to do something: spins
  // first, then yields.
  void Snooze() {
    if (step_ <= kSpinLimit) {
      for (uint32_t i = 0; i < (1u << step_); ++i) CpuRelax();
    } else {
      std::this_thread::yield();
    }
    if (step_ <= limit_) ++step_;
  }

  // Backs off while waiting for a word that another thread writes once to
  // end the wait (a context's selection, a hand-off's completion). Spins
  // like Snooze() for as long in all, but re-reads every kPollPauses PAUSEs
  // instead of doubling the gap: Snooze()'s last gaps (64 PAUSEs, 0.6-1.5
  // us) would add up to that much to each hand-off, several times the
  // cross-core round trip the hand-off itself costs. Polling a word that is
  // written once costs its writer nothing; Snooze()'s doubling remains for
  // retry loops, whose re-reads would contend with a partner that is still
  // writing the same cache line.
  void Poll() {
    if (polls_ < kPollSteps) {
      for (uint32_t i = 0; i < kPollPauses; ++i) CpuRelax();
      if (++polls_ == kPollSteps) step_ = kSpinLimit + 1;  // Spin phase over.
      return;
    }
    Snooze();
  }

  // True once waiting longer should block instead of snoozing.
  bool IsCompleted() const { return step_ > limit_; }

  void Reset() {
    step_ = 0;
    polls_ = 0;
  }

 private:
  // Poll()'s spin phase: 32 reads 4 PAUSEs apart, the 127 PAUSEs of
  // Snooze()'s spin phase.
  static constexpr uint32_t kPollPauses = 4;
  static constexpr uint32_t kPollSteps = 32;

  uint32_t step_ = 0;
  uint32_t polls_ = 0;
  uint32_t limit_;
};

}  // namespace chan::internal

#endif  // CHAN_LIB_WAIT_BACKOFF_H_
