#!/usr/bin/env bash
# The native peer: the lesson's DCGAN in JAX on the CPU (bench/peer/jax_dcgan.py), one thread
# and every core, batch 64, MNIST. Installs JAX (pinned; the newest that runs on the machine's
# Python 3.11) into a virtual environment outside the clone, only for this benchmark.
#   bench/jax.sh [STEPS]
set -euo pipefail
cd "$(dirname "$0")/.."
venv="$HOME/.cache/easel/jax-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import jax' 2>/dev/null || "$venv/bin/pip" install -q "jax==0.10.2" "jaxlib==0.10.2"
steps=${1:-30}
for threads in 1 0; do
  "$venv/bin/python" bench/peer/jax_dcgan.py --steps "$steps" --threads "$threads"
done
