#!/bin/bash
# GPU kernels launched per training step (or per Gatys iteration), counted natively: easel-cli
# on wgpu with CubeCL's profiling log at level "minimal" (one line per kernel launched, no
# timing, no extra synchronisation). The count is the device-independent number of compute
# dispatches (the page's count, from its WebGPU calls, is bench/gpu-calls.mjs; they agree).
# Runs the same work twice, N and 2N steps, and divides the difference by N, so loading,
# set-up and the final report cancel out.
#   bench/kernels.sh [EASEL_CLI] MODEL [BATCH]       e.g. bench/kernels.sh dcgan 8 (MNIST; the
#                                                    colour dcgan32/dcgan64 on tests/data/own)
#   bench/kernels.sh [EASEL_CLI] gatys [SIZE]        one Gatys iteration at SIZE px (256)
# Needs a Vulkan driver (lavapipe on the CPU is enough: scripts/setup.sh installs it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cli="$root/target/release/easel-cli"
[ -n "${CARGO_TARGET_DIR:-}" ] && cli="$CARGO_TARGET_DIR/release/easel-cli"
if [ -x "${1:-}" ]; then cli=$1; shift; fi
[ -x "$cli" ] || { echo "no easel-cli at $cli: build it with cargo build --release --bin easel-cli" >&2; exit 1; }
what=$1; n=4
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf '[profiling.logger]\nlevel = "minimal"\nfile = "%s/kernels.log"\n' "$dir" > "$dir/cubecl.toml"
count() {
  rm -f "$dir/kernels.log"
  if [ "$what" = gatys ]; then
    (cd "$dir" && "$cli" style "$root/www/examples/cat.jpg" "$root/www/examples/swirls.jpg" --method gatys --backend wgpu \
      --size "${2:-256}" --iterations "$1" --out "$dir/out.png" >/dev/null)
  else
    # The colour DCGANs train on the own-images test folder (tools/make_examples.py).
    local data=(--data mnist)
    case $what in dcgan32) data=(--data "$root/tests/data/own" --size 32) ;; dcgan64) data=(--data "$root/tests/data/own" --size 64) ;; esac
    (cd "$dir" && "$cli" train --backend wgpu --model "$what" "${data[@]}" --batch "${2:-8}" --steps "$1" >/dev/null)
  fi
  grep -c '^Executing' "$dir/kernels.log"
}
a=$(count $n "${2:-}")
b=$(count $((2 * n)) "${2:-}")
unit=$([ "$what" = gatys ] && echo iteration || echo step)
echo "$what ${2:-}: $(( (b - a) / n )) kernels per $unit ($n: $a, $((2 * n)): $b)"
