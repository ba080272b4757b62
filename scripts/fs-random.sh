#!/usr/bin/env bash
# The random differential test of the file syscalls, for longer than the default test run:
# ITERATIONS sequences of OPS operations from SEED, as root and then unprivileged.
#   scripts/fs-random.sh [ITERATIONS] [OPS] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
iterations=${1:-20000}
ops=${2:-200}
seed=${3:-$RANDOM$RANDOM}
[ -d build ] || meson setup build >/dev/null
meson compile -C build test/fs-random >/dev/null
echo "fs-random: seed $seed"
build/test/fs-random --iterations "$iterations" --ops "$ops" --seed "$seed"
build/test/fs-random --iterations "$iterations" --ops "$ops" --seed "$seed" --unprivileged
