// Exactly-once delivery under load. Several producers each send a numbered
// sequence; the consumer checks that every message arrives once and that
// each producer's messages arrive in order. Variants mix in try and timed
// operations, and close or drop the receiver mid-stream. The values count
// their own lifetimes (Counted), which proves that every value — received,
// handed back to a producer, or left in the channel — is destroyed exactly
// once.
#define BOOST_TEST_MODULE stress
#include <atomic>
#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "chan/chan.h"
#include "test/channel/channel_testing.h"
#include "test/support/scale.h"

namespace chan::testing {
namespace {

using AllFlavors = boost::mpl::list<UnboundedMaker, BoundedMaker<1>,
                                    BoundedMaker<16>, RendezvousMaker>;

constexpr int kProducers = 4;

// How the two sides operate.
enum class Ops {
  kBlocking,  // Send and Recv only.
  kMixed,     // Try, timed and blocking forms at random; tiny timeouts.
};

// How the run ends.
enum class End {
  kDrain,         // Producers finish and leave; the consumer drains.
  kClose,         // The consumer closes partway, then drains what is queued.
  kDropReceiver,  // The consumer drops the receiver partway.
};

struct ProducerTally {
  int64_t attempted = 0;
  int64_t sent = 0;
  int64_t handed_back = 0;  // Failed with kDisconnected, value returned.
  int64_t retries = 0;      // kFull or kTimeout, value returned, tried again.
  int64_t wrong = 0;        // Any other outcome, or the wrong value back.
};

// A random duration of up to 200 microseconds, zero included.
absl::Duration Tiny(std::minstd_rand& random) {
  return absl::Microseconds(static_cast<int64_t>(random() % 201));
}

SendResult<Counted> SendOnce(Sender<Counted>& tx, Counted&& value, Ops ops,
                             std::minstd_rand& random) {
  if (ops == Ops::kBlocking) return tx.Send(std::move(value));
  switch (random() % 4) {
    case 0:
      return tx.TrySend(std::move(value));
    case 1:
      return tx.SendFor(std::move(value), Tiny(random));
    case 2:
      return tx.SendUntil(std::move(value), absl::Now() + Tiny(random));
    default:
      return tx.Send(std::move(value));
  }
}

void Produce(Sender<Counted> tx, int producer, int per_producer, Ops ops,
             ProducerTally& tally) {
  std::minstd_rand random(producer + 1);
  for (int seq = 0; seq < per_producer; ++seq) {
    const int64_t id = int64_t{producer} * per_producer + seq;
    Counted value(id);
    ++tally.attempted;
    for (;;) {
      SendResult<Counted> r = SendOnce(tx, std::move(value), ops, random);
      if (r.ok()) {
        ++tally.sent;
        break;
      }
      Counted back = std::move(r).value();
      if (back.payload() != id) ++tally.wrong;
      if (r.status() == Status::kDisconnected) {
        ++tally.handed_back;
        break;  // `back` is destroyed here, with its payload.
      }
      if (r.status() == Status::kFull || r.status() == Status::kTimeout) {
        ++tally.retries;
        value = std::move(back);
        continue;
      }
      ++tally.wrong;
      break;
    }
  }
}

RecvResult<Counted> RecvOnce(Receiver<Counted>& rx, Ops ops,
                             std::minstd_rand& random) {
  if (ops == Ops::kBlocking) return rx.Recv();
  switch (random() % 4) {
    case 0:
      return rx.TryRecv();
    case 1:
      return rx.RecvFor(Tiny(random));
    case 2:
      return rx.RecvUntil(absl::Now() + Tiny(random));
    default:
      return rx.Recv();
  }
}

// One run: kProducers producers of `per_producer` messages each, and the
// consumer in this thread; kClose and kDropReceiver act once `stop_at`
// messages were received (by default, half of them).
template <class Maker>
void Run(int per_producer, Ops ops, End end, int64_t stop_at = -1) {
  const int64_t total = int64_t{kProducers} * per_producer;
  if (stop_at < 0) stop_at = total / 2;
  std::vector<std::atomic<int>> destroyed(total);
  Counted::Reset(&destroyed);

  std::vector<ProducerTally> tallies(kProducers);
  std::vector<int64_t> next(kProducers, 0);  // Next sequence number due.
  int64_t received = 0;
  int64_t wrong = 0;
  int64_t misses = 0;  // kEmpty or kTimeout from a try or timed receive.
  {
    auto [tx, rx] = Maker::template Make<Counted>();
    std::vector<std::thread> producers;
    for (int p = 0; p < kProducers; ++p) {
      producers.emplace_back(Produce, tx, p, per_producer, ops,
                             std::ref(tallies[p]));
    }
    { Sender<Counted> mine = std::move(tx); }

    std::minstd_rand random(kProducers + 1);
    std::optional<Receiver<Counted>> receiver(std::move(rx));
    for (;;) {
      if (received == stop_at && end == End::kDropReceiver) {
        receiver.reset();  // Destroys what is queued, here and now.
        break;
      }
      if (received == stop_at && end == End::kClose) receiver->Close();
      RecvResult<Counted> r = RecvOnce(*receiver, ops, random);
      if (r.status() == Status::kDisconnected) break;
      if (r.status() == Status::kEmpty || r.status() == Status::kTimeout) {
        ++misses;
        continue;
      }
      if (!r.ok()) {
        ++wrong;
        break;
      }
      const int64_t id = r->payload();
      const int64_t p = id / per_producer;
      if (id < 0 || p >= kProducers || id % per_producer != next[p]) {
        ++wrong;
      } else {
        ++next[p];
      }
      ++received;
    }
    for (std::thread& t : producers) t.join();
  }

  // Exactly once, in order per producer.
  BOOST_TEST(wrong == 0);
  int64_t sent = 0;
  int64_t handed_back = 0;
  int64_t retries = 0;
  for (int p = 0; p < kProducers; ++p) {
    const ProducerTally& t = tallies[p];
    BOOST_TEST_CONTEXT("producer " << p) {
      BOOST_TEST(t.wrong == 0);
      BOOST_TEST(t.attempted == per_producer);
      BOOST_TEST(t.sent + t.handed_back == t.attempted);
    }
    sent += t.sent;
    handed_back += t.handed_back;
    retries += t.retries;
  }
  int64_t next_sum = 0;
  for (int64_t n : next) next_sum += n;
  BOOST_TEST(next_sum == received);
  switch (end) {
    case End::kDrain:
      BOOST_TEST(received == total);
      BOOST_TEST(handed_back == 0);
      break;
    case End::kClose:
      // Whatever a send got in before the close was received after it.
      BOOST_TEST(received >= stop_at);
      BOOST_TEST(received == sent);
      break;
    case End::kDropReceiver:
      BOOST_TEST(received == stop_at);
      BOOST_TEST(received <= sent);
      break;
  }

  // Every value, wherever it ended, was destroyed exactly once.
  BOOST_TEST(Counted::live() == 0);
  BOOST_TEST(Counted::errors() == 0);
  BOOST_TEST(Counted::constructed() == Counted::destroyed());
  int64_t not_once = 0;
  for (const std::atomic<int>& d : destroyed) not_once += d.load() != 1;
  BOOST_TEST(not_once == 0);
  Counted::Reset();

  BOOST_TEST_MESSAGE("received " << received << ", sent " << sent
                                 << ", handed back " << handed_back
                                 << ", send retries " << retries
                                 << ", receive misses " << misses);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(EveryMessageOnceAndInOrder, Maker, AllFlavors) {
  Run<Maker>(Scaled(100'000), Ops::kBlocking, End::kDrain);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(EveryMessageOnceWithTriesAndTimeouts, Maker,
                              AllFlavors) {
  Run<Maker>(Scaled(20'000), Ops::kMixed, End::kDrain);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(CloseMidStreamLosesNothingSent, Maker,
                              AllFlavors) {
  Run<Maker>(Scaled(50'000), Ops::kBlocking, End::kClose);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(CloseMidStreamWithTriesAndTimeouts, Maker,
                              AllFlavors) {
  Run<Maker>(Scaled(20'000), Ops::kMixed, End::kClose);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(ReceiverDroppedMidStreamLeaksNothing, Maker,
                              AllFlavors) {
  Run<Maker>(Scaled(50'000), Ops::kBlocking, End::kDropReceiver);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(ReceiverDroppedMidStreamWithTriesAndTimeouts,
                              Maker, AllFlavors) {
  Run<Maker>(Scaled(20'000), Ops::kMixed, End::kDropReceiver);
}

// Many short runs, each closing or dropping at a different moment: at the
// start, with producers blocked, mid-hand-off, after the last send.
BOOST_AUTO_TEST_CASE_TEMPLATE(CloseAtVaryingMoments, Maker, AllFlavors) {
  const int rounds = Scaled(1'000);
  const int per_producer = 25;
  for (int round = 0; round < rounds; ++round) {
    Run<Maker>(per_producer, round % 2 == 0 ? Ops::kBlocking : Ops::kMixed,
               End::kClose, round % (kProducers * per_producer + 1));
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(DropAtVaryingMoments, Maker, AllFlavors) {
  const int rounds = Scaled(1'000);
  const int per_producer = 25;
  for (int round = 0; round < rounds; ++round) {
    Run<Maker>(per_producer, round % 2 == 0 ? Ops::kBlocking : Ops::kMixed,
               End::kDropReceiver, round % (kProducers * per_producer + 1));
  }
}

}  // namespace
}  // namespace chan::testing
