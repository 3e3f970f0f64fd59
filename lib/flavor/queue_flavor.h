// What the two queue flavors (array, list) share: a reservation is a slot,
// claimed by StartSend() or StartRecv() and completed by WriteSlot() or
// ReadSlot(), so a send or receive that does not wait needs no Operation,
// only a Token, and one call (direct from the handles: see fast_path.h).
//
// Derived provides, with this class as a friend:
//   bool StartSend(Token&);
//   bool StartRecv(Token&);
//   void WriteSlot(Token&, T&);
//   void ReadSlot(const Token&, std::optional<T>&);
#ifndef CHAN_LIB_FLAVOR_QUEUE_FLAVOR_H_
#define CHAN_LIB_FLAVOR_QUEUE_FLAVOR_H_

#include <optional>

#include "lib/flavor/flavor.h"
#include "lib/wait/operation.h"

namespace chan::internal {

template <class Derived, class T>
class QueueFlavor : public Flavor<T> {
 public:
  explicit QueueFlavor(FlavorKind kind) : Flavor<T>(kind) {}

  // TODO: a send that a dynamic select reserved (op.held) claims its slot
  // here and holds it until its caller completes or drops it; meanwhile a
  // receiver that reaches that slot spins and yields, since a claimed slot
  // counts as ready (the claim, not the write, is what makes a waiting
  // receiver's re-check and the sender's notify meet). So a caller that
  // holds a chosen send for long costs the receiver a core. A "held" mark
  // in the slot's state, stored at the claim and replaced at the write by
  // a read-modify-write that finds a receiver that parked on it, would let
  // the receiver sleep at the cost of one more atomic per held send.
  bool TryReserve(Operation& op) final {
    return op.kind == OpKind::kSend ? self().StartSend(op.token)
                                    : self().StartRecv(op.token);
  }

  void Write(Operation& op, T& value) final {
    self().WriteSlot(op.token, value);
  }

  void Read(Operation& op, std::optional<T>& out) final {
    self().ReadSlot(op.token, out);
  }

  Attempt TrySendNow(T& value) final {
    Token token;
    if (!self().StartSend(token)) return Attempt::kWouldBlock;
    if (token.disconnected) return Attempt::kDisconnected;
    self().WriteSlot(token, value);
    return Attempt::kDone;
  }

  Attempt TryRecvNow(std::optional<T>& out) final {
    Token token;
    if (!self().StartRecv(token)) return Attempt::kWouldBlock;
    if (token.disconnected) return Attempt::kDisconnected;
    self().ReadSlot(token, out);
    return Attempt::kDone;
  }

 private:
  Derived& self() { return static_cast<Derived&>(*this); }
};

}  // namespace chan::internal

#endif  // CHAN_LIB_FLAVOR_QUEUE_FLAVOR_H_
