// A std::stop_token as an operation: ready once stop is requested, and a
// blocked wait that includes it wakes when that happens (Go's ctx.Done()).
#ifndef CHAN_LIB_WAIT_STOP_OPERATION_H_
#define CHAN_LIB_WAIT_STOP_OPERATION_H_

#include <cstdint>
#include <optional>
#include <stop_token>

#include "lib/wait/context.h"
#include "lib/wait/operation.h"

namespace chan::internal {

class StopOperation final : public Selectable {
 public:
  explicit StopOperation(std::stop_token token) : token_(std::move(token)) {}
  // Copies carry the token, never a registration.
  StopOperation(const StopOperation& other) : token_(other.token_) {}
  StopOperation& operator=(const StopOperation&) = delete;

  // Whether stop can ever be requested; if not, the case is disabled.
  bool stop_possible() const { return token_.stop_possible(); }

  bool TryReserve(Operation&) override { return token_.stop_requested(); }
  bool IsReady(Operation&) override { return token_.stop_requested(); }

  // The callback selects the waiting context and wakes its thread. It runs
  // in the thread that requests stop, or here at once if stop was already
  // requested. Destroying it in Unregister() waits for a callback running
  // in another thread to return, so the context outlives every use.
  bool Register(Operation&, Context& context, uintptr_t id) override {
    callback_.emplace(token_, Wake{&context, id});
    return token_.stop_requested();
  }
  void Unregister(Operation&, Context&, uintptr_t) override {
    callback_.reset();
  }
  void Abandon(Operation&) override {}

 private:
  struct Wake {
    Context* context;
    uintptr_t id;
    void operator()() const { context->TrySelectAndWake(id); }
  };

  std::stop_token token_;
  std::optional<std::stop_callback<Wake>> callback_;
};

}  // namespace chan::internal

#endif  // CHAN_LIB_WAIT_STOP_OPERATION_H_
