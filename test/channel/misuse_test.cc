// Misuse stops the program, in every build mode, with a message that names
// the call: any operation on a moved-from Sender or Receiver, and taking
// the value of a result that has none. Each case runs in a forked child
// whose stderr comes back through a pipe; the parent checks that the child
// was killed by SIGABRT and what it printed.
#define BOOST_TEST_MODULE misuse
#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cerrno>
#include <cstdio>
#include <functional>
#include <iostream>
#include <string>
#include <utility>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "chan/chan.h"

namespace chan {
namespace {

struct ChildOutcome {
  bool aborted = false;      // Killed by SIGABRT.
  bool exited = false;       // Returned normally.
  int signal_or_status = 0;  // The signal, or the exit status.
  std::string stderr_text;
};

// Runs `body` in a forked child with stderr captured; the child exits with
// status 0 if `body` returns.
ChildOutcome RunInChild(const std::function<void()>& body) {
  int fds[2];
  BOOST_TEST_REQUIRE(pipe(fds) == 0);
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  const pid_t pid = fork();
  BOOST_TEST_REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    dup2(fds[1], STDERR_FILENO);
    close(fds[1]);
    // Boost.Test catches SIGABRT to report it; the child must really die.
    // And no core file for an abort the test asks for.
    signal(SIGABRT, SIG_DFL);
    const rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    body();
    _exit(0);
  }
  close(fds[1]);
  ChildOutcome outcome;
  char buffer[4096];
  for (;;) {
    const ssize_t n = read(fds[0], buffer, sizeof buffer);
    if (n > 0) {
      outcome.stderr_text.append(buffer, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    outcome.aborted = WTERMSIG(status) == SIGABRT;
    outcome.signal_or_status = WTERMSIG(status);
  } else if (WIFEXITED(status)) {
    outcome.exited = true;
    outcome.signal_or_status = WEXITSTATUS(status);
  }
  return outcome;
}

// Expects `body` to abort with a message containing `message`.
void ExpectDeath(const std::string& message,
                 const std::function<void()>& body) {
  BOOST_TEST_CONTEXT("expecting \"" << message << "\"") {
    const ChildOutcome outcome = RunInChild(body);
    BOOST_TEST(outcome.aborted, "exited: " << outcome.exited << ", signal or "
                                           << "status "
                                           << outcome.signal_or_status);
    BOOST_TEST(outcome.stderr_text.find(message) != std::string::npos,
               "stderr: " << outcome.stderr_text);
  }
}

std::string MovedFrom(const std::string& operation) {
  return "chan::" + operation + " called on a moved-from handle";
}

// The harness itself: a child that does nothing wrong exits normally, and
// one that aborts for another reason is told apart by its message.
BOOST_AUTO_TEST_CASE(HarnessTellsExitFromAbort) {
  auto [tx, rx] = Unbounded<int>();
  const ChildOutcome fine = RunInChild([&] { (void)tx.TrySend(1); });
  BOOST_TEST(fine.exited);
  BOOST_TEST(fine.signal_or_status == 0);
  BOOST_TEST(!fine.aborted);

  const ChildOutcome aborted = RunInChild([] {
    std::fputs("plain abort\n", stderr);
    std::abort();
  });
  BOOST_TEST(aborted.aborted);
  BOOST_TEST(aborted.stderr_text == "plain abort\n");
}

BOOST_AUTO_TEST_CASE(SenderOperationsOnAMovedFromSenderDie) {
  auto [tx, rx] = Unbounded<int>();
  Sender<int> live = std::move(tx);  // `tx` is moved-from now.
  const int one = 1;
  ExpectDeath(MovedFrom("Sender::Send"), [&] { (void)tx.Send(1); });
  ExpectDeath(MovedFrom("Sender::Send"), [&] { (void)tx.Send(one); });
  ExpectDeath(MovedFrom("Sender::TrySend"), [&] { (void)tx.TrySend(1); });
  ExpectDeath(MovedFrom("Sender::SendFor"),
              [&] { (void)tx.SendFor(1, absl::Seconds(1)); });
  ExpectDeath(MovedFrom("Sender::SendUntil"),
              [&] { (void)tx.SendUntil(1, absl::InfiniteFuture()); });
  ExpectDeath(MovedFrom("Sender::Len"), [&] { (void)tx.Len(); });
  ExpectDeath(MovedFrom("Sender::Len"), [&] { (void)tx.Empty(); });
  ExpectDeath(MovedFrom("Sender::Capacity"), [&] { (void)tx.Capacity(); });
  ExpectDeath(MovedFrom("Sender::Full"), [&] { (void)tx.Full(); });
  ExpectDeath(MovedFrom("Sender::IsDisconnected"),
              [&] { (void)tx.IsDisconnected(); });

  // A copy of a moved-from sender is just as empty.
  ExpectDeath(MovedFrom("Sender::Send"), [&] {
    Sender<int> copy = tx;
    (void)copy.Send(1);
  });
  // So is one whose contents were moved away by assignment.
  ExpectDeath(MovedFrom("Sender::TrySend"), [&] {
    Sender<int> other = live;
    Sender<int> taker = live;
    taker = std::move(other);
    (void)other.TrySend(1);
  });

  // The live handle was never affected.
  BOOST_TEST(live.TrySend(1).ok());
}

BOOST_AUTO_TEST_CASE(ReceiverOperationsOnAMovedFromReceiverDie) {
  auto [tx, rx] = Bounded<int>(4);
  Receiver<int> live = std::move(rx);  // `rx` is moved-from now.
  ExpectDeath(MovedFrom("Receiver::Recv"), [&] { (void)rx.Recv(); });
  ExpectDeath(MovedFrom("Receiver::TryRecv"), [&] { (void)rx.TryRecv(); });
  ExpectDeath(MovedFrom("Receiver::RecvFor"),
              [&] { (void)rx.RecvFor(absl::Seconds(1)); });
  ExpectDeath(MovedFrom("Receiver::RecvUntil"),
              [&] { (void)rx.RecvUntil(absl::InfiniteFuture()); });
  ExpectDeath(MovedFrom("Receiver::Close"), [&] { rx.Close(); });
  ExpectDeath(MovedFrom("Receiver::Len"), [&] { (void)rx.Len(); });
  ExpectDeath(MovedFrom("Receiver::Len"), [&] { (void)rx.Empty(); });
  ExpectDeath(MovedFrom("Receiver::Capacity"), [&] { (void)rx.Capacity(); });
  ExpectDeath(MovedFrom("Receiver::Full"), [&] { (void)rx.Full(); });
  ExpectDeath(MovedFrom("Receiver::IsDisconnected"),
              [&] { (void)rx.IsDisconnected(); });
  ExpectDeath(MovedFrom("Receiver::begin"), [&] {
    for (int v : rx) (void)v;
  });
  ExpectDeath(MovedFrom("Receiver::Drain"), [&] {
    for (int v : rx.Drain()) (void)v;
  });

  BOOST_TEST(tx.TrySend(1).ok());
  BOOST_TEST(live.TryRecv().value() == 1);
}

BOOST_AUTO_TEST_CASE(EveryFlavorChecksItsHandles) {
  for (size_t capacity : {size_t{0}, size_t{1}}) {
    BOOST_TEST_CONTEXT("Bounded(" << capacity << ")") {
      auto [tx, rx] = Bounded<int>(capacity);
      Sender<int> live_tx = std::move(tx);
      Receiver<int> live_rx = std::move(rx);
      ExpectDeath(MovedFrom("Sender::Send"), [&] { (void)tx.Send(1); });
      ExpectDeath(MovedFrom("Receiver::Recv"), [&] { (void)rx.Recv(); });
    }
  }
}

BOOST_AUTO_TEST_CASE(ValueOfAResultWithoutOneDies) {
  auto [tx, rx] = Unbounded<int>();
  ExpectDeath("SendResult::value() on a send that succeeded", [&] {
    SendResult<int> r = tx.Send(1);
    (void)r.value();
  });
  ExpectDeath("RecvResult::value() without a value", [&] {
    RecvResult<int> r = rx.TryRecv();  // Nothing there in the child.
    (void)r.value();
  });
  ExpectDeath("RecvResult::value() without a value", [&] {
    RecvResult<int> r = rx.TryRecv();
    (void)*r;
  });
}

}  // namespace
}  // namespace chan
