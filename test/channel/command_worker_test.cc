// The command-worker idiom: a thread owns the receiver and runs the
// commands sent to it until told to quit. The tests check what the worker
// did — which commands it saw, in which order — and that it stops on Quit
// while senders still hold the channel.
#define BOOST_TEST_MODULE command_worker
#include <atomic>
#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "chan/chan.h"
#include "test/channel/channel_testing.h"
#include "test/support/scale.h"

namespace chan::testing {
namespace {

using std::chrono_literals::operator""ms;

using AllFlavors = boost::mpl::list<UnboundedMaker, BoundedMaker<1>,
                                    BoundedMaker<16>, RendezvousMaker>;

struct SayHello {
  int n;
};
struct Quit {};
using Command = std::variant<SayHello, Quit>;

// Runs commands from `commands` until Quit, writing one line per command
// to `out`. Returns on Quit, or if every sender is gone first.
class Worker {
 public:
  explicit Worker(Receiver<Command> commands)
      : thread_([this, rx = std::move(commands)]() mutable {
          Run(rx);
          exited_ = true;
        }) {}
  ~Worker() { Join(); }

  void Join() {
    if (thread_.joinable()) thread_.join();
  }

  // Waits up to ten seconds for the worker to return of its own accord.
  bool ExitsWithin10s() const {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (!exited_ && absl::Now() < deadline) std::this_thread::sleep_for(1ms);
    return exited_;
  }

  // What the worker printed; read it after Join().
  std::string log() const { return out_.str(); }

 private:
  struct Printer {
    std::ostringstream& out;
    bool operator()(const SayHello& hello) const {
      out << "hello " << hello.n << "\n";
      return true;
    }
    bool operator()(const Quit&) const {
      out << "quit\n";
      return false;
    }
  };

  void Run(Receiver<Command>& rx) {
    for (Command& command : rx) {
      if (!std::visit(Printer{out_}, command)) return;
    }
    out_ << "disconnected\n";
  }

  std::ostringstream out_;
  std::atomic<bool> exited_{false};
  std::thread thread_;  // Last: starts once the members it uses exist.
};

BOOST_AUTO_TEST_CASE_TEMPLATE(TenHellosThenQuit, Maker, AllFlavors) {
  auto [tx, rx] = Maker::template Make<Command>();
  Worker worker(std::move(rx));
  for (int i = 0; i < 10; ++i) BOOST_TEST(tx.Send(SayHello{i}).ok());
  BOOST_TEST(tx.Send(Quit{}).ok());

  // The worker stops on Quit although our sender keeps the channel open.
  const bool exited = worker.ExitsWithin10s();
  BOOST_TEST(exited);
  if (!exited) {
    Sender<Command> gone = std::move(tx);  // Unblock it, to fail cleanly.
  }
  worker.Join();

  std::string expected;
  for (int i = 0; i < 10; ++i) expected += "hello " + std::to_string(i) + "\n";
  expected += "quit\n";
  BOOST_TEST(worker.log() == expected);

  // With the worker gone, a command comes straight back.
  if (exited) {
    SendResult<Command> r = tx.Send(SayHello{99});
    BOOST_TEST(r.status() == Status::kDisconnected);
    BOOST_TEST_REQUIRE(std::holds_alternative<SayHello>(r.value()));
    BOOST_TEST(std::get<SayHello>(r.value()).n == 99);
  }
}

// Commands sent after Quit are never run, whether they were queued before
// the worker stopped or sent after.
BOOST_AUTO_TEST_CASE_TEMPLATE(NothingRunsAfterQuit, Maker, AllFlavors) {
  auto [tx, rx] = Maker::template Make<Command>();
  Worker worker(std::move(rx));
  std::thread client([tx]() mutable {
    for (int i = 0; i < 3; ++i) (void)tx.Send(SayHello{i});
    (void)tx.Send(Quit{});
    for (int i = 3; i < 6; ++i) (void)tx.Send(SayHello{i});
  });
  client.join();
  worker.Join();
  BOOST_TEST(worker.log() == "hello 0\nhello 1\nhello 2\nquit\n");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(WorkerStopsWhenEverySenderIsGone, Maker,
                              AllFlavors) {
  auto [tx, rx] = Maker::template Make<Command>();
  Worker worker(std::move(rx));
  BOOST_TEST(tx.Send(SayHello{1}).ok());
  { Sender<Command> gone = std::move(tx); }
  worker.Join();
  BOOST_TEST(worker.log() == "hello 1\ndisconnected\n");
}

// Request and reply: each command carries the sender of a channel for its
// answer, the way a Go program passes a reply channel.
struct Greet {
  std::string name;
  Sender<std::string> reply;
};

BOOST_AUTO_TEST_CASE_TEMPLATE(RequestsCarryTheirReplyChannel, Maker,
                              AllFlavors) {
  const int n = Scaled(200);
  auto [tx, rx] = Maker::template Make<Greet>();
  std::thread server([rx = std::move(rx)]() mutable {
    for (Greet& request : rx) {
      // Taken out of the request, so that it is dropped after answering
      // (the loop keeps the request itself until the next one comes).
      Sender<std::string> reply = std::move(request.reply);
      (void)reply.Send("hello, " + request.name);
    }
  });
  int wrong = 0;
  for (int i = 0; i < n; ++i) {
    auto [reply_tx, reply_rx] = Bounded<std::string>(1);
    const std::string name = "client " + std::to_string(i);
    if (!tx.Send(Greet{name, std::move(reply_tx)})) ++wrong;
    RecvResult<std::string> answer = reply_rx.Recv();
    if (!answer || *answer != "hello, " + name) ++wrong;
    // The server dropped its copy of the reply sender with the request.
    if (reply_rx.Recv().status() != Status::kDisconnected) ++wrong;
  }
  { Sender<Greet> gone = std::move(tx); }
  server.join();
  BOOST_TEST(wrong == 0);
}

}  // namespace
}  // namespace chan::testing
