#!/usr/bin/env bash
# One command for the Easel-vs-peers comparison: installs what is missing (the project's tools
# via scripts/setup.sh, TF.js for the peer pages), builds the release page if dist/ is missing
# or older than the sources, then runs bench/compare.mjs with the given arguments, e.g.
#   bench/compare.sh                       # DCGAN 3 rounds, Gatys 2 rounds, cached load, size
#   bench/compare.sh --skip gatys --rounds 5
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/env.sh
[ -d bench/node_modules/@tensorflow/tfjs ] || npm ci --prefix bench --no-audit --no-fund
if [ ! -f dist/easel_bg.wasm ] || [ -n "$(find src www index.html Cargo.toml Cargo.lock Trunk.toml -newer dist/easel_bg.wasm -print -quit)" ]; then
  trunk build --release
fi
exec node bench/compare.mjs "$@"
