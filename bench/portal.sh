#!/usr/bin/env bash
# The signed-in customer's home page (session + policy + database + server rendering) under
# load, side by side in one run with /healthz and a static asset: wrk with 64 connections,
# 2 threads, 15 s each, on a fresh demo database. Needs the release build and wrk (apt).
#
#   ./bench/portal.sh          (then read requests/s and the latency distribution per target)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "bench/portal.sh needs wrk (apt install wrk)" >&2; exit 1; }
SECONDS_EACH=${SECONDS_EACH:-15}
port=3201
base=http://localhost:$port
data=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$data"' EXIT
: > "$data/portico.toml"
export PORTICO_ADDR=127.0.0.1:$port PORTICO_PUBLIC_URL=$base PORTICO_DATA_DIR="$data" \
  PORTICO_CONFIG="$data/portico.toml" DATABASE_URL="sqlite://$data/portico.db?mode=rwc" \
  PORTICO_DEMO=true PORTICO_LOG=warn LEPTOS_SITE_ROOT=target/site LEPTOS_OUTPUT_NAME=portico
./target/release/portico serve >"$data/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break
  sleep 0.2
done

# Sign Sanne de Boer (a customer's owner contact) in: password, then the demo's current code.
jar="$data/cookies"
form() { curl -fsS -b "$jar" -c "$jar" -H "origin: $base" -H 'accept: application/json' "$@" >/dev/null; }
form --data-urlencode email=sanne@deboer.example --data-urlencode 'password=demo moving day 2026' \
  "$base/api/accounts/sign_in_password"
form --data-urlencode "code=$(./target/release/portico demo-code | grep -o "[0-9]\{6\}" | head -1)" "$base/api/accounts/sign_in_second_factor"
cookie=$(awk '$6 ~ /portico-session/ { print $6 "=" $7 }' "$jar")
[ -n "$cookie" ] || { echo "sign-in failed" >&2; exit 1; }
home=$(curl -fsS -H "cookie: $cookie" -H 'accept: text/html' "$base/")
grep -q "Your moves" <<<"$home" || { echo "the home page is not the customer's" >&2; exit 1; }
asset=$(ls target/site/pkg/*.css | head -1)

for target in "/ (signed-in customer home)|/|-H|cookie: $cookie" "/healthz|/healthz|-H|x-bench: 1" \
  "static asset (${asset##*/})|/pkg/${asset##*/}|-H|x-bench: 1"; do
  IFS='|' read -r name path flag header <<<"$target"
  echo "== $name"
  wrk -t2 -c64 -d"${SECONDS_EACH}s" --latency "$flag" "$header" -H 'accept: text/html' "$base$path" \
    | grep -E 'Requests/sec|50%|99%|Non-2xx|Socket errors|requests in'
done
