// Disconnection from either side while the other is blocked: the last
// sender leaving wakes a waiting receiver once the channel is drained; the
// receiver leaving (or closing) wakes every waiting sender, each with its
// value handed back.
#define BOOST_TEST_MODULE disconnect
#include <atomic>
#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstddef>
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

using std::chrono_literals::operator""ms;

using AllFlavors = boost::mpl::list<UnboundedMaker, BoundedMaker<1>,
                                    BoundedMaker<16>, RendezvousMaker>;
using BufferedFlavors =
    boost::mpl::list<UnboundedMaker, BoundedMaker<1>, BoundedMaker<16>>;
// Flavors in which a sender can block.
using BlockingFlavors =
    boost::mpl::list<BoundedMaker<1>, BoundedMaker<4>, RendezvousMaker>;

// The receiver blocks in Recv; the last sender sends a few values and
// leaves. The receiver gets every value, then kDisconnected. Rounds vary
// whether the receiver is already asleep when the sender leaves.
BOOST_AUTO_TEST_CASE_TEMPLATE(LastSenderLeavingWakesABlockedRecv, Maker,
                              AllFlavors) {
  const int rounds = Scaled(200);
  int wrong = 0;
  for (int round = 0; round < rounds; ++round) {
    auto [tx, rx] = Maker::template Make<int>();
    std::vector<int> received;
    Status last = Status::kOk;
    std::thread receiver([&] {
      for (;;) {
        RecvResult<int> r = rx.Recv();
        if (!r) {
          last = r.status();
          return;
        }
        received.push_back(*r);
      }
    });
    const int k = round % 4;
    for (int i = 0; i < k; ++i) {
      if (!tx.Send(i)) ++wrong;
    }
    if (round % 2 == 0) std::this_thread::sleep_for(round == 0 ? 20ms : 1ms);
    { Sender<int> gone = std::move(tx); }
    receiver.join();
    if (last != Status::kDisconnected) ++wrong;
    if (received.size() != static_cast<size_t>(k)) {
      ++wrong;
    } else {
      for (int i = 0; i < k; ++i) wrong += received[i] != i;
    }
  }
  BOOST_TEST(wrong == 0);
}

// Several threads hold copies and leave at about the same time; only the
// last one to leave disconnects, after all their values.
BOOST_AUTO_TEST_CASE_TEMPLATE(LastOfManySendersLeavingDisconnects, Maker,
                              AllFlavors) {
  const int kSenders = 3;
  const int rounds = Scaled(100);
  int wrong = 0;
  for (int round = 0; round < rounds; ++round) {
    auto [tx, rx] = Maker::template Make<int>();
    std::vector<std::thread> senders;
    for (int s = 0; s < kSenders; ++s) {
      senders.emplace_back([s, tx]() mutable { (void)tx.Send(s); });
    }
    { Sender<int> gone = std::move(tx); }
    int sum = 0;
    int count = 0;
    for (int v : rx) {
      sum += v;
      ++count;
    }
    for (std::thread& t : senders) t.join();
    if (count != kSenders || sum != 0 + 1 + 2) ++wrong;
    if (rx.TryRecv().status() != Status::kDisconnected) ++wrong;
  }
  BOOST_TEST(wrong == 0);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(LastSenderLeavingWakesATimedRecv, Maker,
                              AllFlavors) {
  auto [tx, rx] = Maker::template Make<int>();
  Status until_status = Status::kOk;
  Status for_status = Status::kOk;
  absl::Duration waited;
  std::thread receiver([&] {
    const absl::Time start = absl::Now();
    for_status = rx.RecvFor(absl::Seconds(30)).status();
    until_status = rx.RecvUntil(absl::Now() + absl::Seconds(30)).status();
    waited = absl::Now() - start;
  });
  std::this_thread::sleep_for(20ms);
  { Sender<int> gone = std::move(tx); }
  receiver.join();
  BOOST_TEST(for_status == Status::kDisconnected);
  BOOST_TEST(until_status == Status::kDisconnected);
  BOOST_TEST(waited < absl::Seconds(10));  // Woken, not timed out.
}

// What the last sender did before leaving is visible to the receiver once
// it sees kDisconnected (ThreadSanitizer checks the edge).
BOOST_AUTO_TEST_CASE_TEMPLATE(DisconnectionHappensBeforeItsReport, Maker,
                              AllFlavors) {
  const int rounds = Scaled(300);
  int wrong = 0;
  for (int round = 0; round < rounds; ++round) {
    auto [tx, rx] = Maker::template Make<int>();
    int note = 0;  // Plain memory, written by the sender only.
    std::thread sender([&note, round, tx = std::move(tx)]() mutable {
      if (round % 2 == 0) (void)tx.Send(round);
      note = round + 1;
      Sender<int> gone = std::move(tx);
    });
    while (rx.Recv().ok()) {
    }
    if (note != round + 1) ++wrong;
    sender.join();
  }
  BOOST_TEST(wrong == 0);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(EachSideSeesTheOtherLeave, Maker,
                              BufferedFlavors) {
  {
    auto [tx, rx] = Maker::template Make<int>();
    BOOST_TEST(tx.TrySend(1).ok());
    { Sender<int> gone = std::move(tx); }
    // Disconnected, yet the queued value is still there to receive.
    BOOST_TEST(rx.IsDisconnected());
    BOOST_TEST(rx.Len() == 1u);
    BOOST_TEST(rx.TryRecv().value() == 1);
    BOOST_TEST(rx.TryRecv().status() == Status::kDisconnected);
  }
  {
    auto [tx, rx] = Maker::template Make<int>();
    BOOST_TEST(tx.TrySend(1).ok());
    { Receiver<int> gone = std::move(rx); }
    BOOST_TEST(tx.IsDisconnected());
    BOOST_TEST(tx.TrySend(2).status() == Status::kDisconnected);
  }
}

// One sender per send form, each blocked on a full (or rendezvous)
// channel, with a value whose identity the hand-back must keep.
struct BlockedSenders {
  static constexpr int kCount = 3;

  explicit BlockedSenders(Sender<Boxed>& tx) {
    for (int i = 0; i < kCount; ++i) {
      threads.emplace_back([this, i, tx]() mutable {
        Boxed box(100 + i);
        cells[i] = box.cell();
        SendResult<Boxed> r = [&] {
          switch (i) {
            case 0:
              return tx.Send(std::move(box));
            case 1:
              return tx.SendFor(std::move(box), absl::Seconds(30));
            default:
              return tx.SendUntil(std::move(box), absl::InfiniteFuture());
          }
        }();
        statuses[i] = r.status();
        if (!r.ok()) back[i] = std::move(r).value();
        returned.fetch_add(1);
      });
    }
  }

  void Join() {
    for (std::thread& t : threads) t.join();
  }

  // Every sender failed with kDisconnected and got its own value back.
  void ExpectAllHandedBack() {
    for (int i = 0; i < kCount; ++i) {
      BOOST_TEST_CONTEXT("sender " << i) {
        BOOST_TEST(statuses[i] == Status::kDisconnected);
        BOOST_TEST(back[i].value() == 100 + i);
        BOOST_TEST(back[i].cell() == cells[i]);
      }
    }
  }

  std::vector<std::thread> threads;
  std::atomic<int> returned{0};
  Status statuses[kCount] = {Status::kOk, Status::kOk, Status::kOk};
  Boxed back[kCount] = {Boxed(-1), Boxed(-1), Boxed(-1)};
  const int* cells[kCount] = {};
};

template <class Maker>
void Fill(Sender<Boxed>& tx) {
  for (size_t i = 0; i < RoomFor<Maker>(100); ++i) {
    BOOST_TEST_REQUIRE(tx.TrySend(Boxed(static_cast<int>(i))).ok());
  }
  BOOST_TEST_REQUIRE(tx.TrySend(Boxed(-1)).status() == Status::kFull);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(ReceiverLeavingWakesBlockedSenders, Maker,
                              BlockingFlavors) {
  auto [tx, rx] = Maker::template Make<Boxed>();
  Fill<Maker>(tx);
  BlockedSenders senders(tx);
  std::this_thread::sleep_for(30ms);
  BOOST_TEST(senders.returned.load() == 0);  // All still blocked.
  { Receiver<Boxed> gone = std::move(rx); }
  senders.Join();
  senders.ExpectAllHandedBack();
  BOOST_TEST(tx.IsDisconnected());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(ReceiverClosingWakesBlockedSenders, Maker,
                              BlockingFlavors) {
  auto [tx, rx] = Maker::template Make<Boxed>();
  Fill<Maker>(tx);
  BlockedSenders senders(tx);
  std::this_thread::sleep_for(30ms);
  BOOST_TEST(senders.returned.load() == 0);
  rx.Close();
  senders.Join();
  senders.ExpectAllHandedBack();
  // What was queued before the close is still there, in order.
  for (size_t i = 0; i < RoomFor<Maker>(100); ++i) {
    RecvResult<Boxed> r = rx.Recv();
    BOOST_TEST_REQUIRE(r.ok());
    BOOST_TEST(r->value() == static_cast<int>(i));
  }
  BOOST_TEST(rx.Recv().status() == Status::kDisconnected);
}

// The receiver leaves while senders are mid-stream, many times over, at
// varying moments: every sender finishes, none hangs, and a failed send
// always hands back the value it was given.
BOOST_AUTO_TEST_CASE_TEMPLATE(ReceiverLeavingRacesWithSenders, Maker,
                              AllFlavors) {
  const int kSenders = 3;
  const int rounds = Scaled(150);
  int wrong = 0;
  for (int round = 0; round < rounds; ++round) {
    auto [tx, rx] = Maker::template Make<int>();
    std::vector<int> failures(kSenders, 0);
    std::vector<std::thread> senders;
    for (int s = 0; s < kSenders; ++s) {
      senders.emplace_back([&failures, s, tx]() mutable {
        for (int i = 0;; ++i) {
          SendResult<int> r = tx.Send(i);
          if (!r) {
            if (r.status() != Status::kDisconnected || r.value() != i) {
              ++failures[s];
            }
            return;
          }
        }
      });
    }
    { Sender<int> mine = std::move(tx); }
    for (int i = 0; i < round % 10; ++i) (void)rx.Recv();
    { Receiver<int> gone = std::move(rx); }
    for (std::thread& t : senders) t.join();
    for (int f : failures) wrong += f;
  }
  BOOST_TEST(wrong == 0);
}

// Dropping the receiver destroys the queued values then and there, in the
// dropping thread, although senders keep the channel alive.
BOOST_AUTO_TEST_CASE_TEMPLATE(ReceiverLeavingDestroysQueuedValuesAtOnce, Maker,
                              BufferedFlavors) {
  const size_t n = RoomFor<Maker>(50);
  std::vector<std::atomic<int>> destroyed(n);
  Counted::Reset(&destroyed);
  {
    auto [tx, rx] = Maker::template Make<Counted>();
    for (size_t i = 0; i < n; ++i) {
      BOOST_TEST_REQUIRE(tx.TrySend(Counted(static_cast<int64_t>(i))).ok());
    }
    BOOST_TEST(Counted::live() == static_cast<int64_t>(n));
    { Receiver<Counted> gone = std::move(rx); }
    BOOST_TEST(Counted::live() == 0);
    int wrong = 0;
    for (size_t i = 0; i < n; ++i) wrong += destroyed[i].load() != 1;
    BOOST_TEST(wrong == 0);
  }
  BOOST_TEST(Counted::live() == 0);
  BOOST_TEST(Counted::errors() == 0);
  Counted::Reset();
}

}  // namespace
}  // namespace chan::testing
