// Go's heartbeat idiom: one loop waits on everything at once — values from
// a producer, a ticker, a stop token and an overall timeout — and so can say
// that it is alive even while no value comes.
//
//   bazel run //examples:heartbeat                  # ends on stop
//   bazel run //examples:heartbeat -- --values=20   # ends on the timeout
#include <cstdio>
#include <optional>
#include <stop_token>
#include <thread>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "chan/chan.h"

ABSL_FLAG(int, values, 5,
          "how many values the producer sends before it requests stop");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(1),
          "how long the loop runs at most");

constexpr absl::Duration kInterval = absl::Milliseconds(150);   // values
constexpr absl::Duration kHeartbeat = absl::Milliseconds(100);  // ticks

// Sends 1, 2, ... n, one every kInterval, then requests stop: there is
// nothing more. Returns early if someone else requests stop first.
void Produce(int n, chan::Sender<int> out, std::stop_source stop) {
  const std::stop_token token = stop.get_token();
  bool stopped = false;
  for (int i = 1; i <= n; ++i) {
    // Sleep, but wake up for stop.
    chan::Select()
        .Stop(token, [&] { stopped = true; })
        .Timeout(kInterval, [] {})
        .Wait();
    if (stopped) return;
    // Send, but give up on stop: the channel is a rendezvous, so the send
    // waits for the loop to take the value.
    chan::Select()
        .Stop(token, [&] { stopped = true; })
        .Send(out, i, [] {})
        .Wait();
    if (stopped) return;
  }
  stop.request_stop();
}

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);

  std::stop_source stop;
  auto [values_tx, values_rx] = chan::Bounded<int>(0);
  std::thread producer(Produce, absl::GetFlag(FLAGS_values),
                       std::move(values_tx), stop);

  const absl::Time start = absl::Now();
  const absl::Time deadline = start + absl::GetFlag(FLAGS_timeout);
  const auto seconds = [&] {
    return absl::ToDoubleSeconds(absl::Now() - start);
  };
  chan::Receiver<absl::Time> heartbeat = chan::Tick(kHeartbeat);
  chan::Receiver<int>* values = &values_rx;  // Null once the producer is gone.
  int received = 0;
  int beats = 0;
  const char* ended = nullptr;
  while (ended == nullptr) {
    chan::Select()
        .Recv(values,
              [&](std::optional<int> value) {
                if (!value) {
                  // Disconnected: the case would be ready from now on, so
                  // turn it off, as Go does by setting a channel to nil.
                  values = nullptr;
                  return;
                }
                ++received;
                std::printf("%5.2fs  value %d\n", seconds(), *value);
              })
        .Recv(heartbeat,
              [&](std::optional<absl::Time>) {
                std::printf("%5.2fs  heartbeat %d\n", seconds(), ++beats);
              })
        .Stop(stop.get_token(), [&] { ended = "stopped"; })
        .Deadline(deadline, [&] { ended = "timed out"; })
        .Wait();
  }

  stop.request_stop();  // For the producer, if the loop timed out.
  producer.join();
  std::printf("%5.2fs  %s after %d values and %d heartbeats\n", seconds(),
              ended, received, beats);
  return 0;
}
