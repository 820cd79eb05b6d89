#!/usr/bin/env bash
# The main job: builds se3t if needed, then measures the equivariance errors of the SO(3) core
# on this machine (`se3t selfcheck`). The N-body experiment replaces this once it lands.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/se3t ] || bash scripts/build.sh
OMP_WAIT_POLICY=passive build/se3t selfcheck "$@"
