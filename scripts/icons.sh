#!/usr/bin/env bash
# Renders the Zendesk app logos from the project's SVG source (assets/brand/logo.svg) into
# zendesk-app/assets/: logo.png 320x320 and logo-small.png 128x128. The PNGs are committed; run
# this after editing the SVG. Needs rsvg-convert (Debian librsvg2-bin, installed by scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
src=assets/brand/logo.svg
out=zendesk-app/assets
rsvg-convert --width 320 --height 320 --format png "$src" --output "$out/logo.png"
rsvg-convert --width 128 --height 128 --format png "$src" --output "$out/logo-small.png"
printf 'icons: %s (%s bytes), %s (%s bytes)\n' \
  "$out/logo.png" "$(stat -c %s "$out/logo.png")" "$out/logo-small.png" "$(stat -c %s "$out/logo-small.png")"
