// Two threads take turns through chan's parking primitive: each parks until
// the other unparks it. The turn counter is a plain int; the hand-off alone
// orders the two threads' accesses to it.
#include <cstdio>
#include <thread>

#include "chan/park.h"

int main() {
  constexpr int kTurns = 5;
  chan::Parker ping;
  chan::Parker pong;
  chan::Unparker wake_ping = ping.unparker();
  chan::Unparker wake_pong = pong.unparker();
  int turn = 0;

  std::thread other([&] {
    for (int i = 0; i < kTurns; ++i) {
      pong.Park();
      std::printf("pong %d\n", ++turn);
      wake_ping.Unpark();
    }
  });
  for (int i = 0; i < kTurns; ++i) {
    std::printf("ping %d\n", ++turn);
    wake_pong.Unpark();
    ping.Park();
  }
  other.join();
  return turn == 2 * kTurns ? 0 : 1;
}
