#!/usr/bin/env bash
# Installs the Debian packages that building and testing chan needs.
#
# Idempotent: packages already present are left alone, and `apt-get update`
# runs only when something is missing. Runs as root, or through sudo.
#
#   tools/setup.sh          the build: Bazel, compilers, Abseil, Boost.Test,
#                           Google Benchmark
#   tools/setup.sh --peers  also the peers of the benchmark comparison
#                           (Go, Rust's crossbeam-channel)
set -euo pipefail

packages=(
  bazel-bootstrap   # Bazel 4.2.3, the build
  g++               # the default compiler
  clang             # the second compiler (ThreadSanitizer, AddressSanitizer)
  libabsl-dev       # time, containers, formatting, flags
  libboost-test-dev # the test framework
  libbenchmark-dev  # bench/
  python3           # .ci/run reads Bazel's test results with it
)
if [[ "${1:-}" == "--peers" ]]; then
  packages+=(
    golang-go                     # Go: the peer program bench/peers/go
    cargo                         # Rust: the peer program bench/peers/rust
    librust-crossbeam-channel-dev # crossbeam-channel, built offline
    python3-matplotlib            # the chart of bench/compare.py
  )
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
      grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo=()
if ((EUID != 0)); then
  sudo=(sudo)
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "setup: done"
