#!/usr/bin/env bash
# Data-parallel training throughput (README, Data-parallel training): one epoch of the QM7
# config (configs/qm7_energy.toml) on NUM_TRAIN molecules without validation, trained as
# 1 process x 2 threads and as 2 processes x 1 thread (se3t train --nproc 2), REPEATS times
# each. Prints samples/s of the epoch and, for 2 processes, each rank's compute and
# communication seconds (metrics.jsonl) and the communication share of the step.
#
#   scripts/bench-data-parallel.sh      # about 2 minutes on a 2-core VM
#
# Environment: BUILD_DIR (default build), SE3T (default $BUILD_DIR/se3t), NUM_TRAIN (default
# 1024), REPEATS (default 2), RUN_DIR (default runs/bench-data-parallel).
set -euo pipefail
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build}
SE3T=${SE3T:-$BUILD_DIR/se3t}
NUM_TRAIN=${NUM_TRAIN:-1024}
REPEATS=${REPEATS:-2}
RUN_DIR=${RUN_DIR:-runs/bench-data-parallel}
[ -x "$SE3T" ] || { echo "no $SE3T: build first (scripts/build.sh)" >&2; exit 1; }
rm -rf "$RUN_DIR"
mkdir -p "$RUN_DIR"
config=$RUN_DIR/qm7_bench.toml
sed -e "s/^num_train = .*/num_train = $NUM_TRAIN/" -e "s/^num_valid = .*/num_valid = 0/" \
    -e "s/^num_test = .*/num_test = 64/" configs/qm7_energy.toml > "$config"

for r in $(seq 1 "$REPEATS"); do
  for setup in "1 2" "2 1"; do
    set -- $setup
    out=$RUN_DIR/p$1-t$2-r$r
    if [ "$1" = 1 ]; then
      "$SE3T" train "$config" --quiet --epochs 1 --threads "$2" --out "$out" > /dev/null
    else
      "$SE3T" train "$config" --quiet --epochs 1 --threads "$2" --nproc "$1" --out "$out" \
        > /dev/null
    fi
    /usr/bin/python3 - "$out/metrics.jsonl" "$NUM_TRAIN" "$1" "$2" <<'PY'
import json, sys
rec = json.loads(open(sys.argv[1]).readline())
n, procs, threads = int(sys.argv[2]), sys.argv[3], sys.argv[4]
line = f"{procs} process(es) x {threads} thread(s): {n / rec['epoch_time_s']:.1f} samples/s"
if "rank_comm_s" in rec:
    comp, comm = rec["rank_compute_s"], rec["rank_comm_s"]
    share = [c / (c + k) for c, k in zip(comm, comp)]
    line += (f"; compute s per rank {[round(c, 2) for c in comp]}, communication s "
             f"{[round(c, 2) for c in comm]} ({', '.join(f'{100 * s:.1f}%' for s in share)} "
             "of each rank's step)")
print(line)
PY
  done
done
