// Whether another thread of the test has blocked: no API reports it, and a
// sleep of a guessed length only makes it likely.
#ifndef CHAN_TEST_SUPPORT_THREAD_STATE_H_
#define CHAN_TEST_SUPPORT_THREAD_STATE_H_

#include <sys/types.h>

#include <atomic>

namespace chan::testing {

// The calling thread's id, as /proc/self/task names it.
pid_t ThisThreadId();

// Whether thread `tid` of this process sleeps in the kernel (state S in
// /proc). A thread blocked in a channel call spins and yields (state R)
// until it parks on its futex, which it does only once it waits where a
// partner finds it: in the lane, or in a waiter list. So, unlike a sleep
// of a guessed length, this tells that a thread has blocked.
bool IsAsleep(pid_t tid);

// Waits until thread `tid` sleeps (see IsAsleep()), for at most ten
// seconds; returns whether it does.
bool AwaitAsleep(pid_t tid);

// Waits until a thread has published its id in `tid`, and returns it.
pid_t AwaitThreadId(const std::atomic<pid_t>& tid);

}  // namespace chan::testing

#endif  // CHAN_TEST_SUPPORT_THREAD_STATE_H_
