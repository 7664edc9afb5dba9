#!/usr/bin/env bash
# Every check and test of the project, in order; stops at the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
WASM=wasm32-unknown-unknown
# The crates that make up the adapter (the sandbox, native only, is checked natively).
APP=(-p agent-adapter -p domain)

step() { printf '\n==> %s\n' "$*"; }

step "format"
cargo fmt --all --check

step "domain imports no web crate"
scripts/check-domain-purity.sh

step "clippy (native)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "clippy ($WASM)"
cargo clippy "${APP[@]}" --all-targets --target "$WASM" --locked -- -D warnings

step "native tests"
cargo test --workspace --locked

step "browser tests (headless Chromium)"
cargo test -p agent-adapter --target "$WASM" --test web --locked

step "release build"
trunk build --release

step "size benchmark"
scripts/size.sh dist
