#!/usr/bin/env bash
# Installs what is missing, then runs every test: native (Burn CPU backend), the page build,
# wasm-bindgen-test in headless Chromium on WebGPU (SwiftShader), and the page end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/env.sh
t0=$SECONDS
step() { echo; echo "== $* ($((SECONDS - t0)) s)"; }

step "native tests"
cargo test --locked

step "build the page (trunk, release wasm)"
trunk build --release

step "browser: wasm-bindgen-test in a worker on WebGPU"
cargo test --locked --release --target wasm32-unknown-unknown --test web

step "browser: the page end to end (playwright-core + /usr/bin/chromium)"
node --test --test-concurrency=1 tests/e2e/

step "all tests passed in $((SECONDS - t0)) s"
