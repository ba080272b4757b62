#!/usr/bin/env bash
# Seeds for the ext4_mount fuzz target: small ext2/3/4 images made by mke2fs -d (and debugfs
# for what -d cannot make), one per layout the driver reads, with their trailing zeros cut.
#   fuzz/seeds/ext4_mount.sh OUTDIR
set -euo pipefail
out=$1
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The tree: files of a few sizes, a sparse file past the indirect blocks, fast and slow
# symlinks, a FIFO, a directory of 120 long names (several blocks: indexed by e2fsck -D).
src=$work/src
mkdir -p "$src/dir/sub" "$src/big"
printf 'hello\n' > "$src/small"
head -c 5000 /dev/urandom > "$src/dir/five_k"
printf 'x' | dd of="$src/sparse" bs=1 seek=300000 conv=notrunc status=none
ln -s small "$src/fast_link"
ln -s "$(printf 'a%.0s' $(seq 1 100))/target" "$src/dir/slow_link"
ln "$src/small" "$src/dir/hard"
mkfifo "$src/dir/fifo"
for i in $(seq 1 120); do : > "$src/big/a_long_file_name_to_fill_directory_blocks_$i"; done

cut_zeros() {  # cut_zeros IMG OUT: OUT is IMG without its trailing zeros (perl-base is essential)
  perl -0777 -pe 's/\0+\z//' "$1" > "$2"
}

make() {  # make NAME SIZE MKE2FS-ARGS...
  local name=$1 size=$2
  shift 2
  local img=$work/$name.img
  mke2fs -q -F -N 256 "$@" -d "$src" "$img" "$size" >/dev/null 2>&1
  debugfs -w -R 'ea_set /small user.seed a_value' "$img" >/dev/null 2>&1
  debugfs -w -R 'ea_set /dir/five_k trusted.big '"$(printf 'v%.0s' $(seq 1 300))" "$img" >/dev/null 2>&1
  e2fsck -fyD "$img" >/dev/null 2>&1 || true  # index the big directory (exit 1: it changed)
  cut_zeros "$img" "$out/$name"
}

make ext2 512K -t ext2 -b 1024 -I 128
make ext3_indirect 768K -t ext3 -b 1024 -O ^has_journal
make ext4 768K -t ext4 -b 1024 -O ^has_journal
make ext4_no64_uninit 768K -t ext4 -b 1024 -O ^has_journal,^64bit,^metadata_csum,uninit_bg
make ext4_inline 768K -t ext4 -b 1024 -I 256 -O ^has_journal,inline_data
make ext4_4k 1M -t ext4 -b 4096 -O ^has_journal

# A journal that needs recovery: two blocks of /small's data rewritten, one revoked.
img=$work/journal.img
mke2fs -q -F -N 256 -t ext4 -b 1024 -d "$src" "$img" 3M >/dev/null 2>&1
blk=$(debugfs -R 'bmap /small 0' "$img" 2>/dev/null)
head -c 1024 /dev/urandom > "$work/b"
printf 'jo -c\njw -b %s %s\njc\n' "$blk" "$work/b" > "$work/cmds"
debugfs -w -f "$work/cmds" "$img" >/dev/null 2>&1
cut_zeros "$img" "$out/ext4_journal"
