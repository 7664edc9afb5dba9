#!/usr/bin/env bash
# Every check and test of the project, in order; stops at the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
WASM=wasm32-unknown-unknown

step() { printf '\n==> %s\n' "$*"; }

step "format"
cargo fmt --all --check

step "domain imports no web crate"
scripts/check-domain-purity.sh

step "clippy (native)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "clippy ($WASM)"
# The app with its tests; domain as a library (its property tests are native only).
cargo clippy -p agent-adapter --all-targets --target "$WASM" --locked -- -D warnings
cargo clippy -p domain --lib --target "$WASM" --locked -- -D warnings
# As the app's wasm builds it: without the phone metadata built in.
cargo clippy -p domain --lib --no-default-features --target "$WASM" --locked -- -D warnings

step "native tests"
cargo test --workspace --locked

step "request counts and fault storm (Zendesk requests per call, reload and 429 safety)"
cargo test -p agent-adapter --test connections --locked -- --nocapture --test-threads 1

step "batcher benchmark"
cargo run --release -p domain --example batch_bench --locked

step "browser tests (headless Chromium)"
cargo test -p agent-adapter --target "$WASM" --test web --test zaf --locked

step "release build"
trunk build --release

step "zendesk app package"
scripts/package.sh --dist dist
cargo run -q -p package-check --locked -- target/package/agent-adapter-zendesk-*.zip
cargo build -p sandbox --locked
node --test tests/package/zcli.test.mjs

step "end-to-end: the adapter in the sandbox workspace (headless Chromium)"
cargo build -p sandbox --locked
node --test --test-timeout=300000 tests/e2e/

step "UI benchmarks: cold start and keypress to paint (headless Chromium)"
node tests/e2e/bench.mjs

step "phone library memory benchmark: its heap by step, on the metadata the app fetches"
cargo run -p domain --no-default-features --example phone_memory --locked -- target/phone/phone-metadata.dat

step "click-to-call lookup benchmark: 100 ms on Zendesk, contact and tickets shown (headless Chromium)"
node tests/e2e/bench_lookup.mjs

step "requests per call benchmark (sandbox)"
cargo run -p sandbox --example requests_per_call --locked

step "requests per session event benchmark (the adapter in the sandbox, headless Chromium)"
node tests/e2e/bench_events.mjs

step "Recent benchmark: 200 calls in the history, requests and time to paint (the adapter in the sandbox, headless Chromium)"
node tests/e2e/bench_history.mjs

step "chat benchmark: a customer's message to its frame, a 500-message chat scrolled (the adapter in the sandbox, headless Chromium)"
node tests/e2e/bench_chat.mjs

step "size benchmark"
scripts/size.sh dist
