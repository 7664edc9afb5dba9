#!/usr/bin/env bash
# The domain crate must stay pure Rust: no web crate in its sources or its dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
web='leptos|web_sys|web-sys|wasm_bindgen|wasm-bindgen|js_sys|js-sys|gloo'
if grep -rnE "\b($web)\b" --include='*.rs' src/domain; then
  echo "domain: the lines above import a web crate; domain must stay pure" >&2
  exit 1
fi
if cargo tree -p domain --edges normal --prefix none --target all 2>/dev/null | grep -E "^($web) "; then
  echo "domain: depends on a web crate (above); domain must stay pure" >&2
  exit 1
fi
echo "domain: no web crate imported"
