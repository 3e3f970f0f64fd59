#!/usr/bin/env bash
# //examples:dispatch hands out jobs 1..20 and each worker squares its
# input: every job is dispatched once, done once, by the worker it went to,
# and the total is the sum of the squares, 2870.
set -euo pipefail
dispatch=$1

out=$("$dispatch")
fail() {
  echo "FAIL: $*" >&2
  echo "$out" >&2
  exit 1
}

grep -qx "total 2870, expected 2870" <<<"$out" || fail "the total"

# "job N -> worker W" and "worker W did job N: N*N" name the same pairs.
sent=$(sed -n 's/^job *\([0-9]*\) -> worker \([0-9]*\)$/\1 \2/p' <<<"$out" |
  sort -n)
done=$(sed -n 's/^worker \([0-9]*\) did job *\([0-9]*\): \([0-9]*\)$/\2 \1 \3/p' \
  <<<"$out" | sort -n)
[[ $(cut -d' ' -f1 <<<"$sent" | tr '\n' ' ') == "$(seq -s' ' 1 20) " ]] ||
  fail "jobs dispatched: $(tr '\n' ' ' <<<"$sent")"
[[ "$(cut -d' ' -f1,2 <<<"$done")" == "$sent" ]] ||
  fail "jobs done differ from jobs dispatched"
awk '$3 != $1 * $1 { exit 1 }' <<<"$done" || fail "a result is not a square"

# The per-worker tallies add up to the 20 jobs.
jobs=$(awk '/^worker [0-9]+: [0-9]+ jobs$/ { n += $3 } END { print n }' \
  <<<"$out")
[[ "$jobs" == 20 ]] || fail "the workers' tallies add up to $jobs"
echo "PASS"
