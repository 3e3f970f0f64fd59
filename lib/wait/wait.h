// The blocking loop: the one way chan waits. A single blocking send or
// receive runs it with one operation; select runs it with many.
#ifndef CHAN_LIB_WAIT_WAIT_H_
#define CHAN_LIB_WAIT_WAIT_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "absl/time/time.h"
#include "lib/wait/operation.h"

namespace chan::internal {

struct WaitOptions {
  absl::Time deadline = absl::InfiniteFuture();
  bool block = true;        // False: try each operation once (Go's default:).
  bool fair = true;         // Random order; false keeps declaration order.
  bool ready_only = false;  // Report a ready operation; reserve nothing.
  // The caller has just tried every operation (a send or receive's fast
  // path): the loop starts at the deadline check, and a rendezvous goes
  // straight to registering, without a second round trip on its lock.
  bool just_tried = false;
};

// Wait() results that are not an operation index.
inline constexpr size_t kTimedOut = SIZE_MAX;
inline constexpr size_t kWouldBlock = SIZE_MAX - 1;

// Waits until one of `ops` is ready and returns its index, with its
// reservation in ops[i].token (or completed through its packet, with
// token.via_packet set), or with nothing reserved when ready_only. Returns
// kWouldBlock when !block and nothing was ready, kTimedOut when the deadline
// passed first. Operations with a null target are never ready.
size_t Wait(std::span<Operation> ops, const WaitOptions& options);

// A uniformly random number in [0, n), from a per-thread generator.
uint32_t RandomBelow(uint32_t n);

}  // namespace chan::internal

#endif  // CHAN_LIB_WAIT_WAIT_H_
