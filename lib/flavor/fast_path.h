// The handles' fast paths: a send or receive that does not wait, on the two
// queue flavors, without a virtual call.
//
// A virtual call cannot be inlined, and on a channel that never waits it is
// a large share of the cost: with it, a send and receive pair through an
// unbounded channel is one indirect call each and a call into the claim;
// dispatching on the flavor's kind lets the compiler inline the whole claim
// and write into the caller. The rendezvous flavor and the timers, whose
// operations are dominated by their partner or clock, stay virtual.
#ifndef CHAN_LIB_FLAVOR_FAST_PATH_H_
#define CHAN_LIB_FLAVOR_FAST_PATH_H_

#include <optional>

#include "lib/flavor/array.h"
#include "lib/flavor/flavor.h"
#include "lib/flavor/list.h"

namespace chan::internal {

// As Flavor<T>::TrySendNow().
template <class T>
Attempt TrySendNow(Flavor<T>& flavor, T& value) {
  switch (flavor.kind()) {
    case FlavorKind::kList:
      // List and Array are final: these calls are direct.
      return static_cast<List<T>&>(flavor).TrySendNow(value);
    case FlavorKind::kArray:
      return static_cast<Array<T>&>(flavor).TrySendNow(value);
    case FlavorKind::kOther:
      break;
  }
  return flavor.TrySendNow(value);
}

// As Flavor<T>::TryRecvNow().
template <class T>
Attempt TryRecvNow(Flavor<T>& flavor, std::optional<T>& out) {
  switch (flavor.kind()) {
    case FlavorKind::kList:
      return static_cast<List<T>&>(flavor).TryRecvNow(out);
    case FlavorKind::kArray:
      return static_cast<Array<T>&>(flavor).TryRecvNow(out);
    case FlavorKind::kOther:
      break;
  }
  return flavor.TryRecvNow(out);
}

// As Flavor<T>::TrySendBeforeWaiting(): the queue flavors' is TrySendNow().
template <class T>
Attempt TrySendBeforeWaiting(Flavor<T>& flavor, T& value) {
  if (flavor.kind() != FlavorKind::kOther) return TrySendNow(flavor, value);
  return flavor.TrySendBeforeWaiting(value);
}

// As Flavor<T>::TryRecvBeforeWaiting(): the queue flavors' is TryRecvNow().
template <class T>
Attempt TryRecvBeforeWaiting(Flavor<T>& flavor, std::optional<T>& out) {
  if (flavor.kind() != FlavorKind::kOther) return TryRecvNow(flavor, out);
  return flavor.TryRecvBeforeWaiting(out);
}

}  // namespace chan::internal

#endif  // CHAN_LIB_FLAVOR_FAST_PATH_H_
