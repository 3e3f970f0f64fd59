// The concurrent prime sieve: a generator thread sends 2, 3, 4, ... down a
// daisy chain of filter threads, one per prime found so far; each filter
// passes on the numbers its prime does not divide. Whatever leaves the end
// of the chain is the next prime, which gets a filter of its own.
//
// The channels are rendezvous channels, like Go's unbuffered ones: a number
// moves only when the next thread takes it. Shutting down runs the chain
// backwards: closing the last channel makes the last filter's send fail, so
// it returns and drops its own receiver, which makes the filter before it
// fail, and so on back to the generator.
//
//   bazel run //examples:sieve -- --n=100
#include <cstdio>
#include <thread>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "chan/chan.h"

ABSL_FLAG(int, n, 25, "how many primes to print");

// Sends 2, 3, 4, ... until the receiver is gone.
void Generate(chan::Sender<int> out) {
  int i = 2;
  while (out.Send(i)) ++i;
}

// Passes on the numbers `prime` does not divide, until either side is gone.
void Filter(chan::Receiver<int> in, chan::Sender<int> out, int prime) {
  for (int i : in) {
    if (i % prime != 0 && !out.Send(i)) return;
  }
}

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int n = absl::GetFlag(FLAGS_n);

  std::vector<std::thread> threads;
  auto [numbers, first] = chan::Bounded<int>(0);
  threads.emplace_back(Generate, std::move(numbers));
  chan::Receiver<int> last = std::move(first);  // The end of the chain.
  for (int found = 0; found < n; ++found) {
    const int prime = *last.Recv();
    std::printf("%d\n", prime);
    // Extend the chain with a filter for this prime.
    auto [tx, rx] = chan::Bounded<int>(0);
    threads.emplace_back(Filter, std::move(last), std::move(tx), prime);
    last = std::move(rx);
  }

  last.Close();
  for (std::thread& t : threads) t.join();
  return 0;
}
