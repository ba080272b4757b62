#!/usr/bin/env bash
# Installs libuml's build and test dependencies from Debian 12's packages.
set -euo pipefail
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  g++ meson ninja-build pkg-config \
  libboost-context-dev liburing-dev catch2 \
  gcovr e2fsprogs fio fuse2fs >/dev/null
# e2fsprogs: mke2fs, debugfs and e2fsck make and check the ext4 test images; fio and fuse2fs
# are baselines of the disk and ext4 benchmarks.
