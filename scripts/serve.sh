#!/usr/bin/env bash
# Installs what is missing, builds the page (release wasm) and serves it on http://127.0.0.1:8080/
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/env.sh
exec trunk serve --release "$@"
