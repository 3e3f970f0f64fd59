// A worker thread that owns a channel of commands: the usual way to give a
// thread work. Each command is a struct, and the channel carries any of them
// as a std::variant; the worker handles them one at a time, in order.
#include <cstdio>
#include <string>
#include <thread>
#include <variant>

#include "chan/chan.h"

struct SayHello {
  std::string name;
};
struct Quit {};
using Command = std::variant<SayHello, Quit>;

int main() {
  auto [commands, inbox] = chan::Unbounded<Command>();

  // The worker takes the receiver with it: from now on it alone receives.
  std::thread worker([inbox = std::move(inbox)]() mutable {
    for (Command& command : inbox) {
      if (const auto* hello = std::get_if<SayHello>(&command)) {
        std::printf("hello, %s\n", hello->name.c_str());
      } else if (std::holds_alternative<Quit>(command)) {
        std::printf("quit\n");
        return;
      }
    }
  });

  const char* names[] = {"Ada",     "Barbara", "Claude", "Dennis", "Edsger",
                         "Frances", "Grace",   "Hedy",   "Ivan",   "John"};
  // A send fails only if the worker has gone, which it does only on Quit.
  bool delivered = true;
  for (const char* name : names) {
    delivered &= commands.Send(SayHello{name}).ok();
  }
  delivered &= commands.Send(Quit{}).ok();
  worker.join();
  return delivered ? 0 : 1;
}
