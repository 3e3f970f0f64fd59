#include "lib/wait/wait_list.h"

#include <utility>

namespace chan::internal {

void WaitList::Register(WaitEntry& entry) {
  entry.prev = tail_;
  entry.next = nullptr;
  entry.linked = true;
  (tail_ != nullptr ? tail_->next : head_) = &entry;
  tail_ = &entry;
}

void WaitList::Unregister(WaitEntry& entry) {
  if (entry.linked) Unlink(entry);
}

void WaitList::Unlink(WaitEntry& entry) {
  (entry.prev != nullptr ? entry.prev->next : head_) = entry.next;
  (entry.next != nullptr ? entry.next->prev : tail_) = entry.prev;
  entry.prev = entry.next = nullptr;
  entry.linked = false;
}

std::optional<Selection> WaitList::TrySelect() {
  const Context& self = Context::ForThisThread();
  for (WaitEntry* e = head_; e != nullptr;) {
    WaitEntry* const next = e->next;
    // A thread never pairs with itself: a select that waits to send and to
    // receive on one rendezvous channel must find a partner elsewhere.
    if (e->context == &self || e->observer) {
      e = next;
      continue;
    }
    // Copy out what the selection needs and unlink the entry before the
    // compare-and-swap: once it succeeds, the entry's thread may return
    // without taking the lock ([unlinked before gone]). Its context stays
    // (it is the thread's own, and the thread is still here: it cannot
    // return before we select it or it unregisters, which needs the lock).
    Context* const context = e->context;
    const uintptr_t operation = e->operation;
    Selection selection{e->packet, std::nullopt};
    Unlink(*e);
    if (context->TrySelect(operation, selection.wake)) return selection;
    // Selected by someone else: its thread will unregister the entry,
    // which is a no-op now.
    e = next;
  }
  return std::nullopt;
}

void WaitList::NotifyObservers() {
  for (WaitEntry* e = head_; e != nullptr;) {
    WaitEntry* const next = e->next;
    // Rare: only readiness-only waits and dynamic selects register
    // observers. Like TrySelect(), it removes the entries it selects,
    // before selecting them, for the same reason.
    if (e->observer) {
      Context* const context = e->context;
      const uintptr_t operation = e->operation;
      Unlink(*e);
      context->TrySelectAndWake(operation);
    }
    e = next;
  }
}

bool WaitList::HasWaiterBesides(const Context& context) const {
  for (const WaitEntry* e = head_; e != nullptr; e = e->next) {
    if (e->context != &context && !e->observer &&
        IsUnselected(e->context->selected())) {
      return true;
    }
  }
  return false;
}

void WaitList::DisconnectAll() {
  for (const WaitEntry* e = head_; e != nullptr; e = e->next) {
    // Unparking under the owner's lock keeps the context alive: its thread
    // cannot unregister, and so cannot return, until the lock is released.
    e->context->TrySelectAndWake(kDisconnected);
  }
}

void SyncWaitList::Register(WaitEntry& entry) {
  SpinLockGuard guard(lock_);
  list_.Register(entry);
  // seq_cst: the waiter's half of the protocol above.
  is_empty_.store(false, std::memory_order_seq_cst);
}

void SyncWaitList::Unregister(WaitEntry& entry) {
  SpinLockGuard guard(lock_);
  list_.Unregister(entry);
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
  if (selection && selection->wake) selection->wake->Unpark();
}

void SyncWaitList::DisconnectAll() {
  SpinLockGuard guard(lock_);
  list_.DisconnectAll();
}

}  // namespace chan::internal
