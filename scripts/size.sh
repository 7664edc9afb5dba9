#!/usr/bin/env bash
# Size benchmark: the gzip -9 bytes of the built app (wasm, js, css) and their total.
set -euo pipefail
dist=${1:-dist}
budget=$((200 * 1024))
total=0
printf '%-8s %10s %10s\n' kind raw gzip-9
for kind in wasm js css; do
  raw=0 gz=0
  for f in "$dist"/*."$kind"; do
    [[ -e "$f" ]] || continue
    raw=$((raw + $(wc -c <"$f")))
    gz=$((gz + $(gzip -9 -c "$f" | wc -c)))
  done
  total=$((total + gz))
  printf '%-8s %10d %10d\n' "$kind" "$raw" "$gz"
  if [[ $kind == wasm ]]; then
    for f in "$dist"/*.wasm; do node "$(dirname "$0")/wasm-sections.mjs" "$f"; done
  fi
done
printf '%-8s %10s %10d  (budget %d bytes: %s)\n' total "" "$total" "$budget" \
  "$( ((total <= budget)) && echo within || echo OVER)"
