#!/usr/bin/env bash
# The N-body experiment end to end: builds se3t if needed, simulates the data set,
# trains the SE(3)-Transformer of configs/nbody_quick.toml, evaluates it and the Linear
# baseline on the test split, and prints the numbers beside the paper's Table 1 (docs/design.md, N-body experiment).
#
#   scripts/main-job.sh                 # about 5 minutes on 2 cores once built
#
# Environment: BUILD_DIR (default build), SE3T (the program, default $BUILD_DIR/se3t),
# CONFIG (default configs/nbody_quick.toml), RUN_DIR (default runs/nbody-quick; replaced),
# THREADS (default 1: on these 2-core machines one intra-op thread trains this small model
# fastest, see the config).
set -euo pipefail
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}  # idle OpenMP threads sleep instead of spinning
cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build}
SE3T=${SE3T:-$BUILD_DIR/se3t}
CONFIG=${CONFIG:-configs/nbody_quick.toml}
RUN_DIR=${RUN_DIR:-runs/nbody-quick}
THREADS=${THREADS:-1}

if [ ! -x "$SE3T" ]; then
  echo "== building se3t in $BUILD_DIR (once; not counted in the job's time)"
  gen=()
  command -v ninja >/dev/null && gen=(-G Ninja)
  [ -f "$BUILD_DIR/CMakeCache.txt" ] ||
    cmake -S . -B "$BUILD_DIR" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DSE3T_BUILD_BENCH=OFF
  cmake --build "$BUILD_DIR" -j "$(nproc)" --target se3t_cli
fi

start=$SECONDS
rm -rf "$RUN_DIR"
mkdir -p "$RUN_DIR"

echo "== generating the data set ($CONFIG [data]) in $RUN_DIR/data"
"$SE3T" nbody generate --config "$CONFIG" --out "$RUN_DIR/data" --threads 0

echo "== training ($CONFIG, $THREADS thread(s)) into $RUN_DIR/model"
"$SE3T" train "$CONFIG" --data "$RUN_DIR/data" --out "$RUN_DIR/model" --threads "$THREADS" \
  >"$RUN_DIR/train.json"
train_s=$((SECONDS - start))

echo "== evaluating on the test split"
ckpt="$RUN_DIR/model/checkpoint.pt"
eval_json() { "$SE3T" eval --data "$RUN_DIR/data" --threads "$THREADS" "$@"; }
model_spread=$(eval_json --checkpoint "$ckpt" --frames spread)
model_fixed=$(eval_json --checkpoint "$ckpt" --frames fixed)
linear_spread=$(eval_json --baseline linear --frames spread)
linear_fixed=$(eval_json --baseline linear --frames fixed)
printf '%s\n' "$model_spread" "$model_fixed" "$linear_spread" "$linear_fixed" >"$RUN_DIR/eval.jsonl"
total_s=$((SECONDS - start))

# A numeric field of a one-line JSON object.
field() { sed -n "s/.*\"$2\": \([^,}]*\).*/\1/p" <<<"$1"; }
row() {  # label json
  printf '%-44s %12.5f %12.4f %14.1e\n' "$1" "$(field "$2" mse_position)" \
    "$(field "$2" mse_velocity)" "$(field "$2" equivariance_error_position)"
}

echo
echo "N-body, 5 charged particles, target 500 steps ahead (test split, $(field "$model_spread" num_samples) simulations)"
printf '%-44s %12s %12s %14s\n' "model" "MSE pos" "MSE vel" "equiv. error"
printf '%-44s %12s %12s %14s\n' "paper: Linear" 0.0691 0.261 -
printf '%-44s %12s %12s %14s\n' "paper: DeepSet" 0.0639 0.246 -
printf '%-44s %12s %12s %14s\n' "paper: Tensor Field Network" 0.0151 0.125 1.9e-7
printf '%-44s %12s %12s %14s\n' "paper: Set Transformer" 0.0139 0.101 0.167
printf '%-44s %12s %12s %14s\n' "paper: SE(3)-Transformer" 0.0076 0.075 3.2e-7
row "se3t: Linear (frames spread, as the paper)" "$linear_spread"
row "se3t: SE(3)-T quick (frames spread)" "$model_spread"
row "se3t: Linear (input frame 0)" "$linear_fixed"
row "se3t: SE(3)-T quick (input frame 0)" "$model_fixed"
echo
echo "quick config: $CONFIG (a reduced budget: fewer training simulations, a small model and"
echo "few epochs; see the file). Time: $train_s s for data + training, $total_s s in all,"
echo "$THREADS intra-op thread(s), $(nproc) cores. Files: $RUN_DIR (metrics.csv,"
echo "learning_curve.svg and checkpoint.pt in $RUN_DIR/model; eval.jsonl)."
