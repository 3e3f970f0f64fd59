#!/usr/bin/env bash
# //examples:sieve prints the first N primes, one a line.
set -euo pipefail
sieve=$1

primes=$("$sieve" | tr '\n' ' ')
expected="2 3 5 7 11 13 17 19 23 29 31 37 41 43 47 53 59 61 67 71 73 79 83 89 97 "
if [[ "$primes" != "$expected" ]]; then
  echo "FAIL: the first 25 primes: got '$primes'" >&2
  exit 1
fi

# A longer chain: the 100th prime is 541, and the whole chain shuts down.
out=$("$sieve" --n=100)
if [[ $(wc -l <<<"$out") -ne 100 || $(tail -n 1 <<<"$out") != 541 ]]; then
  echo "FAIL: --n=100 printed $(wc -l <<<"$out") lines ending in" \
    "$(tail -n 1 <<<"$out")" >&2
  exit 1
fi

# No primes at all: nothing printed, nothing left running.
if [[ -n $("$sieve" --n=0) ]]; then
  echo "FAIL: --n=0 printed something" >&2
  exit 1
fi
echo "PASS"
