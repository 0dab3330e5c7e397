#!/usr/bin/env bash
# Native training throughput of the same model code (easel-cli): Burn's CPU backend (flex)
# and wgpu (Vulkan; lavapipe on machines without a GPU). Lesson DCGAN, batch 64, MNIST.
#   bench/native.sh [STEPS]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
steps=${1:-10}
cargo build --release --locked --bin easel-cli -q
for backend in cpu wgpu; do
  "$CARGO_TARGET_DIR/release/easel-cli" train --backend "$backend" --steps "$steps" --batch 64 2>/dev/null | grep '^RESULT' || echo "RESULT backend=$backend failed"
done
