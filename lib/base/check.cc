#include "lib/base/check.h"

#include <cstdio>
#include <cstdlib>

namespace chan::internal {

void Die(const char* message) {
  std::fprintf(stderr, "chan: %s\n", message);
  std::fflush(stderr);
  std::abort();
}

void DieMovedFrom(const char* operation) {
  char message[256];
  std::snprintf(message, sizeof message,
                "chan::%s called on a moved-from handle", operation);
  Die(message);
}

}  // namespace chan::internal
