#!/usr/bin/env bash
# Builds the Zendesk app package: the zip an admin uploads as a private app.
#
#   scripts/package.sh             release build with trunk, then package it
#   scripts/package.sh --dist DIR  package an existing release build (scripts/test.sh reuses dist/)
#
# Staging copy: target/package/zendesk-app/ (zendesk-app/'s manifest.json, translations/ and assets/,
# plus the build under assets/; `zcli apps:server target/package/zendesk-app` serves it as it is).
# Output: target/package/agent-adapter-zendesk-<version>.zip, <version> from manifest.json.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

say() { printf 'package: %s\n' "$*"; }
fail() { printf 'package: %s\n' "$*" >&2; exit 1; }

out=target/package
dist=
case "${1:-}" in
  --dist) dist=${2:?--dist needs a directory} ;;
  "") ;;
  *) fail "unknown argument $1 (use --dist DIR or nothing)" ;;
esac
if [[ -z "$dist" ]]; then
  dist=$out/dist
  say "release build into $dist"
  trunk build --release --dist "$dist"
fi
[[ -f "$dist/index.html" ]] || fail "$dist/index.html is missing: is $dist a trunk build?"

json_version() { sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$1" | head -n 1; }
cargo_version() { awk -F'"' '/^\[package\]/ { p = 1 } p && /^version *=/ { print $2; exit }' Cargo.toml; }
version=$(json_version zendesk-app/manifest.json)
[[ -n "$version" ]] || fail "zendesk-app/manifest.json has no version"
[[ "$version" == "$(cargo_version)" ]] ||
  fail "manifest version $version differs from Cargo.toml version $(cargo_version); make them equal"

stage=$out/zendesk-app
rm -rf "$stage"
mkdir -p "$stage"
cp -R zendesk-app/manifest.json zendesk-app/translations zendesk-app/assets "$stage/"
# Local parameter values for `zcli apps:server`; never zipped (see below).
cp zendesk-app/zcli.apps.config.json "$stage/"

# The build goes under assets/ beside the logos; a name clash would silently replace a logo.
for f in "$dist"/*; do
  [[ ! -e "$stage/assets/$(basename "$f")" ]] || fail "build file $(basename "$f") clashes with zendesk-app/assets/"
  cp -R "$f" "$stage/assets/"
done

# Zendesk's asset host may serve .wasm without the application/wasm type, and
# WebAssembly.instantiateStreaming rejects such a response. Trunk's loader passes the wasm URL to
# wasm-bindgen's init; the glue of wasm-bindgen 0.2.130 then falls back to WebAssembly.instantiate
# on a wrong type (tests/package/zcli.test.mjs saw it), but only for same-origin or CORS responses
# and only in the glue versions that have the fallback. Give init the fetched bytes instead: it then
# calls WebAssembly.instantiate, which never looks at the type.
index=$stage/assets/index.html
pattern="init({ module_or_path: '\./\([^']*_bg\.wasm\)' })"
grep -q "$pattern" "$index" || fail "trunk's wasm loader in $index has changed; update the rewrite in scripts/package.sh"
sed -i "s|$pattern|init({ module_or_path: await fetch('./\1').then((r) => { if (!r.ok) throw new Error('wasm: HTTP ' + r.status); return r.arrayBuffer(); }) })|" "$index"

# The start-up script changed, so its hash in the page's Content-Security-Policy is written again;
# the same step copies the page for the background location, which runs the same bundle (the
# adapter tells the locations apart from the ZAF context).
node scripts/csp.mjs "$stage/assets" >/dev/null

zipfile=$out/agent-adapter-zendesk-$version.zip
rm -f "$out"/agent-adapter-zendesk-*.zip
# The same sources and build give the same zip: sorted names, no directory entries, no extra
# attributes, every time stamp set to the last commit's. -y stores a symlink as a symlink, so the
# package check sees and rejects it.
stamp=$(git log -1 --format=%ct 2>/dev/null || echo 0)
find "$stage" -exec touch -h -d "@$stamp" {} +
(cd "$stage" && find manifest.json translations assets ! -type d | LC_ALL=C sort |
  TZ=UTC zip -q -X -y -D -@ "../$(basename "$zipfile")")
say "$zipfile ($(stat -c %s "$zipfile") bytes), staged in $stage"
