#include "test/support/thread_state.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace chan::testing {

pid_t ThisThreadId() { return static_cast<pid_t>(::syscall(SYS_gettid)); }

bool IsAsleep(pid_t tid) {
  std::ifstream stat("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  // "tid (name) S ...": the name may hold spaces and parentheses.
  const size_t name_end = line.rfind(')');
  return name_end != std::string::npos && name_end + 2 < line.size() &&
         line[name_end + 2] == 'S';
}

bool AwaitAsleep(pid_t tid) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!IsAsleep(tid)) {
    if (absl::Now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  return true;
}

pid_t AwaitThreadId(const std::atomic<pid_t>& tid) {
  while (tid.load() == 0) std::this_thread::yield();
  return tid.load();
}

}  // namespace chan::testing
