// Shared pieces of the channel suites: one "maker" per flavor, so that a
// typed test runs the same body over each, and value types that check what
// the channel does with them — move-only, throwing on move, counting their
// own lifetimes.
#ifndef CHAN_TEST_CHANNEL_CHANNEL_TESTING_H_
#define CHAN_TEST_CHANNEL_CHANNEL_TESTING_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

#include "chan/channel.h"

namespace chan::testing {

// The flavors, as typed tests see them.
enum class Kind { kUnbounded, kBounded, kRendezvous };

struct UnboundedMaker {
  static constexpr Kind kKind = Kind::kUnbounded;
  template <class T>
  static std::pair<Sender<T>, Receiver<T>> Make() {
    return Unbounded<T>();
  }
};

template <size_t N>
struct BoundedMaker {
  static_assert(N > 0, "Bounded(0) is RendezvousMaker");
  static constexpr Kind kKind = Kind::kBounded;
  static constexpr size_t kCapacity = N;
  template <class T>
  static std::pair<Sender<T>, Receiver<T>> Make() {
    return Bounded<T>(N);
  }
};

struct RendezvousMaker {
  static constexpr Kind kKind = Kind::kRendezvous;
  template <class T>
  static std::pair<Sender<T>, Receiver<T>> Make() {
    return Bounded<T>(0);
  }
};

// Whether a flavor holds values with no receiver waiting.
template <class Maker>
constexpr bool kBuffered = Maker::kKind != Kind::kRendezvous;

// How many sends a flavor takes without a receiver (the unbounded one takes
// any number; `n` stands in for it).
template <class Maker>
constexpr size_t RoomFor(size_t n) {
  if constexpr (Maker::kKind == Kind::kUnbounded) {
    return n;
  } else if constexpr (Maker::kKind == Kind::kBounded) {
    return Maker::kCapacity < n ? Maker::kCapacity : n;
  } else {
    return 0;
  }
}

// Move-only and not default-constructible: the weakest T a channel must
// carry. The heap cell makes a lost or doubled value visible to
// AddressSanitizer too.
class Boxed {
 public:
  explicit Boxed(int value) : cell_(std::make_unique<int>(value)) {}
  Boxed(Boxed&&) noexcept = default;
  Boxed& operator=(Boxed&&) noexcept = default;
  Boxed(const Boxed&) = delete;
  Boxed& operator=(const Boxed&) = delete;

  int value() const { return cell_ != nullptr ? *cell_ : -1; }
  const int* cell() const { return cell_.get(); }

 private:
  std::unique_ptr<int> cell_;
};

// The exception ThrowsOnMove throws.
struct MoveError : std::runtime_error {
  MoveError() : std::runtime_error("move failed on purpose") {}
};

// A value whose move constructor throws once after Arm() was called in the
// moving thread. Moving copies the payload and marks the source, so a value
// that a failed move left alone still holds its payload.
class ThrowsOnMove {
 public:
  static constexpr int kMovedFrom = -1;

  explicit ThrowsOnMove(int value) : value_(value) {}
  ThrowsOnMove(ThrowsOnMove&& other) : value_(other.value_) {
    if (armed_) {
      armed_ = false;
      throw MoveError();
    }
    other.value_ = kMovedFrom;
  }
  ThrowsOnMove& operator=(ThrowsOnMove&&) = delete;

  // Makes the next move constructed in the calling thread throw.
  static void Arm() { armed_ = true; }
  static void Disarm() { armed_ = false; }
  static bool armed() { return armed_; }

  int value() const { return value_; }

 private:
  static thread_local inline bool armed_ = false;
  int value_;
};

// A value that counts its own lifetime, for proving that every value a
// channel took is destroyed exactly once. Each object carries a magic word
// that its destructor changes: destroying or moving from an object that is
// no longer alive counts as an error, as does the live count going below
// zero. A value made with a payload id records, in a registry of the test's
// choosing, when that payload is finally destroyed.
class Counted {
 public:
  static constexpr int64_t kNoPayload = -1;

  explicit Counted(int64_t payload) : payload_(payload) { Born(); }
  Counted(Counted&& other) noexcept
      : payload_(std::exchange(other.payload_, kNoPayload)) {
    if (other.magic_.load(std::memory_order_relaxed) != kAlive) {
      errors_.fetch_add(1, std::memory_order_relaxed);
    }
    Born();
  }
  Counted& operator=(Counted&& other) noexcept {
    if (this != &other) {
      DestroyPayload();
      payload_ = std::exchange(other.payload_, kNoPayload);
    }
    return *this;
  }
  Counted(const Counted&) = delete;
  Counted& operator=(const Counted&) = delete;

  ~Counted() {
    // An atomic store, so that it is not dropped as a dead store.
    if (magic_.exchange(kDead, std::memory_order_relaxed) != kAlive) {
      errors_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    DestroyPayload();
    destroyed_.fetch_add(1, std::memory_order_relaxed);
    if (live_.fetch_sub(1, std::memory_order_relaxed) <= 0) {
      errors_.fetch_add(1, std::memory_order_relaxed);
    }
  }

  int64_t payload() const { return payload_; }

  // Starts counting afresh, recording payload destructions in `registry`
  // (ids 0 .. registry->size() - 1) if it is given. Call with no Counted
  // alive.
  static void Reset(std::vector<std::atomic<int>>* registry = nullptr) {
    live_.store(0);
    constructed_.store(0);
    destroyed_.store(0);
    errors_.store(0);
    registry_.store(registry);
  }

  static int64_t live() { return live_.load(); }
  static int64_t constructed() { return constructed_.load(); }
  static int64_t destroyed() { return destroyed_.load(); }
  static int64_t errors() { return errors_.load(); }

 private:
  static constexpr uint32_t kAlive = 0x600DF00D;
  static constexpr uint32_t kDead = 0xDEADBEEF;

  void Born() {
    constructed_.fetch_add(1, std::memory_order_relaxed);
    live_.fetch_add(1, std::memory_order_relaxed);
  }

  void DestroyPayload() {
    if (payload_ == kNoPayload) return;
    std::vector<std::atomic<int>>* registry = registry_.load();
    if (registry != nullptr) {
      if (payload_ >= 0 && static_cast<size_t>(payload_) < registry->size()) {
        (*registry)[payload_].fetch_add(1, std::memory_order_relaxed);
      } else {
        errors_.fetch_add(1, std::memory_order_relaxed);
      }
    }
    payload_ = kNoPayload;
  }

  std::atomic<uint32_t> magic_{kAlive};
  int64_t payload_;

  static inline std::atomic<int64_t> live_{0};
  static inline std::atomic<int64_t> constructed_{0};
  static inline std::atomic<int64_t> destroyed_{0};
  static inline std::atomic<int64_t> errors_{0};
  static inline std::atomic<std::vector<std::atomic<int>>*> registry_{nullptr};
};

}  // namespace chan::testing

#endif  // CHAN_TEST_CHANNEL_CHANNEL_TESTING_H_
