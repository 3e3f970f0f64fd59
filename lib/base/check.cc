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
  std::fprintf(stderr, "chan: chan::%s called on a moved-from handle\n",
               operation);
  std::fflush(stderr);
  std::abort();
}

}  // namespace chan::internal
