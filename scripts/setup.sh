#!/usr/bin/env bash
# Installs what the project needs and is missing, and says what it installs. Safe to run twice.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup: %s\n' "$*"; }

lock_version() { # the version of a package in Cargo.lock
  awk -v name="$1" '$0 == "name = \"" name "\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

# Debian packages: headless Chromium + chromedriver for browser tests, zip for packaging,
# rsvg-convert to render the app logos (scripts/icons.sh).
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
command -v zip >/dev/null || missing+=(zip)
command -v rsvg-convert >/dev/null || missing+=(librsvg2-bin)
command -v npm >/dev/null || missing+=(nodejs npm)
if ((${#missing[@]})); then
  say "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding Rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# cargo install <crate> <binary> <version>, unless that version is already there.
install_crate() {
  local crate=$1 bin=$2 version=$3
  if "$bin" --version 2>/dev/null | grep -qw "$version"; then
    return
  fi
  say "installing $crate $version (a few minutes, once)"
  # --locked first: the dependency versions the crate was released with. When the registry no
  # longer has one of them (yanked), cargo refuses with "failed to select a version for the
  # requirement ..."; then resolve afresh. Cargo's error is kept quiet and explained in one line,
  # so that it does not read as the end of the setup.
  local errors
  errors=$(mktemp)
  if cargo install "$crate" --version "$version" --locked --quiet 2>"$errors"; then
    rm -f "$errors"
    return
  fi
  local why="the locked install failed"
  if grep -q 'failed to select a version' "$errors"; then
    why="the locked install failed (a locked dependency is no longer on the registry)"
  fi
  say "$why; retrying with fresh resolution. Cargo said: $(grep -m1 '^error' "$errors" || head -n1 "$errors")"
  rm -f "$errors"
  cargo install "$crate" --version "$version" --quiet
}

wasm_bindgen_version=$(lock_version wasm-bindgen)
stylance_version=$(lock_version stylance)
trunk_pin=$(awk -F'"' '/^wasm_bindgen *=/ { print $2 }' Trunk.toml)
if [[ "$trunk_pin" != "$wasm_bindgen_version" ]]; then
  echo "setup: Trunk.toml pins wasm_bindgen $trunk_pin but Cargo.lock has $wasm_bindgen_version; make them equal" >&2
  exit 1
fi

# npm tools (package-lock.json): binaryen's wasm-opt, which trunk finds on PATH (scripts/env.sh).
if ! cmp -s package-lock.json node_modules/.installed-lock.json 2>/dev/null; then
  say "installing npm packages (package-lock.json)"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.installed-lock.json
fi

# The ZAF SDK from npm, bundled: an IIFE (global `ZAFClient`, as Zendesk's CDN script) that the
# sandbox serves, and an ES module that the browser tests import. Never committed.
zaf_entry=tests/fixtures/zaf_sdk_entry.js
if [[ ! -s target/js/zaf_sdk.js || ! -s target/js/zaf_sdk.esm.js ||
  package-lock.json -nt target/js/zaf_sdk.js || $zaf_entry -nt target/js/zaf_sdk.esm.js ]]; then
  say "bundling the ZAF SDK (npm zendesk_app_framework_sdk) into target/js/"
  mkdir -p target/js
  node_modules/.bin/esbuild node_modules/zendesk_app_framework_sdk/lib/index.js --bundle \
    --minify --format=iife --global-name=ZAFClient --log-level=warning --outfile=target/js/zaf_sdk.js
  node_modules/.bin/esbuild "$zaf_entry" --bundle --minify --format=esm --log-level=warning \
    --outfile=target/js/zaf_sdk.esm.js
fi

install_crate trunk trunk 0.21.14
install_crate wasm-bindgen-cli wasm-bindgen "$wasm_bindgen_version"
install_crate stylance-cli stylance "$stylance_version"
# The wasm splitter of the release build (scripts/split.mjs). It has no --version: ask cargo.
split_version=0.2.4
installed=$(cargo install --list)
if [[ $installed != *"wasm_split_cli_support v$split_version:"* ]]; then
  say "installing wasm_split_cli_support $split_version (wasm-split-cli; about a minute, once)"
  cargo install wasm_split_cli_support --version "$split_version" --features build-binary --locked --quiet
fi
