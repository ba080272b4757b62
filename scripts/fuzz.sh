#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan) and runs each for SECONDS (default
# 60) on a scratch copy of its corpus (fuzz/corpus/NAME, or made by fuzz/seeds/NAME.sh).
# fuzz/seeds/NAME.options adds libFuzzer flags for one target. An input that runs longer
# than 30 s is a hang, and fails. CI runs it briefly; run it longer by hand.
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
if [ ! -d build-fuzz ]; then
  CC=clang CXX=clang++ meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined \
    -Db_lundef=false -Dtests=false -Dbench=false -Dexamples=false >/dev/null
fi
meson compile -C build-fuzz >/dev/null
for target in build-fuzz/fuzz/*-fuzz; do
  name=$(basename "$target" -fuzz)
  work=$(mktemp -d)
  if [ -x "fuzz/seeds/$name.sh" ]; then
    "fuzz/seeds/$name.sh" "$work"
  else
    cp -r "fuzz/corpus/$name/." "$work/"
  fi
  opts=$(grep -v "^#" "fuzz/seeds/$name.options" 2>/dev/null || true)
  echo "fuzz: $name for ${secs}s"
  # shellcheck disable=SC2086
  "$target" -max_total_time="$secs" -timeout=30 -print_final_stats=1 $opts "$work" 2>&1 | grep -E "stat::number_of_executed_units|ERROR|SUMMARY|crash-" || true
  # shellcheck disable=SC2086
  "$target" -runs=0 $opts "$work" >/dev/null 2>&1  # fails if any input of the final corpus crashes
  rm -rf "$work"
done
