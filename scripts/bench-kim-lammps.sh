#!/usr/bin/env bash
# LAMMPS speed through the se3t KIM driver (README, LAMMPS (KIM)): a water model (2 attention
# layers, hidden degrees 0-1, 8 channels, smooth cutoff 3.5 A, so an influence distance of
# 10.5 A; float32) trained one epoch on data/xtb/water, exported with se3t export-kim,
# installed into a KIM environment collection under RUN_DIR, then NVE steps of the water box
# (96 atoms) and of the box replicated 5 x 2 x 1 (960 atoms) on 1 and 2 MPI ranks of one
# thread each. Prints atom-steps per second (LAMMPS's timesteps/s times the atoms) and the
# ghost atoms per rank, then se3t md's atom-steps per second on the same boxes with the same
# model (one process), for the ratio.
#
#   scripts/bench-kim-lammps.sh      # about 5 minutes on a 2-core VM
#
# Environment: BUILD_DIR (default build), STEPS (default 10), RUN_DIR (default
# runs/bench-kim-lammps).
set -euo pipefail
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive} OMP_NUM_THREADS=1 SE3T_KIM_THREADS=1
cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build}
STEPS=${STEPS:-10}
RUN_DIR=${RUN_DIR:-runs/bench-kim-lammps}
SE3T=$BUILD_DIR/se3t
DRIVERS=$PWD/$BUILD_DIR/kim/model-drivers
[ -x "$SE3T" ] || { echo "no $SE3T: build first (scripts/build.sh)" >&2; exit 1; }
[ -d "$DRIVERS" ] || { echo "no $DRIVERS: the KIM driver is built when CMake finds the KIM API" >&2; exit 1; }
rm -rf "$RUN_DIR"
mkdir -p "$RUN_DIR"/{models,user/md,user/pm,user/sm}
RUN_DIR=$(cd "$RUN_DIR" && pwd)
printf 'model-drivers-dir = %s\nportable-models-dir = %s\nsimulator-models-dir = %s\n' \
  "$RUN_DIR/user/md" "$RUN_DIR/user/pm" "$RUN_DIR/user/sm" > "$RUN_DIR/kim-config"
export KIM_API_CONFIGURATION_FILE=$RUN_DIR/kim-config KIM_API_MODEL_DRIVERS_DIR=$DRIVERS \
  KIM_API_PORTABLE_MODELS_DIR=$RUN_DIR/models KIM_API_SIMULATOR_MODELS_DIR=$RUN_DIR/user/sm

cat > "$RUN_DIR/water.toml" <<EOF
task = "molecules"
[data]
format = "extxyz"
train_file = "$PWD/data/xtb/water/train.extxyz.gz"
valid_file = "$PWD/data/xtb/water/valid.extxyz.gz"
test_file = "$PWD/data/xtb/water/test.extxyz.gz"
energy_key = "energy"
fit_reference = true
cutoff = 3.5
[model]
type = "se3_transformer"
num_layers = 2
num_degrees = 2
num_channels = 8
num_heads = 2
channels_div = 2
radial_hidden = 32
pooling = "sum"
out_channels = 16
mlp_hidden = 32
smooth_cutoff = true
[train]
epochs = 1
batch_size = 2
force_weight = 10.0
threads = 1
out_dir = "$RUN_DIR/train"
EOF
"$SE3T" train "$RUN_DIR/water.toml" --quiet > "$RUN_DIR/train.json"
name=SE3T_water_bench__MO_000000000000_000
"$SE3T" export-kim --checkpoint "$RUN_DIR/train/best_model.pt" --out "$RUN_DIR/src/$name" \
  --name "$name"
(cd "$RUN_DIR" && kim-api-collections-management install environment "src/$name" > install.log)

# The first test frame as a LAMMPS data file (types 1 = H, 2 = O), atoms wrapped into the box.
python3 - "$RUN_DIR/water.data" <<'EOF'
import gzip, re, sys
with gzip.open("data/xtb/water/test.extxyz.gz", "rt") as f:
    n = int(f.readline())
    header = f.readline()
    rows = [f.readline().split() for _ in range(n)]
cell = [float(x) for x in re.search(r'Lattice="([^"]*)"', header).group(1).split()]
L = [cell[0], cell[4], cell[8]]
with open(sys.argv[1], "w") as out:
    out.write(f"water\n\n{n} atoms\n2 atom types\n\n")
    for a, l in zip("xyz", L):
        out.write(f"0 {l} {a}lo {a}hi\n")
    out.write("\nMasses\n\n1 1.008\n2 15.999\n\nAtoms # atomic\n\n")
    for i, r in enumerate(rows):
        x = [float(v) % l for v, l in zip(r[1:4], L)]
        out.write(f"{i + 1} {1 if r[0] == 'H' else 2} {x[0]} {x[1]} {x[2]}\n")
# The same box, and replicated 5 x 2 x 1, as extended XYZ for se3t md.
for name, rep in (("water-1x1x1", (1, 1, 1)), ("water-5x2x1", (5, 2, 1))):
    with open(sys.argv[1].replace("water.data", name + ".extxyz"), "w") as out:
        out.write(f"{n * rep[0] * rep[1] * rep[2]}\n")
        out.write(f'Lattice="{L[0] * rep[0]} 0 0 0 {L[1] * rep[1]} 0 0 0 {L[2] * rep[2]}" '
                  'pbc="T T T" Properties=species:S:1:pos:R:3\n')
        for i in range(rep[0]):
            for j in range(rep[1]):
                for k in range(rep[2]):
                    for r in rows:
                        x = [float(v) % l for v, l in zip(r[1:4], L)]
                        out.write(f"{r[0]} {x[0] + i * L[0]} {x[1] + j * L[1]} {x[2] + k * L[2]}\n")
EOF

printf "%-10s %6s %5s %14s %12s\n" box atoms ranks atom-steps/s ghosts/rank
for rep in "1 1 1" "5 2 1"; do
  for ranks in 1 2; do
    dir=$RUN_DIR/run-${rep// /x}-$ranks
    mkdir -p "$dir"
    cat > "$dir/in.lmp" <<EOF
kim init $name metal
boundary p p p
atom_style atomic
read_data $RUN_DIR/water.data
replicate $rep
kim interactions H O
neighbor 1.0 bin
velocity all create 300.0 4928459 loop geom
fix nve all nve
timestep 0.0005
thermo $STEPS
run $STEPS
EOF
    launcher=()
    [ "$ranks" -gt 1 ] && launcher=(mpirun --allow-run-as-root --oversubscribe --bind-to none
                                    --mca btl self,vader --mca oob_tcp_if_include lo -np "$ranks")
    (cd "$dir" && "${launcher[@]}" lmp -in in.lmp -log log.lammps > out.txt 2>&1)
    atoms=$(sed -n 's/^Loop time of .* steps with \([0-9]*\) atoms/\1/p' "$dir/log.lammps" | tail -1)
    tps=$(sed -n 's/^Performance: .* \([0-9.e+-]*\) timesteps\/s.*/\1/p' "$dir/log.lammps" | tail -1)
    ghosts=$(sed -n 's/^Nghost: *\([0-9.]*\) ave.*/\1/p' "$dir/log.lammps" | tail -1)
    printf "%-10s %6s %5s %14.0f %12s\n" "${rep// /x}" "$atoms" "$ranks" \
      "$(echo "$atoms * $tps" | bc -l)" "$ghosts"
  done
done

# se3t md on the same boxes with the same model (one process, one thread): the ratio.
echo "se3t md, the same model and boxes (one thread):"
for box in water-1x1x1 water-5x2x1; do
  summary=$("$SE3T" md --checkpoint "$RUN_DIR/train/best_model.pt" --data "$RUN_DIR/$box.extxyz" \
    --steps "$STEPS" --dt 0.5 --temperature 300 --every "$STEPS" --quiet \
    --out "$RUN_DIR/$box-md.extxyz")
  us=$(echo "$summary" | sed -n 's/.*"us_per_atom_step": \([0-9.e+-]*\).*/\1/p')
  printf "%-12s %14.0f atom-steps/s\n" "$box" "$(echo "1000000 / $us" | bc -l)"
done
