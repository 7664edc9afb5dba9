#!/usr/bin/env bash
# Mutation testing of the rules: cargo-mutants changes the `domain` crate's code one small edit at a
# time (an operator swapped, a `!` deleted, a function body replaced by a default) and runs its tests
# against each; a mutant the tests still pass on ("missed") is a rule that can break unnoticed.
# Not part of `make test` (it takes long). Safe to run twice.
#
#   scripts/mutants.sh                          every file below, one after the other
#   scripts/mutants.sh rules.rs settings.rs     only these (names under src/domain/)
#
# Prints caught / missed / unviable / timeout per file and the share caught of the viable mutants
# (caught + missed + timeout). Each file's full results: $MUTANTS_DIR/<file>/mutants.out/
# (missed.txt lists the survivors); MUTANTS_DIR is target/mutants unless set. Runs one build at a time at the lowest priority: it copies the
# tree to a temporary directory and builds there, so it does not hold the build lock; never start
# two runs at once.
set -uo pipefail
cd "$(dirname "$0")/.."

version=27.1.0
if ! cargo mutants --version 2>/dev/null | grep -qw "$version"; then
  echo "mutants: installing cargo-mutants $version (cargo install, a few minutes, once)"
  flock /tmp/build.lock nice -n 19 cargo install cargo-mutants --version "$version" --locked --quiet ||
    exit 1
fi

files=("$@")
if ((${#files[@]} == 0)); then
  files=(dial.rs rules.rs settings.rs batch.rs crm.rs fields.rs comments.rs)
fi

out_root=${MUTANTS_DIR:-$PWD/target/mutants}
# The mutants' builds share one target directory of their own, so the dependencies are built once
# for every file, not once per run (the default is a fresh one inside each temporary copy).
export CARGO_TARGET_DIR=$out_root/build

summary=()
for f in "${files[@]}"; do
  f=${f#src/domain/}
  if [[ ! -f src/domain/$f ]]; then
    echo "mutants: no such file src/domain/$f" >&2
    exit 1
  fi
  out=$out_root/${f%.rs}
  mkdir -p "$out"
  echo "mutants: src/domain/$f ($(date -u +%H:%M) UTC)"
  nice -n 19 cargo mutants -p domain --file "src/domain/$f" --jobs 1 --output "$out" \
    --no-shuffle --colors never >"$out/log.txt" 2>&1
  status=$?
  # Exit codes: 0 all caught, 2 some missed, 3 some timed out; anything else is a failure of the run
  # itself (1 usage, 4 the tests fail without any mutation).
  if ((status != 0 && status != 2 && status != 3)); then
    echo "mutants: cargo mutants failed on src/domain/$f (exit $status); see $out/log.txt" >&2
    tail -20 "$out/log.txt" >&2
    exit 1
  fi
  count() { [[ -s $out/mutants.out/$1.txt ]] && grep -c . "$out/mutants.out/$1.txt" || echo 0; }
  caught=$(count caught) missed=$(count missed) unviable=$(count unviable) timeout=$(count timeout)
  viable=$((caught + missed + timeout))
  pct=$(awk -v c="$caught" -v v="$viable" 'BEGIN { printf v ? "%.0f" : "-", v ? 100 * c / v : 0 }')
  line=$(printf '%-12s caught %3d  missed %3d  unviable %3d  timeout %3d  caught of viable %s%%' \
    "$f" "$caught" "$missed" "$unviable" "$timeout" "$pct")
  echo "$line"
  if ((missed)); then sed 's/^/  missed: /' "$out/mutants.out/missed.txt"; fi
  summary+=("$line")
done

echo
echo "mutants: summary"
printf '%s\n' "${summary[@]}"
