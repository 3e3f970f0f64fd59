// Conformance with Go's select, ported in spirit from the Go runtime's
// channel tests: the non-blocking select matrix, non-blocking selects racing
// a disconnection, a thread that selects on both ends of one channel, the
// select stress test with cases switched off as their channels finish, and
// the concurrent prime sieve. Go's channels are MPMC and ours are MPSC, so
// wherever Go has several goroutines receive from one channel, one thread
// receives here and the others send.
#define BOOST_TEST_MODULE go_conformance
#include <array>
#include <atomic>
#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>
#include <cstddef>
#include <memory>
#include <optional>
#include <ostream>
#include <stop_token>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "chan/chan.h"
#include "test/select/select_testing.h"
#include "test/support/scale.h"

namespace chan::testing {
namespace {

// --- The non-blocking select matrix ---------------------------------------
//
// select { case v := <-a: ...; case b <- x: ...; default: ... } with each of
// a and b idle, ready or disconnected. "Ready" on a rendezvous channel means
// a partner is blocked on the other side; on a buffered one, a value queued
// (for a) or a free slot (for b). "Idle" for b is a full channel, which an
// unbounded one never is.

enum class Side { kIdle, kReady, kDisconnected };

std::ostream& operator<<(std::ostream& os, Side side) {
  switch (side) {
    case Side::kIdle:
      return os << "idle";
    case Side::kReady:
      return os << "ready";
    case Side::kDisconnected:
      return os << "disconnected";
  }
  return os;
}

template <class Flavor>
void RunNonblockCell(Side recv_side, Side send_side) {
  constexpr bool kUnbounded = Flavor::kRoom == UnboundedFlavor::kRoom;
  if (kUnbounded && send_side == Side::kIdle) return;  // Never full.

  auto [atx, arx] = Flavor::template Make<int>();
  auto [btx, brx] = Flavor::template Make<Box>();

  // The receive case's channel.
  std::thread blocked_sender;
  Status blocked_send_status = Status::kEmpty;
  if (recv_side == Side::kReady) {
    if constexpr (Flavor::kRendezvous) {
      blocked_sender = std::thread([&, tx = atx]() mutable {
        blocked_send_status = tx.Send(7).status();
      });
      BOOST_REQUIRE(AwaitRecvReady(arx));
    } else {
      BOOST_REQUIRE(atx.Send(7).ok());
    }
  } else if (recv_side == Side::kDisconnected) {
    Sender<int> gone = std::move(atx);
  }

  // The send case's channel.
  std::thread blocked_receiver;
  Box received;
  if (send_side == Side::kIdle) {
    for (size_t i = 0; i < Flavor::kRoom; ++i) {
      BOOST_REQUIRE(btx.Send(std::make_unique<int>(-1)).ok());
    }
  } else if (send_side == Side::kReady) {
    if constexpr (Flavor::kRendezvous) {
      blocked_receiver = std::thread([&, rx = std::move(brx)]() mutable {
        RecvResult<Box> r = rx.Recv();
        if (r) received = std::move(*r);
      });
      Box probe;
      BOOST_REQUIRE(AwaitSendReady(btx, probe));
    }
  } else {
    Receiver<Box> gone = std::move(brx);
  }

  Box value = std::make_unique<int>(8);
  int* const cell = value.get();
  std::optional<int> got;
  std::optional<Status> send_status;
  const size_t ran = Select()
                         .Recv(arx, [&](std::optional<int> v) { got = v; })
                         .Send(btx, value, [&](Status s) { send_status = s; })
                         .Default([] {})
                         .Wait();

  // Which case may run.
  const bool recv_ready = recv_side != Side::kIdle;
  const bool send_ready = send_side != Side::kIdle;
  if (recv_ready && send_ready) {
    BOOST_TEST((ran == 0u || ran == 1u));
  } else if (recv_ready) {
    BOOST_TEST(ran == 0u);
  } else if (send_ready) {
    BOOST_TEST(ran == 1u);
  } else {
    BOOST_TEST(ran == 2u);
  }

  // What the case that ran did, and what the others left alone.
  if (ran == 0) {
    if (recv_side == Side::kReady) {
      BOOST_TEST((got == 7));
    } else {
      BOOST_TEST(!got.has_value());
    }
  }
  if (ran == 1) {
    const Status expected =
        send_side == Side::kReady ? Status::kOk : Status::kDisconnected;
    BOOST_TEST((send_status == expected));
  }
  const bool sent = ran == 1 && send_side == Side::kReady;
  BOOST_TEST((value == nullptr) == sent);

  // Release whoever is still blocked, and see where the sent value went.
  if (blocked_sender.joinable()) {
    if (ran != 0) arx.Close();
    blocked_sender.join();
    BOOST_TEST(blocked_send_status ==
               (ran == 0 ? Status::kOk : Status::kDisconnected));
  }
  if (blocked_receiver.joinable()) {
    if (!sent) {
      Sender<Box> gone = std::move(btx);
    }
    blocked_receiver.join();
    BOOST_TEST((received.get() == (sent ? cell : nullptr)));
  } else if (sent) {
    RecvResult<Box> r = brx.TryRecv();
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r->get() == cell);
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(NonblockSelectMatrix, Flavor, AllFlavors) {
  for (Side recv_side : {Side::kIdle, Side::kReady, Side::kDisconnected}) {
    for (Side send_side : {Side::kIdle, Side::kReady, Side::kDisconnected}) {
      BOOST_TEST_CONTEXT("recv " << recv_side << ", send " << send_side) {
        RunNonblockCell<Flavor>(recv_side, send_side);
      }
    }
  }
}

// --- Non-blocking selects racing a disconnection ---------------------------

// A receive case on a channel that holds a value is ready, and stays ready
// while the last sender leaves: the select must never take its default.
BOOST_AUTO_TEST_CASE_TEMPLATE(NonblockRecvRacingDisconnection, Flavor,
                              BufferedFlavors) {
  const int rounds = Scaled(2000);
  int defaults = 0;
  for (int round = 0; round < rounds; ++round) {
    auto [tx, rx] = Flavor::template Make<int>();
    BOOST_REQUIRE(tx.Send(1).ok());
    std::thread leaver(
        [tx = std::move(tx)]() mutable { Sender<int> gone = std::move(tx); });
    const size_t ran =
        Select().Recv(rx, [](std::optional<int>) {}).Default([] {}).Wait();
    if (ran != 0) ++defaults;
    leaver.join();
  }
  BOOST_TEST(defaults == 0);
}

// A send case on a channel with room is ready, and stays ready (as a
// disconnection) while the receiver leaves.
BOOST_AUTO_TEST_CASE_TEMPLATE(NonblockSendRacingDisconnection, Flavor,
                              BufferedFlavors) {
  const int rounds = Scaled(2000);
  int defaults = 0;
  for (int round = 0; round < rounds; ++round) {
    auto [tx, rx] = Flavor::template Make<int>();
    std::thread leaver(
        [rx = std::move(rx)]() mutable { Receiver<int> gone = std::move(rx); });
    int value = round;
    const size_t ran =
        Select().Send(tx, value, [](Status) {}).Default([] {}).Wait();
    if (ran != 0) ++defaults;
    leaver.join();
  }
  BOOST_TEST(defaults == 0);
}

// --- A select on both ends of one channel ----------------------------------

// One thread holds both ends and selects to send its own values or to
// receive; another thread sends plainly. On a rendezvous channel the
// selecting thread cannot pair with itself, so it receives only the other
// thread's values and never sends; on a buffered one it may receive its own
// values, each once and in order.
BOOST_AUTO_TEST_CASE_TEMPLATE(SelfSelect, Flavor, AllFlavors) {
  const int kOther = Scaled(2000);
  auto [tx, rx] = Flavor::template Make<int>();
  ThreadFailures failures;
  std::thread other([&failures, tx = Sender<int>(tx), kOther]() mutable {
    for (int i = 0; i < kOther; ++i) failures.Check(tx.Send(-1 - i).ok());
  });
  int own_sent = 0;
  int own_received = 0;
  int other_received = 0;
  int wrong = 0;
  while (other_received < kOther) {
    int value = own_sent;
    (void)Select()
        .Send(tx, value, [&] { ++own_sent; })
        .Recv(rx,
              [&](std::optional<int> v) {
                if (*v >= 0) {
                  if (*v != own_received) ++wrong;
                  ++own_received;
                } else {
                  if (*v != -1 - other_received) ++wrong;
                  ++other_received;
                }
              })
        .Wait();
  }
  other.join();
  BOOST_TEST(failures.count() == 0);
  for (int v : rx.Drain()) {
    if (v != own_received) ++wrong;
    ++own_received;
  }
  BOOST_TEST(wrong == 0);
  BOOST_TEST(own_received == own_sent);
  if constexpr (Flavor::kRendezvous) BOOST_TEST(own_sent == 0);
}

// --- Select stress -------------------------------------------------------
//
// Four channels of mixed flavors. Each gets kN values from a plain sender
// of its own and kN from one thread that selects over sends on all four,
// switching a case off (a null Sender*) once its channel got kN. One
// consumer selects over all four receivers, switching a case off once its
// channel delivered 2 kN. Every value arrives once, in each sender's order.

constexpr int kStressBase = 1'000'000;

BOOST_AUTO_TEST_CASE(SelectStress) {
  const int kN = Scaled(5000);
  std::vector<Sender<int>> senders;
  std::vector<Receiver<int>> receivers;
  auto add = [&](std::pair<Sender<int>, Receiver<int>> c) {
    senders.push_back(std::move(c.first));
    receivers.push_back(std::move(c.second));
  };
  add(Bounded<int>(0));
  add(Bounded<int>(0));
  add(Bounded<int>(2));
  add(Unbounded<int>());

  // Value = (source * 4 + channel) * kStressBase + sequence; source 0 is a
  // plain sender, 1 the selecting one.
  std::vector<std::thread> threads;
  ThreadFailures failures;
  for (int c = 0; c < 4; ++c) {
    threads.emplace_back([&failures, tx = senders[c], c, kN]() mutable {
      for (int i = 0; i < kN; ++i) {
        failures.Check(tx.Send(c * kStressBase + i).ok());
      }
    });
  }
  threads.emplace_back([&failures, copies = senders, kN]() mutable {
    std::array<Sender<int>*, 4> live;
    std::array<int, 4> sent = {0, 0, 0, 0};
    for (int c = 0; c < 4; ++c) live[c] = &copies[c];
    for (int total = 0; total < 4 * kN; ++total) {
      std::array<int, 4> v;
      for (int c = 0; c < 4; ++c) v[c] = (4 + c) * kStressBase + sent[c];
      auto done = [&](int c) {
        return [&, c](Status s) {
          failures.Check(s == Status::kOk);
          if (++sent[c] == kN) live[c] = nullptr;
        };
      };
      (void)Select()
          .Send(live[0], v[0], done(0))
          .Send(live[1], v[1], done(1))
          .Send(live[2], v[2], done(2))
          .Send(live[3], v[3], done(3))
          .Wait();
    }
  });
  senders.clear();  // Only the threads' copies are left.

  std::array<Receiver<int>*, 4> live;
  for (int c = 0; c < 4; ++c) live[c] = &receivers[c];
  std::array<int, 8> next = {};  // Per (source, channel).
  std::array<int, 4> got = {0, 0, 0, 0};
  int wrong = 0;
  for (int total = 0; total < 8 * kN; ++total) {
    auto take = [&](int c) {
      return [&, c](std::optional<int> v) {
        BOOST_REQUIRE(v.has_value());
        const int stream = *v / kStressBase;
        if (stream % 4 != c || *v % kStressBase != next[stream]) ++wrong;
        ++next[stream];
        if (++got[c] == 2 * kN) live[c] = nullptr;
      };
    };
    (void)Select()
        .Recv(live[0], take(0))
        .Recv(live[1], take(1))
        .Recv(live[2], take(2))
        .Recv(live[3], take(3))
        .Wait();
  }
  for (std::thread& t : threads) t.join();
  BOOST_TEST(failures.count() == 0);
  BOOST_TEST(wrong == 0);
  for (int stream = 0; stream < 8; ++stream) BOOST_TEST(next[stream] == kN);
  for (Receiver<int>& rx : receivers) {
    BOOST_TEST(rx.TryRecv().status() == Status::kDisconnected);
  }
}

// --- The concurrent prime sieve ------------------------------------------
//
// A generator sends 2, 3, 4, ...; the main thread takes the first number
// out of the chain, which is prime, and appends a filter thread that passes
// on only the numbers that prime does not divide. Every blocking step also
// selects on a stop token, which ends the pipeline at the end.

// The first `n` primes, by trial division.
std::vector<int> FirstPrimes(int n) {
  std::vector<int> primes;
  for (int candidate = 2; static_cast<int>(primes.size()) < n; ++candidate) {
    bool prime = true;
    for (int p : primes) {
      if (p * p > candidate) break;
      if (candidate % p == 0) {
        prime = false;
        break;
      }
    }
    if (prime) primes.push_back(candidate);
  }
  return primes;
}

// Sends `value` unless stop is requested first; false if the value could
// not go (stopped, or nobody receives any more).
bool Forward(Sender<int>& out, int value, std::stop_token stop) {
  bool sent = false;
  (void)Select()
      .Send(out, value, [&](Status s) { sent = s == Status::kOk; })
      .Stop(stop, [] {})
      .Wait();
  return sent;
}

void Generate(Sender<int> out, std::stop_token stop) {
  for (int n = 2; Forward(out, n, stop); ++n) {
  }
}

void Filter(Receiver<int> in, Sender<int> out, int prime,
            std::stop_token stop) {
  for (bool running = true; running;) {
    (void)Select()
        .Recv(in,
              [&](std::optional<int> v) {
                if (!v) {
                  running = false;
                } else if (*v % prime != 0) {
                  running = Forward(out, *v, stop);
                }
              })
        .Stop(stop, [&] { running = false; })
        .Wait();
  }
}

template <class Flavor>
std::vector<int> RunSieve(int count) {
  std::stop_source stop;
  std::vector<std::thread> threads;
  auto [tx, rx] = Flavor::template Make<int>();
  threads.emplace_back(Generate, std::move(tx), stop.get_token());
  Receiver<int> in = std::move(rx);
  std::vector<int> primes;
  for (int i = 0; i < count; ++i) {
    RecvResult<int> r = in.Recv();
    BOOST_REQUIRE(r.ok());
    primes.push_back(*r);
    auto [next_tx, next_rx] = Flavor::template Make<int>();
    threads.emplace_back(Filter, std::move(in), std::move(next_tx), *r,
                         stop.get_token());
    in = std::move(next_rx);
  }
  stop.request_stop();
  for (std::thread& t : threads) t.join();
  return primes;
}

using SieveFlavors = boost::mpl::list<RendezvousFlavor, BoundedFlavor<4>>;

BOOST_AUTO_TEST_CASE_TEMPLATE(PrimeSieve, Flavor, SieveFlavors) {
  const int count = 100;
  std::vector<int> primes = RunSieve<Flavor>(count);
  std::vector<int> expected = FirstPrimes(count);
  BOOST_TEST(primes == expected, boost::test_tools::per_element());
  BOOST_TEST(primes.back() == 541);
}

}  // namespace
}  // namespace chan::testing
