#!/usr/bin/env bash
# //examples:heartbeat prints the producer's values and heartbeats between
# them, and ends on stop when the producer is done, or on its timeout.
set -euo pipefail
heartbeat=$1

fail() {
  echo "FAIL: $*" >&2
  echo "$out" >&2
  exit 1
}

# Ends on stop: all five values, in order, and at least one heartbeat. The
# timeout is generous so that a slow machine still ends on stop.
out=$("$heartbeat" --timeout=20s)
values=$(sed -n 's/^ *[0-9.]*s  value \([0-9]*\)$/\1/p' <<<"$out" |
  tr '\n' ' ')
[[ "$values" == "1 2 3 4 5 " ]] || fail "values: $values"
grep -q "heartbeat 1$" <<<"$out" || fail "no heartbeat"
grep -q "stopped after 5 values and [0-9]* heartbeats$" <<<"$out" ||
  fail "did not end on stop"

# Ends on the timeout, long before the producer would be done.
out=$("$heartbeat" --values=1000 --timeout=500ms)
grep -q "timed out after [0-9]* values and [0-9]* heartbeats$" <<<"$out" ||
  fail "did not end on the timeout"
grep -q "heartbeat 1$" <<<"$out" || fail "no heartbeat"
echo "PASS"
