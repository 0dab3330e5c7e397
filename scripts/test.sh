#!/usr/bin/env bash
# Installs what is missing, then runs every test: native (Burn CPU backend), the page build,
# wasm-bindgen-test in headless Chromium on WebGPU (SwiftShader), and the page end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/env.sh
t0=$SECONDS
step() { echo; echo "== $* ($((SECONDS - t0)) s)"; }

step "build the native tests and the page (trunk, release wasm) side by side"
native_log=$(mktemp)
cargo test --locked --no-run >"$native_log" 2>&1 & native=$!
trunk build --release
wait "$native" || { cat "$native_log"; exit 1; }

step "native tests (Burn CPU backend)"
cargo test --locked

step "browser: wasm-bindgen-test in a worker on WebGPU"
cargo test --locked --release --target wasm32-unknown-unknown --test web

step "browser: the page end to end (playwright-core + /usr/bin/chromium)"
node --test --test-concurrency=1 tests/e2e/

echo; echo "== all tests passed in $((SECONDS - t0)) s"
