#!/bin/sh
# docs/syscalls.md must be what uml-syscalls-doc prints from the syscall list.
set -u
gen=$1
doc=$2
if ! "$gen" | cmp -s - "$doc"; then
  echo "docs/syscalls.md is out of date: run 'meson compile -C build update-syscalls-doc'"
  "$gen" | diff -u "$doc" - | head -20
  exit 1
fi
echo "docs/syscalls.md: up to date"
