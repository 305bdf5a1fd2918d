#!/usr/bin/env bash
# Issue 26's many-core figures, in one run on the quiet 16-core machine with
# the H200 (see the developers' guide for how to reach it, and for how long).
#
# Build the bench binary here and carry it there:
#   cargo bench --bench engine --no-run      # prints target/release/deps/engine-HASH
#   cp target/release/deps/engine-HASH target/device-engine
#   (on the machine) bash benches/device.sh target/device-engine [THREADS...]
#
# Prints the machine, then ms per step for each task at each thread count
# (default 1 2 4 8 16), 1,000 and 50,000 moons over the same steps (the
# growth), the wide networks at 1 and the most threads, and the
# same steps in PyTorch on the CPU (1 thread and all) and on CUDA, when
# PyTorch is installed there (benches/device_torch.py).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:?usage: bash benches/device.sh ENGINE_BENCH_BINARY [THREADS...]}
shift
threads=("${@:-}")
if [ -z "${threads[0]}" ]; then threads=(1 2 4 8 16); fi
most=${threads[${#threads[@]}-1]}
echo "date: $(date -u +%F)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores"
command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name --format=csv,noheader | sed 's/^/gpu: /'
"$bin" demo
"$bin" tasks moons1000 moons5000 digits moons50000 "${threads[@]}"
# growth from 1,000 to 50,000 rows on one thread, over the same twenty steps
"$bin" tasks moons1000 moons50000 1 steps=20
"$bin" tasks wide128 wide256 wide512 1 "$most"
if python3 -c "import torch" 2> /dev/null; then
    python3 benches/device_torch.py "$most"
else
    echo "torch: not installed here"
fi
