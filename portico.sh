#!/usr/bin/env bash
# Portico's two commands, for a fresh Debian machine with rustup, Node 20 and apt:
#   ./portico.sh run    build a release and serve it on SQLite with the demo company
#   ./portico.sh test   every check CI runs: fmt, cargo deny (advisories offline, licences, bans),
#                       clippy (ssr + wasm), cargo tests (SQLite, and PostgreSQL when one
#                       answers), the Trunk build, Playwright on a release build
# Each installs only what is missing; nothing downloads a prebuilt binary.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD

CARGO_LEPTOS_VERSION=0.3.10
TRUNK_VERSION=0.21.14
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
export PATH="${CARGO_HOME:-${HOME:?HOME must be set}/.cargo}/bin:$ROOT/end2end/node_modules/.bin:$PATH"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else echo "portico.sh: need root (or sudo) to run: $*" >&2; exit 1
  fi
}

# C compiler, make and perl: some crates build C code (SQLite, ring, aws-lc).
need_build_tools() {
  if ! command -v cc >/dev/null || ! command -v make >/dev/null || ! command -v perl >/dev/null; then
    say "installing Debian's build tools (C compiler, make, perl)"
    as_root apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y build-essential perl pkg-config
  fi
}

need_rust_components() {
  local installed
  installed=$(rustup component list --installed)
  for component in rustfmt clippy; do
    grep -q "^$component" <<<"$installed" || rustup component add "$component"
  done
}

need_wasm_target() {
  rustup target list --installed | grep -qx wasm32-unknown-unknown ||
    { say "adding the wasm32 target"; rustup target add wasm32-unknown-unknown; }
}

need_cargo_leptos() {
  if [ "$(cargo leptos --version 2>/dev/null)" != "cargo-leptos $CARGO_LEPTOS_VERSION" ]; then
    say "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 11 minutes, once)"
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
      cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
  fi
}

need_wasm_bindgen() {
  if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
    say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (the version in Cargo.lock)"
    # Not --locked: its lock file names a crate version the registry no longer serves.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
  fi
}

# wasm-opt comes from the npm package `binaryen` (version 132), with Playwright; Debian's
# binaryen 108 produces a bundle that does not hydrate.
need_node_modules() {
  if ! cmp -s end2end/package-lock.json end2end/node_modules/.installed-from-lock 2>/dev/null; then
    say "installing the npm packages in end2end/ (Playwright, binaryen)"
    (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund &&
      cp package-lock.json node_modules/.installed-from-lock)
  fi
}

need_chromium() {
  if [ ! -x /usr/bin/chromium ]; then
    say "installing Debian's Chromium for the browser tests"
    as_root apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
  fi
}

# pdftotext (poppler) reads the quote and invoice PDFs back in the tests.
need_pdftotext() {
  if ! command -v pdftotext >/dev/null; then
    say "installing Debian's poppler-utils (pdftotext) for the PDF tests"
    as_root apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y poppler-utils
  fi
}

CARGO_DENY_VERSION=0.20.2
need_cargo_deny() {
  if [ "$(cargo deny --version 2>/dev/null)" != "cargo-deny $CARGO_DENY_VERSION" ]; then
    say "installing cargo-deny $CARGO_DENY_VERSION (about 7 minutes, once)"
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
      cargo install cargo-deny --version "$CARGO_DENY_VERSION" --locked
  fi
}

# The RustSec advisory database, offline: a git bundle beside the project (this machine reaches
# only the package registries), cloned into a temporary folder under the name cargo-deny expects.
ADVISORY_BUNDLE="${ADVISORY_DB_BUNDLE:-$ROOT/../shared/advisory-db/rustsec-advisory-db.bundle}"
check_supply_chain() {
  if [ ! -f "$ADVISORY_BUNDLE" ]; then
    if [ "${CI:-}" = true ]; then
      echo "portico.sh: the advisory database bundle is missing: $ADVISORY_BUNDLE" >&2
      exit 1
    fi
    say "cargo deny: SKIPPED, no advisory database at $ADVISORY_BUNDLE (set ADVISORY_DB_BUNDLE)"
    return 0
  fi
  # Not a PORTICO_ variable: Portico refuses settings it does not know, and the Playwright
  # server starts from this same environment.
  local dbs
  dbs=$(mktemp -d)
  git -c init.defaultBranch=main clone -q "$ADVISORY_BUNDLE" "$dbs/advisory-db-3157b0e258782691"
  say "cargo deny: advisories (database of $(git -C "$dbs/advisory-db-3157b0e258782691" log -1 --format=%cs)), licences, bans, sources"
  # cargo deny reads `cargo metadata` offline, which needs every crate of the lock (those of
  # other platforms too) in the local registry cache: fetched from crates.io once.
  cargo fetch --locked --quiet
  local status=0
  ADVISORY_DBS="$dbs" cargo deny --offline --locked check advisories licenses bans sources || status=$?
  rm -rf "$dbs"
  [ "$status" = 0 ] || exit "$status"
}

need_trunk() {
  if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
    say "installing trunk $TRUNK_VERSION (about 6 minutes, once)"
    cargo install trunk --version "$TRUNK_VERSION" --locked
  fi
}

build_release() {
  say "building the release (server + hydrate bundle)"
  cargo leptos build --release
}

run() {
  need_build_tools; need_wasm_target; need_cargo_leptos; need_wasm_bindgen; need_node_modules
  build_release
  say "starting Portico on SQLite with the demo company (Ctrl-C stops it)"
  export PORTICO_DEMO="${PORTICO_DEMO:-true}"
  export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-target/site}"
  exec ./target/release/portico serve
}

# PostgreSQL: PORTICO_TEST_DATABASE_URL when set; otherwise a server at 127.0.0.1:5432 that
# lets the `postgres` user in without a password (checked with psql when it is installed).
find_postgres() {
  [ -z "${PORTICO_TEST_DATABASE_URL:-}" ] || return 0
  local url="postgres://postgres@127.0.0.1:5432/postgres"
  (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null || return 0
  if command -v psql >/dev/null && ! psql -w "$url" -Atqc 'select 1' >/dev/null 2>&1; then
    echo "A PostgreSQL server answers at 127.0.0.1:5432 but not to $url without a password;" \
      "set PORTICO_TEST_DATABASE_URL to include it." >&2
    return 0
  fi
  export PORTICO_TEST_DATABASE_URL="$url"
}

test_all() {
  local started=$SECONDS
  # A clean clone builds everything once: incremental caches would only fill the disk (GBs).
  if [ "${CI:-}" = true ]; then export CARGO_INCREMENTAL=0; fi
  need_build_tools; need_rust_components; need_wasm_target
  need_cargo_leptos; need_wasm_bindgen; need_node_modules; need_chromium; need_pdftotext; need_trunk
  need_cargo_deny

  say "cargo fmt --check"
  cargo fmt --all -- --check

  check_supply_chain

  say "clippy: the server build (ssr)"
  cargo clippy --workspace --all-targets --locked -- -D warnings
  say "clippy: the browser build (wasm32, hydrate and csr)"
  cargo clippy -p portico-frontend --target wasm32-unknown-unknown --features hydrate --locked -- -D warnings
  cargo clippy -p portico-frontend --target wasm32-unknown-unknown --features csr --locked -- -D warnings

  find_postgres
  if [ -n "${PORTICO_TEST_DATABASE_URL:-}" ]; then
    say "cargo test on SQLite and on PostgreSQL (at ${PORTICO_TEST_DATABASE_URL##*@})"
  else
    say "cargo test on SQLite (no PostgreSQL: set PORTICO_TEST_DATABASE_URL to include it)"
  fi
  cargo test --workspace --locked

  say "trunk build (the client-side-rendered app)"
  trunk build --offline

  build_release
  say "Playwright against the release build, with a fresh database"
  (cd end2end && npx playwright test)

  say "all checks passed in $((SECONDS - started)) s"
}

case "${1:-}" in
  run) run ;;
  test) test_all ;;
  *) echo "usage: $0 run | test" >&2; exit 2 ;;
esac
