// The outcomes of channel operations. Expected outcomes — a full or empty
// channel, a timeout, a disconnection — are values, not exceptions, and a
// failed send hands its value back.
#ifndef CHAN_RESULT_H_
#define CHAN_RESULT_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string_view>
#include <utility>

#include "lib/base/check.h"

namespace chan {

enum class Status : uint8_t {
  kOk,            // Sent, or received a value.
  kEmpty,         // A non-blocking receive found nothing queued.
  kFull,          // A non-blocking send found no room (or, on a rendezvous
                  // channel, no receiver waiting).
  kTimeout,       // The deadline passed first.
  kDisconnected,  // Receive: every sender is gone and the channel is
                  // drained. Send: the receiver is gone or closed.
};

constexpr std::string_view StatusName(Status status) {
  switch (status) {
    case Status::kOk:
      return "ok";
    case Status::kEmpty:
      return "empty";
    case Status::kFull:
      return "full";
    case Status::kTimeout:
      return "timeout";
    case Status::kDisconnected:
      return "disconnected";
  }
  return "unknown";
}

inline std::ostream& operator<<(std::ostream& os, Status status) {
  return os << StatusName(status);
}

// The outcome of a send. On failure it holds the value that was not sent.
//
//   if (auto r = tx.TrySend(std::move(job)); !r) Requeue(std::move(r).value());
template <class T>
class [[nodiscard]] SendResult {
 public:
  static SendResult Sent() { return SendResult(Status::kOk); }
  static SendResult Failed(Status status, T&& value) {
    return SendResult(status, std::move(value));
  }

  bool ok() const { return status_ == Status::kOk; }
  explicit operator bool() const { return ok(); }
  Status status() const { return status_; }

  // The value handed back by a failed send. Dies if the send succeeded.
  T& value() & { return CheckedValue(); }
  const T& value() const& {
    return const_cast<SendResult*>(this)->CheckedValue();
  }
  T&& value() && { return std::move(CheckedValue()); }

 private:
  explicit SendResult(Status status) : status_(status) {}
  SendResult(Status status, T&& value)
      : status_(status), value_(std::move(value)) {}

  T& CheckedValue() {
    CHAN_CHECK(value_.has_value(),
               "SendResult::value() on a send that succeeded");
    return *value_;
  }

  Status status_;
  std::optional<T> value_;
};

// The outcome of a receive: a value, or why there is none.
//
//   while (auto r = rx.Recv()) Handle(*r);  // until disconnected
template <class T>
class [[nodiscard]] RecvResult {
 public:
  RecvResult() = default;  // kEmpty, no value.
  explicit RecvResult(Status status) : status_(status) {}

  bool ok() const { return status_ == Status::kOk; }
  explicit operator bool() const { return ok(); }
  Status status() const { return status_; }

  // The received value. Dies if there is none.
  T& value() & { return CheckedValue(); }
  const T& value() const& {
    return const_cast<RecvResult*>(this)->CheckedValue();
  }
  T&& value() && { return std::move(CheckedValue()); }
  T& operator*() & { return CheckedValue(); }
  const T& operator*() const& {
    return const_cast<RecvResult*>(this)->CheckedValue();
  }
  T&& operator*() && { return std::move(CheckedValue()); }
  T* operator->() { return &CheckedValue(); }
  const T* operator->() const {
    return &const_cast<RecvResult*>(this)->CheckedValue();
  }

  // The value, or nullopt.
  std::optional<T> to_optional() && { return std::move(value_); }

  // For the channel implementation: where a received value is built, and
  // the outcome to report.
  std::optional<T>& storage() { return value_; }
  void set_status(Status status) { status_ = status; }

 private:
  T& CheckedValue() {
    CHAN_CHECK(value_.has_value(), "RecvResult::value() without a value");
    return *value_;
  }

  Status status_ = Status::kEmpty;
  std::optional<T> value_;
};

}  // namespace chan

#endif  // CHAN_RESULT_H_
