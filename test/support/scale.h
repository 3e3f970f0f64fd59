// Loop counts for stress tests: full size in normal builds, smaller under
// the sanitizers, which slow every memory access by 2-20x.
#ifndef CHAN_TEST_SUPPORT_SCALE_H_
#define CHAN_TEST_SUPPORT_SCALE_H_

namespace chan::testing {

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
inline constexpr int kScaleDivisor = 10;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
inline constexpr int kScaleDivisor = 10;
#else
inline constexpr int kScaleDivisor = 1;
#endif
#else
inline constexpr int kScaleDivisor = 1;
#endif

// `n` iterations, divided down under a sanitizer but never below 1.
constexpr int Scaled(int n) {
  return n / kScaleDivisor > 0 ? n / kScaleDivisor : 1;
}

}  // namespace chan::testing

#endif  // CHAN_TEST_SUPPORT_SCALE_H_
