#include "test/select/select_testing.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "absl/time/clock.h"

namespace chan::testing {
namespace {

constexpr int kBodyThrew = 3;

// Appends what the pipe holds now; true once the writer has closed it.
bool DrainPipe(int fd, std::string& out) {
  char buffer[4096];
  for (;;) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n > 0) {
      out.append(buffer, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) return true;
    if (errno == EINTR) continue;
    return false;  // EAGAIN: nothing more for now.
  }
}

}  // namespace

ChildOutcome RunInChild(const std::function<void()>& body,
                        absl::Duration limit) {
  ChildOutcome outcome;
  int fds[2];
  if (pipe(fds) != 0) {
    std::perror("pipe");
    std::abort();
  }
  std::fflush(nullptr);  // Nothing buffered is written twice.
  const pid_t pid = fork();
  if (pid < 0) {
    std::perror("fork");
    std::abort();
  }
  if (pid == 0) {
    // The child: stderr into the pipe, and SIGABRT back to its default, so
    // that the test framework's handler does not turn an abort into a
    // reported failure and carry on with the other tests.
    close(fds[0]);
    dup2(fds[1], STDERR_FILENO);
    close(fds[1]);
    struct sigaction action = {};
    action.sa_handler = SIG_DFL;
    sigaction(SIGABRT, &action, nullptr);
    try {
      body();
    } catch (...) {
      _exit(kBodyThrew);
    }
    _exit(0);
  }

  // The parent: collect stderr while waiting, up to the limit.
  close(fds[1]);
  fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  const absl::Time deadline = absl::Now() + limit;
  int status = 0;
  for (;;) {
    DrainPipe(fds[0], outcome.stderr_text);
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      outcome.ended = true;
      break;
    }
    if (absl::Now() >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  while (!DrainPipe(fds[0], outcome.stderr_text)) {
  }
  close(fds[0]);

  if (outcome.ended) {
    outcome.aborted = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
    outcome.returned = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  return outcome;
}

}  // namespace chan::testing
