#!/usr/bin/env bash
# The QM7 ensemble of the README (Molecules): six members, seeds 0-2 of
# configs/qm7_energy.toml (hidden degrees 0-2) and of configs/qm7_energy_small.toml (degrees
# 0-1), trained one after the other, then evaluated together on the validation and test
# splits with se3t eval (the mean of their energies).
# A member whose test_metrics.json exists is skipped and one with a checkpoint is resumed, so
# the script can be stopped (Ctrl-C) and run again.
#
#   scripts/qm7-ensemble.sh          # about 4 hours on a 2-core VM
#
# Environment: BUILD_DIR (default build), SE3T (default $BUILD_DIR/se3t), RUN_DIR (default
# runs/qm7-ensemble), THREADS (default 2).
set -euo pipefail
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}  # idle OpenMP threads sleep instead of spinning
cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build}
SE3T=${SE3T:-$BUILD_DIR/se3t}
RUN_DIR=${RUN_DIR:-runs/qm7-ensemble}
THREADS=${THREADS:-2}
[ -x "$SE3T" ] || { echo "no $SE3T: build first (scripts/build.sh)" >&2; exit 1; }
mkdir -p "$RUN_DIR"

# name config seed epochs: the members as the README's run trained them.
members=(
  "big-s0 configs/qm7_energy.toml 0 200"
  "big-s1 configs/qm7_energy.toml 1 120"
  "big-s2 configs/qm7_energy.toml 2 120"
  "small-s0 configs/qm7_energy_small.toml 0 160"
  "small-s1 configs/qm7_energy_small.toml 1 120"
  "small-s2 configs/qm7_energy_small.toml 2 120"
)
for m in "${members[@]}"; do
  read -r name config seed epochs <<<"$m"
  out="$RUN_DIR/$name"
  if [ -f "$out/test_metrics.json" ]; then
    echo "== $name: done ($out/test_metrics.json)"
    continue
  fi
  resume=()
  [ -f "$out/checkpoint.pt" ] && resume=(--resume)
  echo "== $name: $config, seed $seed, $epochs epochs, $THREADS thread(s) -> $out"
  "$SE3T" train "$config" --seed "$seed" --epochs "$epochs" --threads "$THREADS" --out "$out" \
    "${resume[@]}" >"$out.json"
done

# Each member's lowest-validation-error model (its last checkpoint if it never validated).
checkpoints=()
for m in "${members[@]}"; do
  read -r name _ <<<"$m"
  best="$RUN_DIR/$name/best_model.pt"
  [ -f "$best" ] || best="$RUN_DIR/$name/checkpoint.pt"
  checkpoints+=(--checkpoint "$best")
done
for split in valid test; do
  echo "== the ensemble on the $split split"
  "$SE3T" eval --config configs/qm7_energy.toml "${checkpoints[@]}" --split "$split" \
    --threads "$THREADS" | tee "$RUN_DIR/ensemble_$split.json"
done
