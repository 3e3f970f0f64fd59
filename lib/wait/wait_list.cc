#include "lib/wait/wait_list.h"

#include <utility>

namespace chan::internal {

void WaitList::Unregister(const Context& context, uintptr_t operation) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->context == &context && it->operation == operation) {
      entries_.erase(it);
      return;
    }
  }
}

std::optional<Selection> WaitList::TrySelect() {
  const Context& self = Context::ForThisThread();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    // A thread never pairs with itself: a select that waits to send and to
    // receive on one rendezvous channel must find a partner elsewhere.
    if (it->context == &self || it->observer) continue;
    if (it->context->TrySelect(it->operation)) {
      Selection selection{it->packet, it->context->unparker()};
      entries_.erase(it);
      return selection;
    }
  }
  return std::nullopt;
}

void WaitList::NotifyObservers() {
  for (auto it = entries_.begin(); it != entries_.end();) {
    // Unparked under the owner's lock, as in DisconnectAll(). Rare: only
    // readiness-only waits and dynamic selects register observers. Like
    // TrySelect(), it removes the entries it selects.
    if (it->observer && it->context->TrySelect(it->operation)) {
      it->context->unparker().Unpark();
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

bool WaitList::HasWaiterBesides(const Context& context) const {
  for (const WaitEntry& entry : entries_) {
    if (entry.context != &context && !entry.observer &&
        entry.context->selected() == kWaiting) {
      return true;
    }
  }
  return false;
}

void WaitList::DisconnectAll() {
  for (const WaitEntry& entry : entries_) {
    // Unparking under the owner's lock keeps the context alive: its thread
    // cannot unregister, and so cannot return, until the lock is released.
    if (entry.context->TrySelect(kDisconnected)) {
      entry.context->unparker().Unpark();
    }
  }
}

void SyncWaitList::Register(Context& context, uintptr_t operation,
                            Packet* packet, bool observer) {
  SpinLockGuard guard(lock_);
  list_.Register(context, operation, packet, observer);
  // seq_cst: the waiter's half of the protocol above.
  is_empty_.store(false, std::memory_order_seq_cst);
}

void SyncWaitList::Unregister(const Context& context, uintptr_t operation) {
  SpinLockGuard guard(lock_);
  list_.Unregister(context, operation);
  is_empty_.store(list_.empty(), std::memory_order_seq_cst);
}

void SyncWaitList::NotifySlow() {
  std::optional<Selection> selection;
  {
    SpinLockGuard guard(lock_);
    selection = list_.TrySelect();
    list_.NotifyObservers();
    is_empty_.store(list_.empty(), std::memory_order_seq_cst);
  }
  // Wake outside the lock: the syscall, when the thread sleeps, would
  // otherwise stall everyone else who needs the list.
  if (selection) selection->unparker.Unpark();
}

void SyncWaitList::DisconnectAll() {
  SpinLockGuard guard(lock_);
  list_.DisconnectAll();
}

}  // namespace chan::internal
