#!/usr/bin/env bash
# Builds the adapter and starts the sandbox with it: an emulated Zendesk agent workspace at
# http://127.0.0.1:PORT/ that frames the app from http://localhost:PORT/app/ (another origin, as in
# Zendesk), the Zendesk API and the platform. It prints the URL and the agents' credentials.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
port=${PORT:-8080}

trunk build --release
exec cargo run --release -p sandbox -- --app-dir dist --port "$port"
