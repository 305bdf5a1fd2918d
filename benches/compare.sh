#!/usr/bin/env bash
# Runs benches/compare.py in a virtualenv holding Python micrograd and PyTorch.
# Usage: bash benches/compare.sh   (MICROGRAD_STEPS=N for more Python micrograd steps)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/bench-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet micrograd==0.1.0 torch numpy
fi
exec "$venv/bin/python" benches/compare.py
