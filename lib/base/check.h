// Misuse checks that stay on in every build mode: a program that uses a
// moved-from handle or selects over nothing stops with a message that names
// the call, instead of crashing somewhere later.
#ifndef CHAN_LIB_BASE_CHECK_H_
#define CHAN_LIB_BASE_CHECK_H_

namespace chan::internal {

// Prints "chan: <message>" to stderr and aborts.
[[noreturn]] void Die(const char* message);

// Dies with "chan: <operation> called on a moved-from handle".
[[noreturn]] void DieMovedFrom(const char* operation);

}  // namespace chan::internal

// Dies with `message` unless `condition` holds. The condition is expected
// to hold, so the branch costs nothing measurable on the hot path.
#define CHAN_CHECK(condition, message)                                     \
  do {                                                                     \
    if (__builtin_expect(!(condition), 0)) ::chan::internal::Die(message); \
  } while (false)

#endif  // CHAN_LIB_BASE_CHECK_H_
