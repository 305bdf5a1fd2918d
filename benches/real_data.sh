#!/usr/bin/env bash
# micrograd-rs with every setting at its default, beside scikit-learn's MLP
# with its defaults, on five public datasets (data/real/, made by
# `python benches/real_data.py make`). Prints one table row per dataset.
#
#   bash benches/real_data.sh              # micrograd-rs seeds 0-4, and scikit-learn
#   SKLEARN=0 bash benches/real_data.sh    # micrograd-rs only (no Python needed)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/micrograd
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

sklearn=""
if [[ "${SKLEARN:-1}" != 0 ]]; then
    venv=target/bench-venv
    if [[ ! -x $venv/bin/python ]]; then
        python3 -m venv "$venv"
    fi
    "$venv/bin/python" -c 'import sklearn' 2>/dev/null || "$venv/bin/pip" install --quiet scikit-learn
    sklearn=$("$venv/bin/python" benches/real_data.py score)
fi

printf '%-14s %-9s %-38s %-8s %s\n' dataset metric "micrograd-rs, seeds 0-4" mean "scikit-learn mean (seeds 0-4)"
for name in iris wine breast_cancer diabetes digits; do
    scores=()
    for seed in 0 1 2 3 4; do
        out="$work/$name-$seed"
        "$bin" train --data "data/real/$name-train.csv" --seed "$seed" --out "$out" --quiet
        json=$("$bin" eval --model "$out/model.json" --data "data/real/$name-test.csv" --json)
        # the top-level "accuracy" (as a fraction) or "r2" of eval's JSON
        scores+=("$(awk -F': ' '
            /^  "accuracy"/ { sub(/,$/, "", $2); printf "%.1f", 100 * $2 }
            /^  "r2"/ { sub(/,$/, "", $2); printf "%.3f", $2 }' <<<"$json")")
    done
    mean=$(printf '%s\n' "${scores[@]}" | awk '{ s += $1 } END { printf (s / NR < 2 ? "%.3f" : "%.1f"), s / NR }')
    metric=$([[ $name == diabetes ]] && echo "R²" || echo "accuracy")
    theirs=$(awk -F, -v n="$name" '$1 == n { v = $NF; printf (v < 2 ? "%.3f" : "%.1f"), v }' <<<"$sklearn")
    printf '%-14s %-9s %-38s %-8s %s\n' "$name" "$metric" "${scores[*]}" "$mean" "${theirs:--}"
done
