#!/usr/bin/env bash
# Generates the xtb data sets of data/xtb/ (see data/xtb/README.md): aspirin in vacuum at
# 500 K (GFN2-xTB) and liquid water at 300 K (GFN1-xTB, periodic).
#
#   scripts/make-xtb-data.sh [aspirin|water ...]     # both when no name is given
#
# Each stage (optimisation, one MD chunk of a few ps, the labels of one chunk) keeps its
# output in WORK_DIR and writes a .done marker; a rerun skips finished stages, so the script
# can be stopped and run again, and a longer layout (ASPIRIN_LAYOUT, WATER_LAYOUT) extends a
# data set.
# Deterministic: xtb runs with one thread, --norestart (no SCC guess from an earlier run) and
# a fixed random seed ($samerand), so the same xtb build writes the same files.
#
# Environment: XTB (default xtb), WORK_DIR (default build-xtb-data), OUT_DIR (default
# data/xtb), NICE (default 19).
set -euo pipefail
cd "$(dirname "$0")/.."

XTB=${XTB:-xtb}
WORK_DIR=${WORK_DIR:-build-xtb-data}
OUT_DIR=${OUT_DIR:-data/xtb}
NICE=${NICE:-19}
PY=/usr/bin/python3
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OMP_STACKSIZE=1G

command -v "$XTB" >/dev/null 2>&1 || {
  echo "make-xtb-data: '$XTB' not found; install xtb (Debian: apt-get install xtb) or set XTB" >&2
  exit 1
}
"$PY" -c "import numpy" 2>/dev/null || {
  echo "make-xtb-data: $PY has no numpy (Debian: apt-get install python3-numpy)" >&2
  exit 1
}
XTB=$(command -v "$XTB")
xtb_version=$("$XTB" --version 2>&1 | grep -o "xtb version [0-9.]*" | head -n1)
echo "make-xtb-data: $xtb_version ($XTB)"
mkdir -p "$WORK_DIR" "$OUT_DIR"
WORK_DIR=$(cd "$WORK_DIR" && pwd)
OUT_DIR=$(cd "$OUT_DIR" && pwd)

xtb() { (cd "$1" && shift && nice -n "$NICE" "$XTB" "$@" > xtb.out 2>&1) || {
  echo "make-xtb-data: xtb $* failed in $1 (see $1/xtb.out)" >&2; exit 1; }
  grep -q "normal termination of xtb" "$1/xtb.out" || {
    echo "make-xtb-data: xtb did not terminate normally in $1 (see $1/xtb.out)" >&2; exit 1; }
}

# stage NAME FUNCTION ARGS...: runs FUNCTION in a fresh WORK_DIR/NAME unless NAME.done exists.
stage() {
  local name=$1
  shift
  if [ -e "$WORK_DIR/$name.done" ]; then
    echo "  $name: done before, skipped"
    return
  fi
  local start=$SECONDS
  rm -rf "${WORK_DIR:?}/$name"
  mkdir -p "$WORK_DIR/$name"
  "$@" "$WORK_DIR/$name"
  touch "$WORK_DIR/$name.done"
  echo "  $name: $((SECONDS - start)) s"
}

# md_input FILE TEMP_K PS DUMP_FS STEP_FS RESTART: an xcontrol(7) $md block; Berendsen
# thermostat (the one xtb has), no SHAKE and real hydrogen masses, as in MD17.
md_input() {
  cat > "$1" <<EOF
\$md
   temp=$2
   time=$3
   dump=$4
   step=$5
   shake=0
   hmass=1
   nvt=true
   velo=false
   restart=$6
\$samerand
\$end
EOF
}

# md_chunk PREVIOUS START_GEOMETRY TEMP PS DUMP_FS STEP_FS METHOD... DIR: one MD chunk,
# continuing the chunk in WORK_DIR/PREVIOUS through its mdrestart (positions and velocities);
# with PREVIOUS "none" it starts from START_GEOMETRY with velocities from the seeded generator.
md_chunk() {
  local previous=$1 start=$2 temp=$3 ps=$4 dump=$5 step=$6
  shift 6
  local dir=${*: -1}
  local method=("${@:1:$#-1}")
  cp "$start" "$dir/"
  local restart=false
  if [ "$previous" != none ]; then
    cp "$WORK_DIR/$previous/mdrestart" "$dir/mdrestart"
    restart=true
  fi
  md_input "$dir/md.inp" "$temp" "$ps" "$dump" "$step" "$restart"
  xtb "$dir" "$(basename "$start")" --md --input md.inp --norestart "${method[@]}"
  [ -s "$dir/xtb.trj" ] && [ -s "$dir/mdrestart" ] || {
    echo "make-xtb-data: no trajectory in $dir" >&2; exit 1; }
}

# label TRJ T0_FS DUMP_FS STRIDE CELL UNCONVERGED LABEL_ARGS... DIR: energies and forces of
# every STRIDE-th frame of TRJ (frames DUMP_FS apart, the first at T0_FS); CELL is the cubic
# cell edge (Angstrom) or "none"; UNCONVERGED "skip" leaves out frames whose SCC does not
# converge or converges to a HOMO-LUMO gap below 1 eV (listed in frames.extxyz.skipped),
# "stop" stops at the first that does not converge.
label() {
  local trj=$1 t0=$2 dump=$3 stride=$4 cell=$5 unconverged=$6
  shift 6
  local dir=${*: -1}
  local args="${*:1:$#-1}"
  local options=()
  [ "$cell" != none ] && options+=(--cell "$cell")
  [ "$unconverged" = skip ] && options+=(--skip-unconverged --min-gap-ev 1.0)
  nice -n "$NICE" "$PY" scripts/xtb_data.py label "$trj" "$dir/frames.extxyz" --t0-fs "$t0" \
    --dump-fs "$dump" --stride "$stride" "${options[@]}" --xtb "$XTB" --xtb-args "$args"
  rm -rf "$dir/frames.extxyz.work"
}

# stress FRAMES XTB_ARGS... DIR: FRAMES with the stress of each (central differences of xtb
# energies under strain, 12 single points a frame: xtb writes no GFN1 lattice gradient).
stress() {
  local frames=$1
  shift
  local dir=${*: -1}
  local args="${*:1:$#-1}"
  nice -n "$NICE" "$PY" scripts/xtb_data.py stress "$frames" "$dir/frames.extxyz" --xtb "$XTB" \
    --xtb-args "$args"
}

# assemble PREFIX SPLIT LABEL_STAGES...: the split's labelled chunks, in time order, gzip'ed
# without a name or time stamp in the header (gzip -n) so the bytes depend on the data only.
assemble() {
  local prefix=$1 split=$2
  shift 2
  mkdir -p "$OUT_DIR/$prefix"
  local files=() name
  for name in "$@"; do files+=("$WORK_DIR/$name/frames.extxyz"); done
  cat "${files[@]}" | gzip -9 -n > "$OUT_DIR/$prefix/$split.extxyz.gz.tmp"
  mv "$OUT_DIR/$prefix/$split.extxyz.gz.tmp" "$OUT_DIR/$prefix/$split.extxyz.gz"
  local n
  n=$(zcat "$OUT_DIR/$prefix/$split.extxyz.gz" | grep -c Properties)
  echo "  $prefix/$split.extxyz.gz: $n frames"
}

# run_trajectory PREFIX START TEMP DUMP STEP LAYOUT METHOD...: the MD chunks in LAYOUT order,
# each ROLE:PS (role equil, gap, train, valid or test; PS its length in ps), labels for the
# chunks in a split, and the split files.  LABEL_ARGS (global) holds the labelling options.
run_trajectory() {
  local prefix=$1 start=$2 temp=$3 dump=$4 step=$5 layout=$6
  shift 6
  local method=("$@")
  local chunks roles=() lengths=() t0s=() t0=0
  read -r -a chunks <<< "$layout"
  local k
  for k in "${!chunks[@]}"; do
    roles+=("${chunks[$k]%%:*}")
    lengths+=("${chunks[$k]#*:}")
    t0s+=("$t0")
    t0=$("$PY" -c "print($t0 + ${lengths[$k]} * 1000.0)")
  done
  # A chunk's stage name holds its length and a digest of the lengths up to it, so a changed
  # layout never reuses a chunk that differs (or follows one that differs).
  local previous=none names=()
  for k in "${!chunks[@]}"; do
    local digest
    digest=$(echo "${lengths[*]:0:k+1}" | md5sum | cut -c1-8)
    names+=("$k-${lengths[$k]}ps-$digest")
  done
  for k in "${!chunks[@]}"; do
    local name="$prefix-md-${names[$k]}"
    stage "$name" md_chunk "$previous" "$start" "$temp" "${lengths[$k]}" "$dump" "$step" \
      "${method[@]}"
    case ${roles[$k]} in
      train | valid | test)
        stage "$prefix-label-${names[$k]}" label "$WORK_DIR/$name/xtb.trj" "${t0s[$k]}" \
          "$dump" 1 none stop "${LABEL_ARGS[@]}" ;;
      equil | gap) ;;
      *) echo "make-xtb-data: unknown role '${roles[$k]}' in '$layout'" >&2; exit 1 ;;
    esac
    previous=$name
  done
  local split
  for split in train valid test; do
    local picked=()
    for k in "${!roles[@]}"; do
      [ "${roles[$k]}" = "$split" ] && picked+=("$prefix-label-${names[$k]}")
    done
    if [ ${#picked[@]} -gt 0 ]; then assemble "$prefix" "$split" "${picked[@]}"; fi
  done
}

# Aspirin, C9H8O4 (SMILES CC(=O)OC1=CC=CC=C1C(=O)O): the start geometry is Open Babel 3.1.1's
# `obabel -:"CC(=O)OC1=CC=CC=C1C(=O)O" -oxyz --gen3d`, kept here so that Open Babel is not
# needed and its version cannot change the data.
aspirin_start() {
  cat > "$1/aspirin.xyz" <<'EOF'
21
aspirin, Open Babel --gen3d
C          1.00794        0.34977       -0.98414
C          2.45283        0.26277       -1.37239
O          2.85830       -0.29445       -2.38190
O          3.22792        0.92130       -0.40952
C          4.63337        0.97449       -0.55627
C          5.35197       -0.15188       -0.97095
C          6.73919       -0.08187       -1.11606
C          7.41307        1.09905       -0.82425
C          6.70461        2.21372       -0.37090
C          5.31031        2.15712       -0.21844
C          4.64184        3.38531        0.28347
O          5.08326        4.50471        0.08315
O          3.55716        3.15581        1.05294
H          0.41122       -0.24986       -1.67938
H          0.67184        1.38758       -1.03859
H          0.86437       -0.05197        0.02200
H          4.85089       -1.08791       -1.20511
H          7.28859       -0.95128       -1.46988
H          8.49331        1.15448       -0.94496
H          7.24525        3.12997       -0.13485
H          3.35455        2.20991        1.17860
EOF
  xtb "$1" aspirin.xyz --opt tight --gfn 2 --norestart
}

make_aspirin() {
  echo "aspirin (GFN2-xTB, vacuum, 500 K)"
  stage aspirin-opt aspirin_start
  # 5 ps equilibration, then twice, 1 ps apart: 5 ps (500 frames), 1 ps gap, 2.5 ps (250),
  # 1 ps gap, 10 ps (1,000); frames every 10 fs, time step 0.5 fs. The segments' frames are
  # then re-split by interleave (below).
  # The first half of the layout alone gives half the data; a layout that starts with the
  # chunks already run reuses them.
  LABEL_ARGS=(--gfn 2 --acc 0.01)
  local half="equil:5 train:5 gap:1 valid:2.5 gap:1 test:5 test:5"
  run_trajectory aspirin "$WORK_DIR/aspirin-opt/xtbopt.xyz" 500.0 10.0 0.5 \
    "${ASPIRIN_LAYOUT:-$half gap:1 train:5 gap:1 valid:2.5 gap:1 test:5 test:5}" --gfn 2
  # Segments of 5-10 ps are shorter than aspirin's conformational changes at 500 K (the COOH
  # group turns over on a 10 ps scale): the first train segments never see the conformer half
  # the test frames are in. So the labelled frames are re-split by time: blocks of 0.5 ps take
  # the roles train, test, train, test, valid, test, test in turn, and test frames within
  # 100 fs of a train or valid frame are left out (1,000 / 500 / 1,460 frames).
  "$PY" scripts/xtb_data.py interleave "$OUT_DIR"/aspirin/{train,valid,test}.extxyz.gz \
    --out-dir "$WORK_DIR/aspirin-interleaved" --block 50 \
    --pattern "train test train test valid test test" --margin-fs 100
  local split
  for split in train valid test; do
    gzip -9 -n < "$WORK_DIR/aspirin-interleaved/$split.extxyz" \
      > "$OUT_DIR/aspirin/$split.extxyz.gz.tmp"
    mv "$OUT_DIR/aspirin/$split.extxyz.gz.tmp" "$OUT_DIR/aspirin/$split.extxyz.gz"
  done
}

# Liquid water, 32 molecules in a cubic box of 9.865 A (1.00 g/cm^3 for H2O), 300 K: xtb 6.5
# has periodic boundaries for GFN1-xTB only (GFN2: "Multipoles not available with PBC"; GFN-FF:
# "Input file format not suitable for GFN-FF" for periodic input), and a periodic GFN1 MD of
# 96 atoms (several s per step here) would take days, so the configurations come from a
# classical flexible-TIP3P Langevin MD (scripts/water_md.py) and only the labels from xtb.
# Chunks of 25 frames 50 fs apart (1.25 ps) after 5 ps of equilibration, every WATER_STRIDE-th
# frame labelled (default 5: 250 fs apart, 5 per chunk; a GFN1 gradient of the box takes about
# 10 s here, its stress about 25 s): train 2 chunks (10 frames), 2.5 ps gap, valid 1 (5),
# 2.5 ps gap, test 4 (20).
# WATER_STRIDE=1 labels every frame (25 per chunk) in new stages. For some configurations
# periodic GFN1 does not converge (the SCC oscillates, also with 1000 iterations or the
# default accuracy) or converges to a spurious state with a gap near 0 eV (7 eV otherwise):
# those frames are left out and listed.
WATER_N=32
WATER_L=9.865
WATER_FRAMES=25
WATER_EVERY_FS=50.0
WATER_STRIDE=${WATER_STRIDE:-5}
# water_md CHUNKS DIR: the classical trajectory, seeded, so that a longer run repeats the
# chunks of a shorter one and their labels stay valid.
water_md() {
  nice -n "$NICE" "$PY" scripts/water_md.py "$WATER_N" "$WATER_L" 7 "$2" --chunks "$1" \
    --frames "$WATER_FRAMES" --every-fs "$WATER_EVERY_FS" --equil-ps 5.0
}

make_water() {
  echo "water (GFN1-xTB, periodic, 300 K)"
  WATER_LAYOUT=${WATER_LAYOUT:-train train gap gap valid gap gap test test test test}
  local roles k
  read -r -a roles <<< "$WATER_LAYOUT"
  local md="water-md-${#roles[@]}chunks"
  stage "$md" water_md "${#roles[@]}"
  for k in "${!roles[@]}"; do
    case ${roles[$k]} in
      train | valid | test)
        stage "water-label-$k-s$WATER_STRIDE-gap1" label "$WORK_DIR/$md/chunk-$k.xyz" \
          "$("$PY" -c "print(5000.0 + $k * $WATER_FRAMES * $WATER_EVERY_FS)")" \
          "$WATER_EVERY_FS" "$WATER_STRIDE" "$WATER_L" skip --gfn 1 --acc 0.01
        stage "water-stress-$k-s$WATER_STRIDE-gap1" stress \
          "$WORK_DIR/water-label-$k-s$WATER_STRIDE-gap1/frames.extxyz" --gfn 1 --acc 0.01 ;;
    esac
  done
  local split
  for split in train valid test; do
    local chunks=()
    for k in "${!roles[@]}"; do
      [ "${roles[$k]}" = "$split" ] && chunks+=("water-stress-$k-s$WATER_STRIDE-gap1")
    done
    if [ ${#chunks[@]} -gt 0 ]; then assemble water "$split" "${chunks[@]}"; fi
  done
}

for name in "${@:-aspirin water}"; do
  for n in $name; do
    case $n in
      aspirin) make_aspirin ;;
      water) make_water ;;
      *) echo "make-xtb-data: unknown data set '$n' (aspirin, water)" >&2; exit 1 ;;
    esac
  done
done
