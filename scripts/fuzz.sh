#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan) and runs each for SECONDS (default
# 60) on a scratch copy of its corpus. CI runs it briefly; run it longer by hand.
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
if [ ! -d build-fuzz ]; then
  CC=clang CXX=clang++ meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined \
    -Db_lundef=false -Dtests=false -Dbench=false -Dexamples=false >/dev/null
fi
meson compile -C build-fuzz >/dev/null
for target in build-fuzz/fuzz/*-fuzz; do
  name=$(basename "$target" -fuzz)
  work=$(mktemp -d)
  cp -r "fuzz/corpus/$name/." "$work/"
  echo "fuzz: $name for ${secs}s"
  "$target" -max_total_time="$secs" -print_final_stats=1 "$work" 2>&1 | grep -E "stat::number_of_executed_units|ERROR|SUMMARY|crash-" || true
  "$target" -runs=0 "$work" >/dev/null 2>&1  # fails if any input of the final corpus crashes
  rm -rf "$work"
done
