#include "lib/wait/wait.h"

#include <array>
#include <numeric>
#include <optional>
#include <vector>

#include "absl/time/clock.h"
#include "lib/wait/backoff.h"
#include "lib/wait/context.h"

namespace chan::internal {
namespace {

// Tries `op` in the loop's mode; true if it may be reported.
bool TryOne(Operation& op, bool ready_only) {
  if (op.target == nullptr) return false;
  return ready_only ? op.target->IsReady(op) : op.target->TryReserve(op);
}

// Waits for the partner that selected us to finish with our packet.
Packet::State AwaitPacket(const Packet& packet) {
  Backoff backoff;
  for (;;) {
    const uint32_t state = packet.state.load(std::memory_order_acquire);
    if (state != Packet::kPending) return static_cast<Packet::State>(state);
    backoff.Poll();
  }
}

// Whether to retry before registering: that pays off only where a retry
// alone can succeed; a rendezvous partner needs to see us registered.
bool RetryBeforeRegistering(std::span<const Operation> ops) {
  for (const Operation& op : ops) {
    if (op.target != nullptr && op.target->PairsWithWaiters()) return false;
  }
  return true;
}

}  // namespace

uint32_t RandomBelow(uint32_t n) {
  // xorshift32, seeded per thread from its address: fairness needs an even
  // spread, not unpredictability, and this costs a few instructions.
  thread_local uint32_t state =
      static_cast<uint32_t>(reinterpret_cast<uintptr_t>(&state) >> 4) | 1;
  state ^= state << 13;
  state ^= state >> 17;
  state ^= state << 5;
  // Lemire's multiply-shift maps the 32-bit value onto [0, n) evenly enough.
  return static_cast<uint32_t>((uint64_t{state} * n) >> 32);
}

size_t Wait(std::span<Operation> ops, const WaitOptions& options) {
  // The order in which operations are tried: a fresh random permutation per
  // call, so that every ready operation is equally likely to win (a random
  // starting point would favour those after a run of unready ones). The
  // permutation is drawn as the first pass goes (Fisher-Yates, one step per
  // operation tried), so a select that finds a ready operation early pays
  // only for the draws it used. Up to 8 fit on the stack; a larger select
  // reuses a buffer of its thread's (a thread runs one Wait() at a time: no
  // user code runs inside), so that it does not allocate on every call.
  std::array<uint32_t, 8> small_order;
  thread_local std::vector<uint32_t> large_order;
  std::span<uint32_t> order;
  if (ops.size() <= small_order.size()) {
    order = std::span(small_order).first(ops.size());
  } else {
    large_order.resize(ops.size());
    order = std::span(large_order);
  }
  std::iota(order.begin(), order.end(), 0);
  // Invariant: order[0, drawn) is the permutation's prefix, drawn uniformly
  // from all the operations; order[drawn, size) holds the rest, in any
  // order. After one complete pass the whole permutation is drawn.
  size_t drawn = options.fair ? 0 : order.size();

  // Decided after the first pass fails, so that a select that finds an
  // operation ready at once does not ask every operation.
  std::optional<bool> retry_first;

  Context& context = Context::ForThisThread();
  Backoff backoff(Backoff::kRetrySteps);
  for (bool skip_tries = options.just_tried && options.block;;
       skip_tries = false) {
    // 1. Try every operation, unless the caller just did.
    if (!skip_tries) {
      for (size_t j = 0; j < order.size(); ++j) {
        if (j == drawn) {
          const size_t pick =
              j + RandomBelow(static_cast<uint32_t>(order.size() - j));
          std::swap(order[j], order[pick]);
          ++drawn;
        }
        const uint32_t i = order[j];
        if (TryOne(ops[i], options.ready_only)) return i;
      }
    }
    if (!options.block) return kWouldBlock;
    // The deadline is checked only after a full pass, so that a value that
    // is ready at the deadline is still taken.
    if (options.deadline != absl::InfiniteFuture() &&
        absl::Now() >= options.deadline) {
      return kTimedOut;
    }

    // 2. Back off and try again while a partner is likely mid-operation:
    // cheaper than registering, and the partner's fast path stays free of
    // the waiter lists.
    if (!retry_first) retry_first = RetryBeforeRegistering(ops);
    if (*retry_first && !backoff.IsCompleted()) {
      backoff.Snooze();
      continue;
    }

    // 3. Register with every operation; each Register() re-checks its
    // operation once the registration is visible. Registration ends with a
    // sequentially consistent store and the re-check reads with sequentially
    // consistent loads; the side that makes an operation ready publishes and
    // then checks for waiters the same way (see SyncWaitList). So either the
    // re-check sees a change made before it, or the maker of that change
    // sees our registration and selects us. (The rendezvous flavor registers
    // and re-checks under one lock instead.) If anything is ready, abort the
    // wait ourselves, unless a partner selected us first.
    context.Reset();
    absl::Time deadline = options.deadline;
    bool ready = false;
    for (size_t i = 0; i < ops.size(); ++i) {
      Operation& op = ops[i];
      if (op.target == nullptr) continue;
      op.observe = options.ready_only || !op.accepts_handoff;
      op.packet.registered = false;
      op.packet.state.store(Packet::kPending, std::memory_order_relaxed);
      ready |= op.target->Register(op, context, OperationId(i));
      deadline = std::min(deadline, op.target->Deadline(op));
    }
    if (ready) context.Abort();

    // 4. Park until selected, or until the earliest deadline.
    const uintptr_t selected = context.WaitUntil(deadline);

    // 5. Unregister everywhere, except where the partner that selected us
    // took our registration out already.
    for (size_t i = 0; i < ops.size(); ++i) {
      Selectable* target = ops[i].target;
      if (target == nullptr) continue;
      if (selected == OperationId(i) && target->SelectionUnregisters()) {
        continue;
      }
      target->Unregister(ops[i], context, OperationId(i));
    }

    // 6. If a partner selected one of our operations, finish it: through
    // the packet for a rendezvous, by trying it first otherwise. Any other
    // outcome (aborted, disconnected, a timer's deadline) goes round again.
    if (selected >= kFirstOperation) {
      const size_t i = OperationIndex(selected);
      Operation& op = ops[i];
      if (op.packet.registered && !options.ready_only) {
        if (AwaitPacket(op.packet) == Packet::kDone) {
          op.token = Token{};
          op.token.via_packet = true;
          return i;
        }
      } else if (TryOne(op, options.ready_only)) {
        return i;
      }
    }
    backoff.Reset();
  }
}

}  // namespace chan::internal
