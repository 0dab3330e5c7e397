#!/usr/bin/env bash
# Native training throughput of the same model code (easel-cli): Burn's CPU backend (flex)
# on one thread and on every core, and wgpu (Vulkan; lavapipe on machines without a GPU).
# Lesson DCGAN, batch 64, MNIST. The same model in JAX: bench/jax.sh.
#   bench/native.sh [STEPS]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
steps=${1:-10}
cargo build --release --locked --bin easel-cli -q
cli="$CARGO_TARGET_DIR/release/easel-cli"
"$cli" train --backend cpu --threads 1 --steps "$steps" --batch 64 2>/dev/null | grep '^RESULT' || echo "RESULT backend=cpu threads=1 failed"
for backend in cpu wgpu; do
  "$cli" train --backend "$backend" --steps "$steps" --batch 64 2>/dev/null | grep '^RESULT' || echo "RESULT backend=$backend failed"
done
