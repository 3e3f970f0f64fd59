// DynamicSelect: operations added at run time, selected, then completed by
// the caller through SelectedOperation — or dropped, which must lose nothing
// and leave nobody hanging. Also stop operations, disabled operations, the
// readiness-only waits (which report an operation that would not block
// without performing it), and the misuse that stops the program.
#define BOOST_TEST_MODULE dynamic_select
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <cstddef>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <stop_token>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "chan/chan.h"
#include "test/select/select_testing.h"
#include "test/support/scale.h"
#include "test/support/thread_state.h"

namespace chan::testing {
namespace {

const absl::Duration kShort = absl::Milliseconds(20);
const absl::Duration kSettle = absl::Milliseconds(50);
const absl::Duration kGenerous = absl::Seconds(10);

BOOST_AUTO_TEST_CASE(AddReturnsIndicesInOrder) {
  auto [tx0, rx0] = Unbounded<int>();
  auto [tx1, rx1] = Bounded<int>(1);
  auto [tx2, rx2] = Bounded<int>(0);
  int value = 0;
  DynamicSelect select;
  BOOST_TEST(select.size() == 0u);
  BOOST_TEST(select.AddRecv(rx0) == 0u);
  BOOST_TEST(select.AddSend(tx1, value) == 1u);
  BOOST_TEST(select.AddRecv(rx2) == 2u);
  BOOST_TEST(select.AddSend(tx0, value) == 3u);
  BOOST_TEST(select.size() == 4u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(SelectCompletesTheChosenRecv, Flavor,
                              AllFlavors) {
  auto [atx, arx] = Flavor::template Make<int>();
  auto [btx, brx] = Flavor::template Make<int>();
  DynamicSelect select;
  select.AddRecv(arx);
  const size_t b = select.AddRecv(brx);
  bool sent = false;
  std::thread sender(
      [&, btx = std::move(btx)]() mutable { sent = btx.Send(21).ok(); });
  SelectedOperation op = select.Select();
  BOOST_TEST(op.index() == b);
  RecvResult<int> r = op.Recv(brx);
  sender.join();
  BOOST_TEST(sent);
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(*r == 21);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(SelectCompletesTheChosenSend, Flavor,
                              AllFlavors) {
  auto [tx, rx] = Flavor::template Make<Box>();
  auto [otx, orx] = Unbounded<int>();  // Idle.
  Box value = std::make_unique<int>(5);
  int* const cell = value.get();
  Box received;
  std::thread receiver([&, rx = std::move(rx)]() mutable {
    RecvResult<Box> r = rx.Recv();
    if (r) received = std::move(*r);
  });
  DynamicSelect select;
  select.AddRecv(orx);
  const size_t s = select.AddSend(tx, value);
  {
    SelectedOperation op = select.Select();
    BOOST_TEST(op.index() == s);
    SendResult<Box> sent = op.Send(tx);
    BOOST_TEST(sent.ok());
  }
  receiver.join();
  BOOST_TEST(value == nullptr);
  BOOST_TEST(received.get() == cell);
}

BOOST_AUTO_TEST_CASE(TrySelectReturnsNothingWhenNothingIsReady) {
  auto [tx, rx] = Unbounded<int>();
  auto [btx, brx] = Bounded<Box>(1);
  BOOST_REQUIRE(btx.Send(std::make_unique<int>(0)).ok());  // Full.
  Box value = std::make_unique<int>(1);
  DynamicSelect select;
  select.AddRecv(rx);
  select.AddSend(btx, value);
  for (int i = 0; i < 10; ++i) BOOST_TEST(!select.TrySelect().has_value());
  BOOST_TEST(value != nullptr);

  BOOST_REQUIRE(tx.Send(3).ok());
  std::optional<SelectedOperation> op = select.TrySelect();
  BOOST_REQUIRE(op.has_value());
  BOOST_TEST(op->index() == 0u);
  RecvResult<int> r = op->Recv(rx);
  BOOST_TEST((r.ok() && *r == 3));
}

BOOST_AUTO_TEST_CASE(SelectForAndSelectUntilTimeOut) {
  auto [tx, rx] = Unbounded<int>();
  DynamicSelect select;
  select.AddRecv(rx);
  absl::Time start = absl::Now();
  BOOST_TEST(!select.SelectFor(kShort).has_value());
  BOOST_TEST(absl::Now() - start >= kShort);
  const absl::Time deadline = absl::Now() + kShort;
  BOOST_TEST(!select.SelectUntil(deadline).has_value());
  BOOST_TEST(absl::Now() >= deadline);
  // A deadline in the past is a try.
  BOOST_TEST(!select.SelectUntil(absl::InfinitePast()).has_value());
  BOOST_TEST(!select.SelectFor(-absl::Seconds(1)).has_value());
}

BOOST_AUTO_TEST_CASE(SelectForTakesAValueThatComesInTime) {
  auto [tx, rx] = Bounded<int>(0);
  DynamicSelect select;
  select.AddRecv(rx);
  bool sent = false;
  std::thread sender([&, tx = std::move(tx)]() mutable {
    absl::SleepFor(kShort);
    sent = tx.Send(4).ok();
  });
  std::optional<SelectedOperation> op = select.SelectFor(kGenerous);
  BOOST_REQUIRE(op.has_value());
  RecvResult<int> r = op->Recv(rx);
  sender.join();
  BOOST_TEST(sent);
  BOOST_TEST((r.ok() && *r == 4));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(CompletionsReportDisconnection, Flavor,
                              AllFlavors) {
  // A receive from a channel with no senders left.
  auto [tx, rx] = Flavor::template Make<int>();
  { Sender<int> gone = std::move(tx); }
  DynamicSelect recv_select;
  recv_select.AddRecv(rx);
  RecvResult<int> r = recv_select.Select().Recv(rx);
  BOOST_TEST(r.status() == Status::kDisconnected);

  // A send to a channel with no receiver: the value comes back.
  auto [btx, brx] = Flavor::template Make<Box>();
  { Receiver<Box> gone = std::move(brx); }
  Box value = std::make_unique<int>(6);
  DynamicSelect send_select;
  send_select.AddSend(btx, value);
  SendResult<Box> s = send_select.Select().Send(btx);
  BOOST_TEST(s.status() == Status::kDisconnected);
  BOOST_REQUIRE(s.value() != nullptr);
  BOOST_TEST(*s.value() == 6);
}

BOOST_AUTO_TEST_CASE(BiasedChoosesTheFirstReadyOperation) {
  auto [tx0, rx0] = Unbounded<int>();
  auto [tx1, rx1] = Unbounded<int>();
  auto [tx2, rx2] = Unbounded<int>();
  for (int i = 0; i < 50; ++i) {
    BOOST_REQUIRE(tx1.Send(i).ok());
    BOOST_REQUIRE(tx2.Send(i).ok());
  }
  DynamicSelect select;
  select.AddRecv(rx0);
  select.AddRecv(rx1);
  select.AddRecv(rx2);
  select.Biased();
  for (int i = 0; i < 50; ++i) {
    SelectedOperation op = select.Select();
    BOOST_TEST(op.index() == 1u);
    RecvResult<int> r = op.Recv(rx1);
    BOOST_TEST((r.ok() && *r == i));
  }
  BOOST_TEST(rx2.Len() == 50u);
}

BOOST_AUTO_TEST_CASE(OneSelectServesManyRounds) {
  // A consumer keeps one DynamicSelect over three channels of different
  // flavors, disabling each receive once its channel has disconnected.
  const int kPerProducer = Scaled(3000);
  auto [utx, urx] = Unbounded<int>();
  auto [btx, brx] = Bounded<int>(4);
  auto [ztx, zrx] = Bounded<int>(0);
  std::vector<std::thread> producers;
  ThreadFailures failures;
  auto produce = [&failures, kPerProducer](Sender<int> tx, int base) {
    for (int i = 0; i < kPerProducer; ++i) {
      failures.Check(tx.Send(base + i).ok());
    }
  };
  producers.emplace_back(produce, std::move(utx), 0);
  producers.emplace_back(produce, std::move(btx), 1'000'000);
  producers.emplace_back(produce, std::move(ztx), 2'000'000);

  const std::vector<Receiver<int>*> receivers = {&urx, &brx, &zrx};
  DynamicSelect select;
  for (Receiver<int>* rx : receivers) select.AddRecv(*rx);
  std::vector<int> next(3, 0);
  int out_of_order = 0;
  for (int open = 3; open > 0;) {
    SelectedOperation op = select.Select();
    const size_t c = op.index();
    RecvResult<int> r = op.Recv(*receivers[c]);
    if (!r) {
      BOOST_REQUIRE(r.status() == Status::kDisconnected);
      select.Disable(c);
      --open;
      continue;
    }
    if (*r != static_cast<int>(c) * 1'000'000 + next[c]) ++out_of_order;
    ++next[c];
  }
  for (std::thread& t : producers) t.join();
  BOOST_TEST(failures.count() == 0);
  BOOST_TEST(out_of_order == 0);
  BOOST_TEST(next == std::vector<int>(3, kPerProducer),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(SixtyFourReceiversEachValueOnce) {
  constexpr int kChannels = 64;
  const int rounds = Scaled(100);
  std::mt19937 random(2024);
  std::vector<Sender<int>> senders;
  std::vector<Receiver<int>> receivers;
  for (int i = 0; i < kChannels; ++i) {
    auto [tx, rx] = Bounded<int>(2);
    senders.push_back(std::move(tx));
    receivers.push_back(std::move(rx));
  }
  DynamicSelect select;
  for (Receiver<int>& rx : receivers) select.AddRecv(rx);

  int wrong = 0;
  for (int round = 0; round < rounds; ++round) {
    // Values on a random subset of the channels.
    std::set<int> expected;
    for (int c = 0; c < kChannels; ++c) {
      if (random() % 4 == 0) {
        BOOST_REQUIRE(senders[c].Send(round * kChannels + c).ok());
        expected.insert(round * kChannels + c);
      }
    }
    std::set<int> got;
    while (std::optional<SelectedOperation> op = select.TrySelect()) {
      const size_t c = op->index();
      RecvResult<int> r = op->Recv(receivers[c]);
      BOOST_REQUIRE(r.ok());
      if (*r % kChannels != static_cast<int>(c)) ++wrong;
      if (!got.insert(*r).second) ++wrong;
    }
    if (got != expected) ++wrong;
  }
  BOOST_TEST(wrong == 0);
}

BOOST_AUTO_TEST_CASE(TimerChannelsInADynamicSelect) {
  const absl::Time start = absl::Now();
  Receiver<absl::Time> never = Never<absl::Time>();
  Receiver<absl::Time> late = After(kGenerous);
  Receiver<absl::Time> soon = After(kShort);
  DynamicSelect select;
  select.AddRecv(never);
  select.AddRecv(late);
  const size_t s = select.AddRecv(soon);
  SelectedOperation op = select.Select();
  BOOST_TEST(op.index() == s);
  RecvResult<absl::Time> r = op.Recv(soon);
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(*r >= start + kShort);
  BOOST_TEST(absl::Now() - start >= kShort);
}

BOOST_AUTO_TEST_CASE(StopOperationIsChosenOnceStopIsRequested) {
  auto [tx, rx] = Unbounded<int>();  // Idle.
  std::stop_source stop;
  DynamicSelect select;
  select.AddRecv(rx);
  const size_t s = select.AddStop(stop.get_token());
  BOOST_TEST(!select.TrySelect().has_value());
  std::thread stopper([&] {
    absl::SleepFor(kShort);
    stop.request_stop();
  });
  {
    SelectedOperation op = select.Select();
    BOOST_TEST(op.index() == s);
    // A stop operation needs no completion.
  }
  stopper.join();
  std::optional<size_t> ready = select.TryReady();
  BOOST_TEST((ready == s));
}

BOOST_AUTO_TEST_CASE(StopOperationWithoutStopStateIsNeverChosen) {
  auto [tx, rx] = Unbounded<int>();
  DynamicSelect select;
  select.AddStop(std::stop_token());
  const size_t r = select.AddRecv(rx);
  BOOST_TEST(!select.TrySelect().has_value());
  BOOST_TEST(!select.SelectFor(kShort).has_value());
  BOOST_REQUIRE(tx.Send(1).ok());
  std::optional<SelectedOperation> op = select.TrySelect();
  BOOST_REQUIRE(op.has_value());
  BOOST_TEST(op->index() == r);
  BOOST_TEST(op->Recv(rx).ok());
}

BOOST_AUTO_TEST_CASE(DisabledOperationIsNeverChosen) {
  auto [atx, arx] = Unbounded<int>();
  auto [btx, brx] = Unbounded<int>();
  DynamicSelect select;
  const size_t a = select.AddRecv(arx);
  const size_t b = select.AddRecv(brx);
  { Sender<int> gone = std::move(atx); }
  // A disconnected receive is always ready...
  for (int i = 0; i < 5; ++i) {
    SelectedOperation op = select.Select();
    BOOST_TEST(op.index() == a);
    BOOST_TEST(op.Recv(arx).status() == Status::kDisconnected);
  }
  // ...until it is disabled.
  select.Disable(a);
  BOOST_TEST(!select.TrySelect().has_value());
  BOOST_TEST(!select.TryReady().has_value());
  BOOST_REQUIRE(btx.Send(2).ok());
  SelectedOperation op = select.Select();
  BOOST_TEST(op.index() == b);
  RecvResult<int> r = op.Recv(brx);
  BOOST_TEST((r.ok() && *r == 2));
}

// --- Dropping a selected operation ---------------------------------------

BOOST_AUTO_TEST_CASE_TEMPLATE(DroppedRecvLeavesTheValueQueued, Flavor,
                              BufferedFlavors) {
  auto [tx, rx] = Flavor::template Make<int>();
  BOOST_REQUIRE(tx.Send(1).ok());
  DynamicSelect select;
  select.AddRecv(rx);
  for (int i = 0; i < 3; ++i) {
    SelectedOperation op = select.Select();
    BOOST_TEST(op.index() == 0u);
    // Dropped here.
  }
  BOOST_TEST(rx.Len() == 1u);
  RecvResult<int> r = rx.TryRecv();
  BOOST_TEST((r.ok() && *r == 1));
  BOOST_TEST(rx.Len() == 0u);
}

// A dropped send case on a buffered channel must release its claim on a
// slot: the value is not delivered, and afterwards the channel looks and
// behaves as if the select never ran — Len() counts what is queued, and a
// bounded channel with a free slot takes a TrySend.
BOOST_AUTO_TEST_CASE_TEMPLATE(DroppedSendDeliversNothing, Flavor,
                              BufferedFlavors) {
  auto [tx, rx] = Flavor::template Make<Box>();
  Box value = std::make_unique<int>(1);
  {
    DynamicSelect select;
    select.AddSend(tx, value);
    SelectedOperation op = select.Select();
    BOOST_TEST(op.index() == 0u);
    // Dropped here.
  }
  BOOST_REQUIRE(value != nullptr);
  BOOST_TEST(*value == 1);
  BOOST_TEST(rx.Len() == 0u);
  BOOST_TEST(tx.Len() == 0u);
  BOOST_TEST(!tx.Full());

  // The next send and receive work, and nothing stale comes out.
  SendResult<Box> sent = tx.TrySend(std::make_unique<int>(2));
  BOOST_TEST(sent.status() == Status::kOk);
  BOOST_TEST(rx.Len() == 1u);
  RecvResult<Box> r = rx.TryRecv();
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(**r == 2);
  BOOST_TEST(rx.TryRecv().status() == Status::kEmpty);
  BOOST_TEST(rx.Len() == 0u);
}

// A dropped send that a later send is already queued behind cannot give its
// slot back: it leaves a hole, which Len() counts and which takes room until
// the receiver passes it (as channel.h documents). Nothing is delivered for
// it, and once the receiver has passed it the room is back.
BOOST_AUTO_TEST_CASE(DroppedSendBehindALaterSendLeavesAHole) {
  auto [tx, rx] = Bounded<Box>(2);
  Box value = std::make_unique<int>(1);
  {
    DynamicSelect select;
    select.AddSend(tx, value);
    SelectedOperation op = select.Select();  // Claims the first slot.
    BOOST_REQUIRE(tx.TrySend(std::make_unique<int>(2)).ok());  // The second.
    // Dropped here.
  }
  BOOST_REQUIRE(value != nullptr);
  BOOST_TEST(rx.Len() == 2u);  // The hole and the value behind it.
  BOOST_TEST(tx.TrySend(std::make_unique<int>(3)).status() == Status::kFull);
  std::vector<int> got;
  for (Box& b : rx.Drain()) got.push_back(*b);
  BOOST_TEST(got == std::vector<int>({2}), boost::test_tools::per_element());
  BOOST_TEST(rx.Len() == 0u);
  BOOST_TEST(tx.TrySend(std::make_unique<int>(3)).ok());
  BOOST_TEST(tx.TrySend(std::make_unique<int>(4)).ok());
  BOOST_TEST(tx.Full());
}

// Holes and values take turns in the same slots, lap after lap: whatever a
// slot held the lap before (a value, a hole, nothing yet), the receiver
// skips exactly the holes. Rounds of two positions (a hole, then the value
// queued behind it) and of one (a value alone) shift which slot the holes
// land in.
BOOST_AUTO_TEST_CASE(HolesAndValuesTakeTurnsInTheSameSlots) {
  auto [tx, rx] = Bounded<Box>(2);
  std::vector<int> sent;
  std::vector<int> got;
  for (int round = 0; round < 24; ++round) {
    if (round % 3 == 2) {
      BOOST_REQUIRE(tx.TrySend(std::make_unique<int>(round)).ok());
    } else {
      Box dropped = std::make_unique<int>(-1);
      {
        DynamicSelect select;
        select.AddSend(tx, dropped);
        SelectedOperation op = select.Select();  // Claims a slot.
        BOOST_REQUIRE(tx.TrySend(std::make_unique<int>(round)).ok());
      }  // Dropped behind the value: a hole.
      BOOST_REQUIRE(dropped != nullptr);
      BOOST_TEST(rx.Len() == 2u);
    }
    sent.push_back(round);
    for (Box& b : rx.Drain()) got.push_back(*b);
    BOOST_TEST(rx.Len() == 0u);
    BOOST_TEST(rx.TryRecv().status() == Status::kEmpty);
  }
  BOOST_TEST(got == sent, boost::test_tools::per_element());
}

// The same, with the receiver draining in another thread meanwhile: the
// receiver must not wait forever on the slot the dropped send claimed.
BOOST_AUTO_TEST_CASE_TEMPLATE(DroppedSendDoesNotHangTheReceiver, Flavor,
                              BufferedFlavors) {
  const int rounds = Scaled(500);
  auto [tx, rx] = Flavor::template Make<int>();
  std::vector<int> received;
  std::thread receiver([&, rx = std::move(rx)]() mutable {
    for (int v : rx) received.push_back(v);
  });
  for (int round = 0; round < rounds; ++round) {
    int dropped = -1;
    {
      DynamicSelect select;
      select.AddSend(tx, dropped);
      std::optional<SelectedOperation> op = select.SelectFor(kGenerous);
      BOOST_REQUIRE(op.has_value());
    }
    BOOST_REQUIRE(tx.Send(round).ok());
  }
  { Sender<int> gone = std::move(tx); }
  receiver.join();
  std::vector<int> expected(rounds);
  for (int i = 0; i < rounds; ++i) expected[i] = i;
  BOOST_TEST(received == expected, boost::test_tools::per_element());
}

// A dropped send that no later send is queued behind gives its slot back by
// moving the tail back: a sender that found the ring full meanwhile must be
// woken, as if the receiver had made the room. With 0 or 2 values already
// queued ahead.
BOOST_AUTO_TEST_CASE(DroppedSendWakesASenderWaitingForRoom) {
  for (size_t queued : {size_t{0}, size_t{2}}) {
    BOOST_TEST_CONTEXT("values queued ahead: " << queued) {
      auto [tx, rx] = Bounded<Box>(queued + 1);
      for (size_t i = 0; i < queued; ++i) {
        BOOST_REQUIRE(tx.TrySend(std::make_unique<int>(int(i))).ok());
      }
      Box dropped = std::make_unique<int>(-1);
      std::atomic<bool> started{false};
      auto [done_tx, done_rx] = Bounded<Status>(1);
      std::thread sender;
      {
        DynamicSelect select;
        select.AddSend(tx, dropped);
        SelectedOperation op = select.Select();  // Claims the last slot.
        sender = std::thread(
            [&started, tx = tx, done_tx = std::move(done_tx)]() mutable {
              started.store(true);
              (void)done_tx.Send(tx.Send(std::make_unique<int>(100)).status());
            });
        while (!started.load()) std::this_thread::yield();
        // Give it time to find the ring full and wait; if it has not yet,
        // it finds the room once `op` is dropped, and the test passes
        // without testing the wake-up.
        absl::SleepFor(kSettle);
      }
      const RecvResult<Status> done = done_rx.RecvFor(kGenerous);
      if (!done.ok()) {
        BOOST_ERROR("the waiting sender was not woken");
        { Receiver<Box> gone = std::move(rx); }  // Frees it: disconnected.
        sender.join();
        continue;
      }
      BOOST_TEST(*done == Status::kOk);
      sender.join();
      std::vector<int> got;
      for (Box& b : rx.Drain()) got.push_back(*b);
      BOOST_REQUIRE(dropped != nullptr);
      std::vector<int> expected;
      for (size_t i = 0; i < queued; ++i) expected.push_back(int(i));
      expected.push_back(100);
      BOOST_TEST(got == expected, boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(DroppedRendezvousRecvLeavesTheSenderBlocked) {
  auto [tx, rx] = Bounded<Box>(0);
  std::atomic<bool> sent{false};
  std::thread sender([&, tx = std::move(tx)]() mutable {
    sent.store(tx.Send(std::make_unique<int>(8)).ok());
  });
  {
    DynamicSelect select;
    select.AddRecv(rx);
    // Returns once the sender is blocked in Send.
    SelectedOperation op = select.Select();
    BOOST_TEST(op.index() == 0u);
    // Dropped here: the sender is declined and waits again.
  }
  absl::SleepFor(kSettle);
  BOOST_TEST(!sent.load());
  RecvResult<Box> r = rx.RecvFor(kGenerous);
  sender.join();
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(**r == 8);
  BOOST_TEST(sent.load());
}

BOOST_AUTO_TEST_CASE(DroppedRendezvousSendLeavesTheReceiverWaiting) {
  auto [tx, rx] = Bounded<Box>(0);
  std::atomic<bool> received{false};
  Box got;
  std::thread receiver([&, rx = std::move(rx)]() mutable {
    RecvResult<Box> r = rx.Recv();
    if (r) got = std::move(*r);
    received.store(true);
  });
  Box value = std::make_unique<int>(1);
  {
    DynamicSelect select;
    select.AddSend(tx, value);
    BOOST_REQUIRE(select.ReadyFor(kGenerous).has_value());  // It waits.
    SelectedOperation op = select.Select();                 // Pairs with it.
    BOOST_TEST(op.index() == 0u);
    // Dropped here: the receiver is declined and waits again.
  }
  absl::SleepFor(kSettle);
  BOOST_TEST(!received.load());
  BOOST_REQUIRE(value != nullptr);
  BOOST_TEST(*value == 1);

  BOOST_TEST(tx.Send(std::make_unique<int>(2)).ok());
  receiver.join();
  BOOST_REQUIRE(got != nullptr);
  BOOST_TEST(*got == 2);
  BOOST_TEST(*value == 1);
}

// A blocking receive waits in the rendezvous channel's lane; a select's
// send claims it and is dropped while a plain sender blocks. The receiver
// must then pair with that sender rather than wait on alone.
BOOST_AUTO_TEST_CASE(DroppedSendLetsASenderThatBlockedMeanwhileThrough) {
  auto [tx, rx] = Bounded<int>(0);
  Sender<int> other = tx;
  RecvResult<int> got;
  std::thread receiver(
      [&, rx = std::move(rx)]() mutable { got = rx.RecvFor(kGenerous); });
  absl::SleepFor(kSettle);  // The receiver waits (parked).
  std::optional<SendResult<int>> sent;
  std::thread sender;
  int value = 1;
  {
    DynamicSelect select;
    select.AddSend(tx, value);
    SelectedOperation op = select.Select();  // Claims the receiver.
    sender = std::thread([&] { sent = other.SendFor(7, kGenerous); });
    absl::SleepFor(kSettle);  // The sender finds no receiver and blocks.
    // Dropped here.
  }
  receiver.join();
  sender.join();
  BOOST_REQUIRE(got.ok());
  BOOST_TEST(*got == 7);
  BOOST_REQUIRE(sent.has_value());
  BOOST_TEST(sent->ok());
  BOOST_TEST(value == 1);
}

// The last sender leaves while a select's send holds the waiting receiver;
// once that operation is dropped, the receiver reports the disconnection.
BOOST_AUTO_TEST_CASE(DisconnectionWhileASelectHoldsTheReceiverReachesIt) {
  auto [tx0, rx] = Bounded<int>(0);
  std::optional<Sender<int>> tx(std::move(tx0));
  RecvResult<int> got;
  std::thread receiver(
      [&, rx = std::move(rx)]() mutable { got = rx.RecvFor(kGenerous); });
  absl::SleepFor(kSettle);
  int value = 1;
  {
    DynamicSelect select;
    select.AddSend(*tx, value);
    SelectedOperation op = select.Select();
    tx.reset();  // The last sender.
  }
  receiver.join();
  BOOST_TEST(got.status() == Status::kDisconnected);
}

// Selects that claim the waiting receiver and drop the operation, over and
// over, never make a receive without a deadline report a timeout, and the
// values sent afterwards all arrive.
BOOST_AUTO_TEST_CASE(DroppedSendsNeverTimeOutAReceiveWithoutDeadline) {
  const int kValues = 20;
  auto [tx, rx] = Bounded<int>(0);
  std::atomic<int> timeouts{0};
  std::vector<int> received;
  std::thread receiver([&, rx = std::move(rx)]() mutable {
    for (;;) {
      RecvResult<int> r = rx.Recv();
      if (r.status() == Status::kTimeout) {
        timeouts.fetch_add(1);
        continue;
      }
      if (!r) return;
      received.push_back(*r);
    }
  });
  const absl::Time until = absl::Now() + absl::Milliseconds(300);
  int drops = 0;
  int value = -1;
  while (absl::Now() < until) {
    DynamicSelect select;
    select.AddSend(tx, value);
    if (select.TrySelect().has_value()) ++drops;  // Dropped at once.
  }
  for (int i = 0; i < kValues; ++i) BOOST_TEST(tx.Send(i).ok());
  { Sender<int> drop = std::move(tx); }
  receiver.join();
  BOOST_TEST(timeouts.load() == 0);
  BOOST_TEST_MESSAGE("claimed and dropped " << drops << " times");
  std::vector<int> expected(kValues);
  for (int i = 0; i < kValues; ++i) expected[i] = i;
  BOOST_TEST(received == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(RendezvousSendTakenByAnArrivingReceiverCompletes) {
  // The select blocks first; the receiver arrives later and takes the
  // value. Completing the selected send reports it as sent.
  auto [tx, rx] = Bounded<Box>(0);
  Box value = std::make_unique<int>(3);
  Box got;
  std::thread receiver([&, rx = std::move(rx)]() mutable {
    absl::SleepFor(kShort);
    RecvResult<Box> r = rx.Recv();
    if (r) got = std::move(*r);
  });
  DynamicSelect select;
  select.AddSend(tx, value);
  SelectedOperation op = select.Select();
  SendResult<Box> s = op.Send(tx);
  receiver.join();
  BOOST_TEST(s.ok());
  BOOST_TEST(value == nullptr);
  BOOST_REQUIRE(got != nullptr);
  BOOST_TEST(*got == 3);
}

// The exception select.h documents: the select blocks first, and a
// receiver arriving while it waits takes the value at once. Dropping the
// selected operation then cannot take the value back — but nothing is
// lost or doubled: the receiver has it, exactly once.
BOOST_AUTO_TEST_CASE(DroppedRendezvousSendAlreadyTakenStaysDelivered) {
  auto [tx, rx] = Bounded<Box>(0);
  Box value = std::make_unique<int>(4);
  int* const cell = value.get();
  RecvResult<Box> got;
  std::thread receiver([&, rx = std::move(rx)]() mutable {
    absl::SleepFor(kShort);  // Let the select block first.
    got = rx.RecvFor(kGenerous);
  });
  {
    DynamicSelect select;
    select.AddSend(tx, value);
    SelectedOperation op = select.Select();
    BOOST_TEST(op.index() == 0u);
    // Dropped here, not completed.
  }
  receiver.join();
  BOOST_REQUIRE(got.ok());
  BOOST_TEST(got->get() == cell);
  BOOST_TEST(value == nullptr);
}

// A sender and a receiver that both select dynamically and drop every
// other operation they are given. A dropped receive leaves the value with
// its sender; a dropped send may already have been taken (see above), which
// shows as the value having moved. Either way each value arrives once.
BOOST_AUTO_TEST_CASE(DroppedRendezvousOperationsRepeatedly) {
  const int kValues = Scaled(2000);
  auto [tx, rx] = Bounded<Box>(0);
  std::vector<int> received;
  std::thread receiver([&, rx = std::move(rx)]() mutable {
    DynamicSelect select;
    select.AddRecv(rx);
    for (bool drop = false;; drop = !drop) {
      SelectedOperation op = select.Select();
      if (drop) continue;
      RecvResult<Box> r = op.Recv(rx);
      if (!r) return;
      received.push_back(**r);
    }
  });
  int failed_sends = 0;
  for (int i = 0; i < kValues; ++i) {
    Box value = std::make_unique<int>(i);
    for (bool drop = (i % 2 == 0); value != nullptr; drop = false) {
      DynamicSelect select;
      select.AddSend(tx, value);
      SelectedOperation op = select.Select();
      if (drop) {
        // Dropped here; the value may have gone already.
        continue;
      }
      if (!op.Send(tx).ok()) ++failed_sends;
    }
  }
  { Sender<Box> gone = std::move(tx); }
  receiver.join();
  BOOST_TEST(failed_sends == 0);
  std::vector<int> expected(kValues);
  for (int i = 0; i < kValues; ++i) expected[i] = i;
  BOOST_TEST(received == expected, boost::test_tools::per_element());
}

// A timed send waits in the rendezvous channel's lane with its value
// offered; a dynamic select chooses the receive, which claims the offer,
// and holds it past the send's deadline. The send waits for the select
// (see Sender::SendFor). If the select completes the receive, the send
// reports success and the value arrives intact; if it drops it, the send,
// sent back to the lock, times out there and hands its value back intact,
// and nothing is left to receive.
BOOST_AUTO_TEST_CASE(SelectedRecvHoldsATimedSendPastItsDeadline) {
  for (const bool complete : {true, false}) {
    BOOST_TEST_CONTEXT("the select completes the receive: " << complete) {
      auto [tx, rx] = Bounded<Box>(0);
      const absl::Time deadline = absl::Now() + absl::Milliseconds(100);
      std::atomic<bool> returned{false};
      Status status = Status::kEmpty;
      int* cell = nullptr;
      Box back;
      std::thread sender([&, tx]() mutable {
        Box value = std::make_unique<int>(6);
        cell = value.get();
        SendResult<Box> s = tx.SendUntil(std::move(value), deadline);
        status = s.status();
        if (!s.ok()) back = std::move(s).value();
        returned.store(true);
      });
      BOOST_TEST(AwaitRecvReady(rx));  // The send waits in the lane.
      RecvResult<Box> r;
      {
        DynamicSelect select;
        select.AddRecv(rx);
        std::optional<SelectedOperation> op = select.SelectFor(kGenerous);
        BOOST_TEST(op.has_value());
        absl::SleepFor(deadline - absl::Now() + kShort);
        BOOST_TEST(!returned.load());  // Past its deadline, held.
        if (complete && op.has_value()) r = op->Recv(rx);
        // Otherwise dropped here.
      }
      sender.join();
      Box& arrived = complete && r.ok() ? *r : back;
      BOOST_TEST(status == (complete ? Status::kOk : Status::kTimeout));
      BOOST_TEST(r.ok() == complete);
      BOOST_REQUIRE(arrived != nullptr);
      BOOST_TEST(arrived.get() == cell);
      BOOST_TEST(*arrived == 6);
      BOOST_TEST(rx.TryRecv().status() == Status::kEmpty);
    }
  }
}

// A blocking send or receive claimed by a select is the select's until its
// caller completes or drops the operation, however long that takes; the
// blocked thread must sleep meanwhile, not spin. Both ways round, and both
// ends of the hold: completed (the value arrives) and dropped (the blocked
// call goes on waiting, and a later partner completes it).
BOOST_AUTO_TEST_CASE(ThreadWhoseWaitASelectHoldsSleeps) {
  for (const bool select_sends : {false, true}) {
    for (const bool complete : {true, false}) {
      BOOST_TEST_CONTEXT("the select sends: "
                         << select_sends << "; it completes: " << complete) {
        auto [tx, rx] = Bounded<Box>(0);
        std::atomic<pid_t> tid{0};
        Box received;
        bool sent = false;
        std::thread blocked([&, tx]() mutable {
          tid.store(ThisThreadId());
          if (select_sends) {
            RecvResult<Box> r = rx.Recv();
            if (r.ok()) received = std::move(*r);
          } else {
            sent = tx.Send(std::make_unique<int>(8)).ok();
          }
        });
        const pid_t blocked_tid = AwaitThreadId(tid);
        Box probe;
        BOOST_TEST_REQUIRE(
            (select_sends ? AwaitSendReady(tx, probe) : AwaitRecvReady(rx)));
        Box offered = std::make_unique<int>(8);
        RecvResult<Box> r;
        {
          DynamicSelect select;
          if (select_sends) {
            select.AddSend(tx, offered);
          } else {
            select.AddRecv(rx);
          }
          std::optional<SelectedOperation> op = select.SelectFor(kGenerous);
          BOOST_TEST_REQUIRE(op.has_value());
          BOOST_TEST(AwaitAsleep(blocked_tid));  // Held, and parked.
          if (complete) {
            if (select_sends) {
              BOOST_TEST(op->Send(tx).ok());
            } else {
              r = op->Recv(rx);
            }
          }
        }
        if (!complete) {
          // Dropped: the blocked call waits on; a plain partner ends it.
          if (select_sends) {
            BOOST_TEST(tx.Send(std::move(offered)).ok());
          } else {
            r = rx.Recv();
          }
        }
        blocked.join();
        if (select_sends) {
          BOOST_REQUIRE(received != nullptr);
          BOOST_TEST(*received == 8);
          BOOST_TEST(offered == nullptr);
        } else {
          BOOST_TEST(sent);
          BOOST_REQUIRE(r.ok());
          BOOST_TEST(**r == 8);
        }
      }
    }
  }
}

// --- Readiness only --------------------------------------------------------

BOOST_AUTO_TEST_CASE_TEMPLATE(ReadyDoesNotConsume, Flavor, BufferedFlavors) {
  auto [atx, arx] = Flavor::template Make<int>();
  auto [btx, brx] = Flavor::template Make<int>();
  BOOST_REQUIRE(btx.Send(9).ok());
  DynamicSelect select;
  select.AddRecv(arx);
  select.AddRecv(brx);
  for (int i = 0; i < 5; ++i) {
    BOOST_TEST(select.Ready() == 1u);
    std::optional<size_t> t = select.TryReady();
    BOOST_TEST((t == size_t{1}));
    std::optional<size_t> f = select.ReadyFor(kShort);
    BOOST_TEST((f == size_t{1}));
    std::optional<size_t> u = select.ReadyUntil(absl::InfinitePast());
    BOOST_TEST((u == size_t{1}));
  }
  BOOST_TEST(brx.Len() == 1u);
  RecvResult<int> r = brx.TryRecv();
  BOOST_TEST((r.ok() && *r == 9));
}

BOOST_AUTO_TEST_CASE(ReadyWaitsTimeOut) {
  auto [tx, rx] = Bounded<int>(1);
  auto [ftx, frx] = Bounded<int>(1);
  BOOST_REQUIRE(ftx.Send(0).ok());  // Full.
  int value = 1;
  DynamicSelect select;
  select.AddRecv(rx);
  select.AddSend(ftx, value);
  BOOST_TEST(!select.TryReady().has_value());
  const absl::Time start = absl::Now();
  BOOST_TEST(!select.ReadyFor(kShort).has_value());
  BOOST_TEST(absl::Now() - start >= kShort);
  BOOST_TEST(!select.ReadyUntil(absl::Now() + kShort).has_value());
  BOOST_TEST(value == 1);
  BOOST_TEST(frx.Len() == 1u);
}

BOOST_AUTO_TEST_CASE(ReadySendOnAFullChannelWaitsForRoom) {
  auto [tx, rx] = Bounded<int>(1);
  BOOST_REQUIRE(tx.Send(0).ok());
  int value = 1;
  DynamicSelect select;
  select.AddSend(tx, value);
  std::vector<int> received;
  std::thread receiver([&, rx = std::move(rx)]() mutable {
    absl::SleepFor(kShort);
    for (int k = 0; k < 2; ++k) {
      // The second keeps the receiver alive until the room is used.
      RecvResult<int> r = rx.RecvFor(kGenerous);
      if (r) received.push_back(*r);
    }
  });
  std::optional<size_t> ready = select.ReadyFor(kGenerous);
  BOOST_TEST((ready == size_t{0}));
  BOOST_TEST(value == 1);  // Readiness sends nothing.
  BOOST_TEST(tx.Send(2).ok());
  receiver.join();
  BOOST_TEST(received == std::vector<int>({0, 2}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(ReadyOnARendezvousRecvWaitsForABlockedSender) {
  auto [tx, rx] = Bounded<int>(0);
  std::atomic<bool> sent{false};
  std::thread sender([&, tx = std::move(tx)]() mutable {
    absl::SleepFor(kShort);
    sent.store(tx.Send(5).ok());
  });
  DynamicSelect select;
  select.AddRecv(rx);
  BOOST_TEST(select.Ready() == 0u);
  // Ready() took nothing: the sender is still blocked.
  absl::SleepFor(kSettle);
  BOOST_TEST(!sent.load());
  BOOST_TEST((select.TryReady() == size_t{0}));
  RecvResult<int> r = rx.Recv();
  sender.join();
  BOOST_TEST((r.ok() && *r == 5));
  BOOST_TEST(sent.load());
}

BOOST_AUTO_TEST_CASE(ReadyOnARendezvousSendWaitsForABlockedReceiver) {
  auto [tx, rx] = Bounded<int>(0);
  std::atomic<bool> received{false};
  std::optional<int> got;
  std::thread receiver([&, rx = std::move(rx)]() mutable {
    absl::SleepFor(kShort);
    RecvResult<int> r = rx.Recv();
    if (r) got = *r;
    received.store(true);
  });
  int value = 1;
  DynamicSelect select;
  select.AddSend(tx, value);
  BOOST_TEST(select.Ready() == 0u);
  absl::SleepFor(kSettle);
  BOOST_TEST(!received.load());
  BOOST_TEST(value == 1);
  BOOST_TEST(tx.Send(6).ok());
  receiver.join();
  BOOST_TEST((got == 6));
}

BOOST_AUTO_TEST_CASE(ReadyReportsDisconnection) {
  auto [tx, rx] = Bounded<int>(0);
  DynamicSelect select;
  select.AddRecv(rx);
  std::thread leaver([tx = std::move(tx)]() mutable {
    absl::SleepFor(kShort);
    Sender<int> gone = std::move(tx);
  });
  BOOST_TEST((select.ReadyFor(kGenerous) == size_t{0}));
  leaver.join();
  BOOST_TEST(rx.TryRecv().status() == Status::kDisconnected);
}

// --- Misuse ------------------------------------------------------------------

void ExpectDiesMentioning(const ChildOutcome& outcome, const char* words) {
  BOOST_TEST(outcome.ended);
  BOOST_TEST(outcome.aborted);
  BOOST_TEST_INFO("stderr: " << outcome.stderr_text);
  BOOST_TEST(outcome.stderr_text.find(words) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(EmptySelectWithNoTimeoutDies) {
  ExpectDiesMentioning(RunInChild([] {
                         DynamicSelect select;
                         (void)select.Select();
                       }),
                       "would block forever");
  ExpectDiesMentioning(RunInChild([] {
                         DynamicSelect select;
                         (void)select.Ready();
                       }),
                       "would block forever");
}

BOOST_AUTO_TEST_CASE(SelectOnlyOnDisabledOperationsDies) {
  ExpectDiesMentioning(RunInChild(
                           [] {
                             Receiver<int> never = Never<int>();
                             DynamicSelect select;
                             select.AddRecv(never);
                             select.AddStop(std::stop_token());
                             (void)select.Select();
                           },
                           absl::Seconds(3)),
                       "would block forever");
  ExpectDiesMentioning(RunInChild(
                           [] {
                             auto [tx, rx] = Unbounded<int>();
                             DynamicSelect select;
                             select.Disable(select.AddRecv(rx));
                             (void)select.Ready();
                           },
                           absl::Seconds(3)),
                       "would block forever");
}

// Disabling counts each operation once: disabling one twice neither makes
// the select think nothing is left nor hides the operation still enabled.
BOOST_AUTO_TEST_CASE(DisablingTwiceLeavesTheOtherOperationsEnabled) {
  auto [tx_a, rx_a] = Unbounded<int>();
  auto [tx_b, rx_b] = Unbounded<int>();
  DynamicSelect select;
  const size_t a = select.AddRecv(rx_a);
  const size_t b = select.AddRecv(rx_b);
  select.Disable(a);
  select.Disable(a);
  BOOST_TEST(!select.TrySelect().has_value());
  BOOST_TEST(tx_a.Send(1).ok());
  BOOST_TEST(tx_b.Send(2).ok());
  SelectedOperation op = select.Select();
  BOOST_TEST(op.index() == b);
  BOOST_TEST(*op.Recv(rx_b) == 2);
}

BOOST_AUTO_TEST_CASE(DisablingAnOperationThatDoesNotExistDies) {
  ExpectDiesMentioning(RunInChild([] {
                         auto [tx, rx] = Unbounded<int>();
                         DynamicSelect select;
                         select.AddRecv(rx);
                         select.Disable(1);
                       }),
                       "no such operation");
}

BOOST_AUTO_TEST_CASE(EmptySelectWithATimeoutReturnsNothing) {
  DynamicSelect select;
  BOOST_TEST(!select.TrySelect().has_value());
  BOOST_TEST(!select.TryReady().has_value());
  const absl::Time start = absl::Now();
  BOOST_TEST(!select.SelectFor(kShort).has_value());
  BOOST_TEST(!select.ReadyFor(kShort).has_value());
  BOOST_TEST(absl::Now() - start >= 2 * kShort);
}

BOOST_AUTO_TEST_CASE(CompletingWithAnotherReceiverDies) {
  ExpectDiesMentioning(RunInChild([] {
                         auto [atx, arx] = Unbounded<int>();
                         auto [btx, brx] = Unbounded<int>();
                         (void)atx.Send(1);
                         DynamicSelect select;
                         select.AddRecv(arx);
                         select.AddRecv(brx);
                         SelectedOperation op = select.Select();
                         (void)op.Recv(brx);  // It chose arx.
                       }),
                       "not a receive from this receiver");
}

BOOST_AUTO_TEST_CASE(CompletingASendAsARecvDies) {
  ExpectDiesMentioning(RunInChild([] {
                         auto [tx, rx] = Unbounded<int>();
                         int value = 1;
                         DynamicSelect select;
                         select.AddSend(tx, value);
                         SelectedOperation op = select.Select();
                         (void)op.Recv(rx);
                       }),
                       "not a receive from this receiver");
  ExpectDiesMentioning(RunInChild([] {
                         auto [tx, rx] = Unbounded<int>();
                         auto [otx, orx] = Unbounded<int>();
                         (void)tx.Send(1);
                         DynamicSelect select;
                         select.AddRecv(rx);
                         SelectedOperation op = select.Select();
                         (void)op.Send(otx);
                       }),
                       "not a send on this sender");
}

BOOST_AUTO_TEST_CASE(CompletingWithAnotherSenderDies) {
  ExpectDiesMentioning(RunInChild([] {
                         auto [tx, rx] = Unbounded<int>();
                         Sender<int> copy = tx;  // Same channel, other handle.
                         int value = 1;
                         DynamicSelect select;
                         select.AddSend(tx, value);
                         SelectedOperation op = select.Select();
                         (void)op.Send(copy);
                       }),
                       "not a send on this sender");
}

BOOST_AUTO_TEST_CASE(CompletingTwiceDies) {
  ExpectDiesMentioning(RunInChild([] {
                         auto [tx, rx] = Unbounded<int>();
                         (void)tx.Send(1);
                         (void)tx.Send(2);
                         DynamicSelect select;
                         select.AddRecv(rx);
                         SelectedOperation op = select.Select();
                         (void)op.Recv(rx);
                         (void)op.Recv(rx);
                       }),
                       "completed twice");
}

}  // namespace
}  // namespace chan::testing
