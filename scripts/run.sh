#!/usr/bin/env bash
# Builds the adapter and serves it in a minimal host page that frames it as Zendesk's top bar does:
# a 360x510 iframe on another origin (localhost vs 127.0.0.1), with ?origin=…&app_guid=….
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
port=${PORT:-8080}

trunk build --release
site=target/site
rm -rf "$site"
mkdir -p "$site"
cp -r dist "$site/app"
sed "s/__PORT__/$port/g" scripts/host.html >"$site/index.html"

echo
echo "Agent adapter: open http://127.0.0.1:$port/ (Ctrl+C stops it)"
exec python3 -m http.server "$port" --bind 127.0.0.1 --directory "$site"
