#!/usr/bin/env bash
# Sample quality against steps and time, natively (easel-cli on every core, batch 64, the
# defaults): the classifier score, classes covered and Fréchet distance at every report
# (every STEPS/10 steps), with the sample grid at each, for one model, data set and seed.
#   bench/quality.sh MODEL DATA SEED STEPS     e.g. bench/quality.sh dcgan mnist 1 1600
# Writes bench/out/quality-MODEL-DATA-seedSEED/{log.txt,curve.tsv,step-*.png}.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
model=${1:-dcgan} data=${2:-mnist} seed=${3:-1} steps=${4:-1600}
cargo build --release --locked --bin easel-cli -q
out="bench/out/quality-$model-$data-seed$seed"
mkdir -p "$out"
"$CARGO_TARGET_DIR/release/easel-cli" train --model "$model" --data "$data" --seed "$seed" --steps "$steps" \
  --batch 64 --grids "$out" 2>/dev/null | tee "$out/log.txt"
# step, seconds, score, classes, FD
echo -e "step\tseconds\tscore\tclasses\tfd" > "$out/curve.tsv"
grep -E '^step +[0-9]+ +classifier score' "$out/log.txt" \
  | sed -E 's#^step +([0-9]+) +classifier score ([0-9.]+) +classes ([0-9]+)/10 +FD ([0-9.]+) +([0-9]+) s#\1\t\5\t\2\t\3\t\4#' >> "$out/curve.tsv"
cat "$out/curve.tsv"
