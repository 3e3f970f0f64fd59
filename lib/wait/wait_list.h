// Waiter lists: which blocked threads wait for one side of a channel, and on
// which of their operations.
#ifndef CHAN_LIB_WAIT_WAIT_LIST_H_
#define CHAN_LIB_WAIT_WAIT_LIST_H_

#include <atomic>
#include <cstdint>
#include <optional>

#include "chan/park.h"
#include "lib/wait/context.h"
#include "lib/wait/spin_lock.h"

namespace chan::internal {

struct Packet;

// One blocked operation: the context to select, the id to select it with,
// and, for a rendezvous, the packet the value travels through. It lives in
// the blocked thread's operation, on its stack, and is linked into the list
// it waits in: a list is two pointers however many wait, and registering
// never allocates. Invariant [unlinked before gone]: a blocked thread
// returns only after each of its entries is unlinked, by its own
// Unregister() or by the selector that took it out.
struct WaitEntry {
  // Left uninitialized, but for `linked`, until Register() fills it: an
  // operation that never blocks (the common case) does not pay for it.
  WaitEntry() {}

  // Says who waits, before the entry is registered.
  void Prepare(Context* waiter, uintptr_t id, Packet* hand_off, bool observes) {
    context = waiter;
    operation = id;
    packet = hand_off;
    observer = observes;
  }

  Context* context;
  uintptr_t operation;
  Packet* packet;  // Null where values do not travel in packets.
  bool observer;   // Only wants to know of readiness: never paired.

  // Guarded by the lock of the list the entry is linked into; prev and
  // next are meaningful only while linked.
  WaitEntry* prev;
  WaitEntry* next;
  bool linked = false;
};

// What a selector took out of a list: the packet to complete the hand-off
// through, and, if the selected thread sleeps, a reference for waking it
// after the lock is released.
struct Selection {
  Packet* packet;
  std::optional<Unparker> wake;
};

// A list of waiting operations, first come first served. Not synchronized:
// its owner's lock guards it. Entries stay in the list until their own
// thread unregisters them, except those that TrySelect() and
// NotifyObservers() take out.
class WaitList {
 public:
  // Appends `entry`, whose context, operation, packet and observer are set.
  void Register(WaitEntry& entry);

  // Removes `entry`, if it is still linked.
  void Unregister(WaitEntry& entry);

  // Selects the first waiting operation of another thread whose context is
  // still unselected, and removes it. Observers are skipped.
  std::optional<Selection> TrySelect();

  // Selects, wakes and removes every observer: what they watch may be
  // ready.
  void NotifyObservers();

  // Whether some other thread's operation (not an observer) waits here.
  bool HasWaiterBesides(const Context& context) const;

  // Selects every waiting context with kDisconnected and wakes it.
  void DisconnectAll();

  bool empty() const { return head_ == nullptr; }

 private:
  void Unlink(WaitEntry& entry);

  WaitEntry* head_ = nullptr;
  WaitEntry* tail_ = nullptr;
};

// A waiter list with its own lock and a lock-free "is anyone waiting?" flag,
// so that the side that makes an operation ready (a sender after writing, a
// receiver after making room) pays one atomic load when nobody waits.
//
// The no-lost-wakeup protocol, with both sides' accesses sequentially
// consistent (which is what makes the store-then-load pairs below work;
// release/acquire would allow both loads to miss):
//
//   waiter:  Register() stores is_empty_ = false, then re-checks the channel;
//   maker:   publishes its change to the channel, then Notify() loads
//            is_empty_.
//
// Either the waiter's re-check sees the change, or the maker sees the entry.
//
// TODO: the receive side of an MPSC channel never has more than one waiting
// thread, so its list could be a single atomic slot that a sender selects
// without taking the lock; today each notify of a registered receiver costs
// a spin-lock round trip (two contended cache-line transfers).
class SyncWaitList {
 public:
  void Register(WaitEntry& entry);
  void Unregister(WaitEntry& entry);

  // Wakes one waiting operation, if any, and every observer.
  void Notify() {
    if (!is_empty_.load(std::memory_order_seq_cst)) NotifySlow();
  }

  // Wakes every waiting operation with kDisconnected.
  void DisconnectAll();

 private:
  void NotifySlow();

  SpinLock lock_;
  WaitList list_;                     // Guarded by lock_.
  std::atomic<bool> is_empty_{true};  // list_.empty(), readable without lock_.
};

}  // namespace chan::internal

#endif  // CHAN_LIB_WAIT_WAIT_LIST_H_
