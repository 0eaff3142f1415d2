#!/usr/bin/env bash
# Live status under load: 10,000 open /live streams on this machine, changes to job 1 at a
# steady rate, and for every stream the time from the change's request to the event's arrival
# (p50 / p99 / max), the server's memory per open stream (RSS delta / streams) and its CPU with
# every stream idle. Needs the release build (./portico.sh build or `cargo leptos build
# --release`).
#
#   ./bench/live.sh              SQLite, one instance
#   ./bench/live.sh postgres     PostgreSQL, two instances on one database (streams split over
#                                both, changes made through the first): needs PostgreSQL at
#                                PORTICO_BENCH_PG (default postgres://postgres@127.0.0.1:5432)
#
# Every stream belongs to one of five demo people who may all see job 1 (the owner, the viewer,
# the crew lead, the office, the admin), so each change is delivered to every stream: the
# largest fan-out. STREAMS, RATE (changes per second) and CHANGES can be set.
set -euo pipefail
cd "$(dirname "$0")/.."
# The load client is built in a target folder of its own: `cargo bench` also builds the
# `portico` binary, and in `target/` it would replace cargo-leptos' release build with one that
# names the wasm file differently (the pages would then never hydrate).
CARGO_TARGET_DIR=target/bench-client cargo bench -q -p portico-server --bench live_streams --locked --no-run
mode=${1:-sqlite}
STREAMS=${STREAMS:-10000}
RATE=${RATE:-2}
CHANGES=${CHANGES:-40}
# One socket per stream on each side: raise the soft limit as far as the hard one allows.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt $((STREAMS + 1000)) ]; then
  echo "bench/live.sh: only $(ulimit -n) open files allowed; lower STREAMS" >&2
  exit 1
fi
data=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "$mode" = postgres ] && [ -n "${pgdb:-}" ]; then
    psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "$data"
}
trap cleanup EXIT
: > "$data/portico.toml"
common=(PORTICO_PUBLIC_URL=http://localhost:3202 PORTICO_DATA_DIR="$data" PORTICO_CONFIG="$data/portico.toml"
  PORTICO_DEMO=true PORTICO_LOG=warn LEPTOS_SITE_ROOT=target/site LEPTOS_OUTPUT_NAME=portico
  PORTICO_LIVE_STREAMS_PER_PERSON=100000 PORTICO_SIGN_IN_ATTEMPTS_PER_MINUTE=1000)
if [ "$mode" = postgres ]; then
  pg=${PORTICO_BENCH_PG:-postgres://postgres@127.0.0.1:5432}
  pgdb=portico_bench_$$
  psql "$pg/postgres" -qc "CREATE DATABASE $pgdb" >/dev/null
  url="$pg/$pgdb"
  ports=(3202 3203)
else
  url="sqlite://$data/portico.db?mode=rwc"
  ports=(3202)
fi
for port in "${ports[@]}"; do
  env "${common[@]}" DATABASE_URL="$url" PORTICO_ADDR=127.0.0.1:$port \
    ./target/release/portico serve >"$data/server-$port.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 150); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break
    sleep 0.2
  done
done

# Sign the demo people in on the first instance (sessions live in the database, so the
# cookies work on both): password, then the demo's current code.
base=http://localhost:3202
code=$(./target/release/portico demo-code | grep -o "[0-9]\{6\}" | head -1)
sign_in() {
  local jar="$data/$1.jar"
  curl -fsS -c "$jar" -H "origin: $base" -H 'accept: application/json' \
    --data-urlencode "email=$1" --data-urlencode 'password=demo moving day 2026' \
    "$base/api/accounts/sign_in_password" >/dev/null
  curl -fsS -b "$jar" -c "$jar" -H "origin: $base" -H 'accept: application/json' \
    --data-urlencode "code=$code" "$base/api/accounts/sign_in_second_factor" >/dev/null
  awk '$6 ~ /portico-session/ { print $6 "=" $7 }' "$jar"
}
cookies=()
for email in sanne@deboer.example joost@deboer.example cees@vandijk.example olga@vandijk.example anna@vandijk.example; do
  cookies+=("$(sign_in "$email")")
done
addrs=$(printf '127.0.0.1:%s,' "${ports[@]}")
echo "== live status: $mode, ${#ports[@]} instance(s), $STREAMS streams, $CHANGES changes at $RATE/s"
LIVE_ADDRS=${addrs%,} LIVE_COOKIES=$(IFS=,; echo "${cookies[*]}") LIVE_PIDS=$(IFS=,; echo "${pids[*]}") \
  LIVE_CREW_COOKIE=${cookies[2]} LIVE_OFFICE_COOKIE=${cookies[3]} LIVE_ORIGIN=$base \
  LIVE_STREAMS=$STREAMS LIVE_RATE=$RATE LIVE_CHANGES=$CHANGES \
  CARGO_TARGET_DIR=target/bench-client cargo bench -q -p portico-server --bench live_streams --locked
