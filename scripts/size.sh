#!/usr/bin/env bash
# Size benchmark: the gzip -9 bytes of each file of the built app, the critical path (what the
# browser fetches before the first screen is interactive: the page, its CSS, the JS glue, the wasm)
# apart from the rest, each against its budget; the wasm's code, data and other sections; then the
# wasm's code by crate. It prints figures: a budget exceeded says OVER and does not fail the script.
#
#   scripts/size.sh [dist]
#
# What is on the critical path is read from the built index.html (scripts/critical-path.mjs).
# Zendesk's SDK, which the page loads from Zendesk, is named but not counted: it is not ours to ship.
set -euo pipefail
dist=${1:-dist}
here=$(dirname "$0")
root=$(cd "$here/.." && pwd)
critical_budget=200000
total_budget=330000
# The cargo artifact before the split, wasm-bindgen and wasm-opt, with its function names: the
# breakdown by crate falls back to it when the split modules are missing.
artifact=target/wasm32-unknown-unknown/release/agent-adapter.wasm

row() { printf '  %-44s %10s %10s%s\n' "$1" "$2" "$3" "${4:-}"; }
verdict() { (($1 <= $2)) && echo within || echo OVER; }

list=$(node "$here/critical-path.mjs" "$dist")
total_raw=0 total_gz=0
for section in critical later; do
  if [[ $section == critical ]]; then
    echo "critical path: fetched before the first screen is interactive"
  else
    echo "after first paint: not fetched before the first screen (later, or by another page)"
  fi
  row file raw gzip-9
  raw_sum=0 gz_sum=0
  while IFS=$'\t' read -r kind path; do
    [[ $kind == "$section" ]] || continue
    f="$dist/$path"
    raw=$(wc -c <"$f")
    gz=$(gzip -9 -c "$f" | wc -c)
    raw_sum=$((raw_sum + raw)) gz_sum=$((gz_sum + gz))
    row "$path" "$raw" "$gz"
    if [[ $path == *.wasm ]]; then
      node "$here/wasm-sections.mjs" "$f" | while read -r _ part raw gz; do
        printf '    %-42s %10s %10s\n' "wasm $part" "$raw" "$gz"
      done
    fi
  done <<<"$list"
  if [[ $section == critical ]]; then
    while IFS=$'\t' read -r kind url; do
      if [[ $kind == external ]]; then printf '  %s  (from another host: not counted)\n' "$url"; fi
    done <<<"$list"
    row "critical path total" "$raw_sum" "$gz_sum" \
      "  (budget $critical_budget bytes: $(verdict "$gz_sum" "$critical_budget"))"
  else
    row "after first paint total" "$raw_sum" "$gz_sum"
  fi
  total_raw=$((total_raw + raw_sum)) total_gz=$((total_gz + gz_sum))
done
printf '%-46s %10s %10s%s\n' "all files total" "$total_raw" "$total_gz" \
  "  (budget $total_budget bytes: $(verdict "$total_gz" "$total_budget"))"

echo
# The split (scripts/split.mjs) keeps both modules with their function names: the main module
# (the critical path's wasm) and the session's, each broken down by crate.
split_dir=target/split/release
main_named=$(ls "$root/$split_dir"/agent-adapter-*.wasm 2>/dev/null | head -n 1 || true)
session_named=$root/$split_dir/split_session.wasm
if [[ -n $main_named && -f $session_named ]]; then
  # trunk writes dist/ after the split: a split newer than dist/ is of a build not shipped there.
  for f in "$dist"/*.wasm; do
    if [[ -e $f && $session_named -nt $f ]]; then
      echo "note: $split_dir is newer than $f: the breakdown is of a build dist/ does not hold"
      break
    fi
  done
  echo "critical path: the main module"
  (cd "$root" && node scripts/wasm-crates.mjs "${main_named#"$root"/}") ||
    echo "(no breakdown by crate: see the message above)"
  echo
  echo "after first paint: the session module"
  (cd "$root" && node scripts/wasm-crates.mjs "$split_dir/split_session.wasm") ||
    echo "(no breakdown by crate: see the message above)"
elif [[ -f $root/$artifact ]]; then
  echo "note: no split modules under $split_dir (trunk build --release makes them): the breakdown is of the whole wasm"
  (cd "$root" && node scripts/wasm-crates.mjs "$artifact") ||
    echo "(no breakdown by crate: see the message above)"
else
  echo "wasm code by crate: no split modules under $split_dir and no cargo artifact at $artifact."
  echo "Produce them with trunk build --release, then run this script again."
fi
