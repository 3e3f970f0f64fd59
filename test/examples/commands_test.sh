#!/usr/bin/env bash
# //examples:commands prints the ten hellos its worker handled, in the order
# they were sent, then "quit".
set -euo pipefail
commands=$1

diff -u - <("$commands") <<'END'
hello, Ada
hello, Barbara
hello, Claude
hello, Dennis
hello, Edsger
hello, Frances
hello, Grace
hello, Hedy
hello, Ivan
hello, John
quit
END
echo "PASS"
