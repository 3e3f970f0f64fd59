#!/usr/bin/env bash
# Builds the peer benchmark programs that chan's benchmarks are compared
# against, fully offline:
#   go/bin/peers                  Go's channels
#   rust/target/release/peers     crossbeam-channel and std::sync::mpsc
# Their toolchains and crates come from Debian: tools/setup.sh --peers.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
registry=/usr/share/cargo/registry

missing=()
command -v go >/dev/null 2>&1 || missing+=("go (Debian package golang-go)")
command -v cargo >/dev/null 2>&1 || missing+=("cargo (Debian package cargo)")
if ! compgen -G "$registry/crossbeam-channel-*" >/dev/null; then
  missing+=("crossbeam-channel under $registry (Debian package librust-crossbeam-channel-dev)")
fi
if ((${#missing[@]} > 0)); then
  echo "build.sh: missing:" >&2
  printf '  %s\n' "${missing[@]}" >&2
  echo "build.sh: install them with: tools/setup.sh --peers" >&2
  exit 1
fi

run() {
  echo "+ $*"
  "$@"
}

echo "build.sh: Go: $(go version)"
cd "$here/go"
echo "+ cd $PWD"
# No dependencies: never look for a newer toolchain or a module proxy.
run env GOTOOLCHAIN=local GOPROXY=off go build -o bin/peers .

echo "build.sh: Rust: $(cargo --version), $(rustc --version 2>/dev/null || echo 'rustc ?')"
cd "$here/rust"
echo "+ cd $PWD"
# .cargo/config.toml here replaces crates.io with Debian's $registry.
run cargo build --release --offline

echo "build.sh: built"
echo "  $here/go/bin/peers"
echo "  $here/rust/target/release/peers"
