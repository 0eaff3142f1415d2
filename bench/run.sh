#!/usr/bin/env bash
# Starts the release build on a fresh demo database and runs bench/load.mjs against it.
# Build first: `cargo leptos build --release` (or `./portico.sh run` once).
set -euo pipefail
cd "$(dirname "$0")/.."
data=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$data"' EXIT
: > "$data/portico.toml"
PORTICO_ADDR=127.0.0.1:3200 PORTICO_PUBLIC_URL=http://localhost:3200 PORTICO_DATA_DIR="$data" \
  PORTICO_CONFIG="$data/portico.toml" DATABASE_URL="sqlite://$data/portico.db?mode=rwc" \
  PORTICO_DEMO=true PORTICO_LOG=warn PORTICO_SIGN_IN_ATTEMPTS_PER_MINUTE=100000 \
  LEPTOS_SITE_ROOT=target/site LEPTOS_OUTPUT_NAME=portico ./target/release/portico serve >"$data/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  curl -fs http://127.0.0.1:3200/healthz >/dev/null && break
  sleep 0.2
done
BASE=http://localhost:3200 node bench/load.mjs
