#!/usr/bin/env bash
# Fuzzing ("Trust and failure"): each target of fuzz/ gets RUNS executions (default 10 million)
# under cargo-fuzz (libFuzzer, nightly for the fuzz crate only), and the counts are printed.
# Not part of `make test` (it takes tens of minutes); `make test` replays the committed corpora
# (tests/fuzz_corpus.rs). New inputs found go to target/fuzz-corpus/, crashes to fuzz/artifacts/.
#
#   scripts/fuzz.sh                 # every target, 10^7 runs each
#   RUNS=100000 scripts/fuzz.sh dial
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-10000000}
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(phone dial platform_event zaf_message outbox_load)

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

status=0
for t in "${targets[@]}"; do
  work=target/fuzz-corpus/$t
  mkdir -p "$work"
  cp -n fuzz/corpus/"$t"/* "$work"/ 2>/dev/null || true
  log=target/fuzz-$t.log
  # No sanitizer: the code under test is safe Rust, where a panic is the failure to find.
  # The dial screen's target spends a third of its time tracing the comparisons inside the phone
  # library's regular expressions (measured with perf): it is built without compare tracing, which
  # about doubles its executions a second; edge coverage still guides it through the screen.
  extra=()
  [[ $t == dial ]] && extra=(--no-trace-compares)
  if cargo +nightly fuzz run --sanitizer none --release "${extra[@]}" "$t" "$work" -- \
      -runs="$RUNS" -max_len=4096 -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
    outcome=ok
  else
    outcome="CRASH (see $log and fuzz/artifacts/$t)"
    status=1
  fi
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo '?')
  secs=$(grep -oE 'Done [0-9]+ runs in [0-9]+ second' "$log" | grep -oE 'in [0-9]+' | grep -oE '[0-9]+' || echo '?')
  printf 'fuzz %-15s %12s executions in %5s s: %s\n' "$t" "$runs" "$secs" "$outcome"
done
exit $status
