// The ext4 superblock decoder against images mke2fs makes (checked with dumpe2fs), and
// against damaged ones.

#include "core/fs/ext4/super.h"

#include "core/fs/ext4/extent.h"
#include "core/fs/ext4/group.h"
#include "core/fs/ext4/inode_raw.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <array>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/lib/crc32c.h"
#include "host_files.h"

namespace ext4 = uml::kern::ext4;

namespace {

std::string run(const std::string& cmd) { return test::shell(cmd, true).out; }

// dumpe2fs -h's "Key: value" lines.
std::map<std::string, std::string> dumpe2fs(const std::string& img) {
  std::map<std::string, std::string> m;
  std::istringstream in(run("dumpe2fs -h " + img));
  for (std::string line; std::getline(in, line);) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    size_t v = colon + 1;
    while (v < line.size() && (line[v] == ' ' || line[v] == '\t')) ++v;
    m[line.substr(0, colon)] = line.substr(v);
  }
  return m;
}

std::set<std::string> words(const std::string& s) {
  std::set<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.insert(w);
  return out;
}

std::vector<uint8_t> super_of(const std::vector<char>& image) {
  return std::vector<uint8_t>(image.begin() + 1024, image.begin() + 2048);
}

void put32(std::vector<uint8_t>& b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[off + i] = static_cast<uint8_t>(v >> (8 * i));
}
void reseal(std::vector<uint8_t>& b) { put32(b, 0x3FC, uml::kern::crc32c(~0u, b.data(), 0x3FC)); }

}  // namespace

TEST_CASE("ext4 superblocks of mke2fs's images decode as dumpe2fs reads them") {
  test::TempDir dir;
  const std::vector<std::pair<const char*, const char*>> kinds = {
      {"ext2", "-t ext2"},
      {"ext2-1k", "-t ext2 -b 1024"},
      {"ext3", "-t ext3"},
      {"ext4", "-t ext4"},
      {"ext4-noextent", "-t ext4 -O ^extent,^flex_bg,^64bit"},
      {"ext4-64bit-csum", "-t ext4 -O 64bit,metadata_csum"},
      {"ext4-inline", "-t ext4 -O inline_data,metadata_csum_seed -I 256"},
      {"ext4-nocsum", "-t ext4 -O ^metadata_csum,uninit_bg"},
  };
  for (const auto& [name, opts] : kinds) {
    INFO(name);
    const std::string img = dir.path + "/" + name + ".img";
    REQUIRE(run(std::string("mke2fs -q -F ") + opts + " " + img + " 32M >/dev/null && echo ok") == "ok\n");
    const auto image = test::read_file(img);
    const auto sb = super_of(image);
    ext4::Super s;
    const auto c = ext4::parse_super(sb.data(), image.size(), &s);
    INFO(c.why);
    REQUIRE(c.ok);
    CHECK_FALSE(c.read_only_only);
    auto d = dumpe2fs(img);
    CHECK(std::to_string(s.blocks_count) == d["Block count"]);
    CHECK(std::to_string(s.inodes_count) == d["Inode count"]);
    CHECK(std::to_string(s.block_size) == d["Block size"]);
    CHECK(std::to_string(s.blocks_per_group) == d["Blocks per group"]);
    CHECK(std::to_string(s.inodes_per_group) == d["Inodes per group"]);
    CHECK(std::to_string(s.inode_size) == d["Inode size"]);
    CHECK(std::to_string(s.first_data_block) == d["First block"]);
    CHECK(std::to_string(s.free_blocks) == d["Free blocks"]);
    const std::string ours = ext4::feature_names('c', s.compat) + " " + ext4::feature_names('i', s.incompat) + " " +
                             ext4::feature_names('r', s.ro_compat);
    CHECK(words(ours) == words(d["Filesystem features"]));
    if (s.has_incompat(ext4::feat::kInCsumSeed)) {  // dumpe2fs shows the seed only then
      char seed[16];
      snprintf(seed, sizeof seed, "0x%08x", s.csum_seed);
      CHECK(d["Checksum seed"] == seed);
    }
  }
}

TEST_CASE("damaged ext4 superblocks are refused with the reason") {
  test::TempDir dir;
  const std::string img = dir.path + "/csum.img";
  REQUIRE(run("mke2fs -q -F -t ext4 -O metadata_csum " + img + " 16M >/dev/null && echo ok") == "ok\n");
  const auto image = test::read_file(img);
  const auto good = super_of(image);
  ext4::Super s;
  auto why = [&](std::vector<uint8_t> b, uint64_t size = 0) {
    const auto c = ext4::parse_super(b.data(), size ? size : image.size(), &s);
    return c.ok ? std::string("ok") : c.why;
  };
  REQUIRE(why(good) == "ok");
  {
    auto b = good;
    b[0x38] ^= 1;
    CHECK(why(b) == "no ext2/3/4 superblock (bad magic)");
  }
  {
    auto b = good;
    b[0x100] ^= 1;  // any byte, without resealing
    CHECK(why(b) == "superblock checksum mismatch");
  }
  {
    auto b = good;
    put32(b, 0x60, (b[0x60] | b[0x61] << 8 | b[0x62] << 16 | static_cast<uint32_t>(b[0x63]) << 24) | 0x10000);
    reseal(b);
    CHECK(why(b) == "unsupported incompatible features: encrypt");
  }
  {
    auto b = good;
    put32(b, 0x64, (b[0x64] | b[0x65] << 8 | b[0x66] << 16 | static_cast<uint32_t>(b[0x67]) << 24) | 0x80000);
    reseal(b);
    const auto c = ext4::parse_super(b.data(), image.size(), &s);
    CHECK(c.ok);
    CHECK(c.read_only_only);
    CHECK(c.why.find("FEATURE_R19") != std::string::npos);
  }
  {
    auto b = good;
    put32(b, 0x28, 1u << 30);  // inodes per group
    reseal(b);
    CHECK(why(b).find("bad inodes per group") == 0);
  }
  {
    auto b = good;
    put32(b, 0x18, 40);  // log block size
    reseal(b);
    CHECK(why(b).find("absurd block size") == 0);
  }
  CHECK(why(good, 1 << 20).find("the device only") != std::string::npos);
  {
    auto b = good;
    put32(b, 0x0, 12345);  // inode count
    reseal(b);
    CHECK(why(b).find("does not match") != std::string::npos);
  }
}

namespace {

struct DumpGroup {
  uint64_t first = 0, last = 0;
  bool has_super = false;
  std::string flags;
  uint64_t csum = 0;
  bool has_csum = false;
  uint64_t block_bitmap = 0, inode_bitmap = 0, itable_first = 0, itable_last = 0;
  uint64_t free_blocks = 0, free_inodes = 0, dirs = 0, unused = 0;
};

std::vector<DumpGroup> dumpe2fs_groups(const std::string& img) {
  std::vector<DumpGroup> out;
  std::istringstream in(run("dumpe2fs " + img));
  const std::regex head(R"(^Group (\d+): \(Blocks (\d+)-(\d+)\)(?: csum 0x([0-9a-f]+))?(?: \[(.*)\])?)");
  const std::regex bb(R"(Block bitmap at (\d+))"), ib(R"(Inode bitmap at (\d+))"), it(R"(Inode table at (\d+)-(\d+))");
  const std::regex counts(R"((\d+) free (?:blocks|clusters), (\d+) free inodes, (\d+) directories(?:, (\d+) unused inodes)?)");
  std::smatch m;
  for (std::string line; std::getline(in, line);) {
    if (std::regex_search(line, m, head)) {
      DumpGroup g;
      g.first = std::stoull(m[2]);
      g.last = std::stoull(m[3]);
      if (m[4].matched) {
        g.has_csum = true;
        g.csum = std::stoull(m[4], nullptr, 16);
      }
      g.flags = m[5];
      out.push_back(g);
    } else if (out.empty()) {
      continue;
    } else if (line.find("superblock at") != std::string::npos) {
      out.back().has_super = true;
    } else if (std::regex_search(line, m, bb)) {
      out.back().block_bitmap = std::stoull(m[1]);
      if (std::regex_search(line, m, ib)) out.back().inode_bitmap = std::stoull(m[1]);
    } else if (std::regex_search(line, m, ib)) {
      out.back().inode_bitmap = std::stoull(m[1]);
    } else if (std::regex_search(line, m, it)) {
      out.back().itable_first = std::stoull(m[1]);
      out.back().itable_last = std::stoull(m[2]);
    } else if (std::regex_search(line, m, counts)) {
      out.back().free_blocks = std::stoull(m[1]);
      out.back().free_inodes = std::stoull(m[2]);
      out.back().dirs = std::stoull(m[3]);
      if (m[4].matched) out.back().unused = std::stoull(m[4]);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("ext4 group descriptors decode as dumpe2fs reads them, checksums included") {
  test::TempDir dir;
  const std::vector<std::pair<const char*, const char*>> kinds = {
      {"ext2", "-t ext2"},
      {"ext3-1k", "-t ext3 -b 1024"},
      {"ext4", "-t ext4"},
      {"ext4-64bit-csum-1k", "-t ext4 -O 64bit,metadata_csum -b 1024"},
      {"ext4-uninit", "-t ext4 -O ^metadata_csum,uninit_bg"},
      {"ext4-meta-bg", "-t ext4 -O meta_bg,^resize_inode -b 1024"},
      {"ext4-sparse2", "-t ext4 -O sparse_super2"},
  };
  for (const auto& [name, opts] : kinds) {
    INFO(name);
    const std::string img = dir.path + "/" + name + ".img";
    REQUIRE(run(std::string("mke2fs -q -F ") + opts + " " + img + " 96M >/dev/null && echo ok") == "ok\n");
    const auto image = test::read_file(img);
    ext4::Super s;
    const auto sb = super_of(image);
    REQUIRE(ext4::parse_super(sb.data(), image.size(), &s).ok);
    const auto groups = dumpe2fs_groups(img);
    REQUIRE(groups.size() == s.groups);
    for (uint32_t g = 0; g < s.groups; ++g) {
      INFO("group " << g);
      const uint64_t at = ext4::descriptor_block(s, g / s.descs_per_block()) * s.block_size +
                          uint64_t{g % s.descs_per_block()} * s.desc_size;
      REQUIRE(at + s.desc_size <= image.size());
      ext4::GroupDesc d;
      const std::string why =
          ext4::decode_desc(s, g, reinterpret_cast<const uint8_t*>(image.data() + at), &d);
      REQUIRE(why.empty());
      const DumpGroup& x = groups[g];
      CHECK(s.group_first_block(g) == x.first);
      CHECK(s.group_first_block(g) + s.blocks_in_group(g) - 1 == x.last);
      CHECK(ext4::group_has_super(s, g) == x.has_super);
      CHECK(d.block_bitmap == x.block_bitmap);
      CHECK(d.inode_bitmap == x.inode_bitmap);
      CHECK(d.inode_table == x.itable_first);
      CHECK(d.inode_table + s.itable_blocks() - 1 == x.itable_last);
      CHECK(d.free_blocks == x.free_blocks);
      CHECK(d.free_inodes == x.free_inodes);
      CHECK(d.used_dirs == x.dirs);
      if (x.has_csum) CHECK(d.checksum == x.csum);
      CHECK(ext4::has_desc_checksum(s) == x.has_csum);
    }
    // A table pointed past the end is caught (the checksum resealed, where there is one).
    {
      const uint64_t at = ext4::descriptor_block(s, 0) * s.block_size;
      std::vector<uint8_t> raw(image.begin() + static_cast<long>(at), image.begin() + static_cast<long>(at + s.desc_size));
      put32(raw, 0x8, static_cast<uint32_t>(s.blocks_count - 1));
      const uint16_t c = ext4::desc_checksum(s, 0, raw.data());
      raw[0x1E] = static_cast<uint8_t>(c);
      raw[0x1F] = static_cast<uint8_t>(c >> 8);
      ext4::GroupDesc d;
      CHECK(ext4::decode_desc(s, 0, raw.data(), &d).find("inode table at block") != std::string::npos);
    }
    // A flipped byte in a checksummed descriptor is caught.
    if (ext4::has_desc_checksum(s)) {
      const uint64_t at = ext4::descriptor_block(s, 0) * s.block_size;
      std::vector<uint8_t> raw(image.begin() + static_cast<long>(at), image.begin() + static_cast<long>(at + s.desc_size));
      raw[0xC] ^= 1;
      ext4::GroupDesc d;
      CHECK(ext4::decode_desc(s, 0, raw.data(), &d) == "group 0: descriptor checksum mismatch");
    }
  }
}

TEST_CASE("ext4 inodes decode as debugfs stat shows them, checksums included") {
  test::TempDir dir;
  const std::string tree = dir.path + "/tree";
  REQUIRE(run("mkdir -p " + tree + "/sub/deeper && echo hello > " + tree + "/f && ln -s f " + tree +
              "/short && ln -s " + std::string(200, 'x') + " " + tree + "/long && mkfifo " + tree +
              "/fifo && head -c 300000 /dev/urandom > " + tree + "/big && echo ok") == "ok\n");
  for (const char* opts : {"-t ext4", "-t ext4 -O ^metadata_csum -I 128", "-t ext2", "-t ext4 -O inline_data"}) {
    INFO(opts);
    const std::string img = dir.path + "/i.img";
    REQUIRE(run(std::string("mke2fs -q -F ") + opts + " -d " + tree + " " + img + " 32M >/dev/null && echo ok") == "ok\n");
    const auto image = test::read_file(img);
    ext4::Super s;
    const auto sb = super_of(image);
    REQUIRE(ext4::parse_super(sb.data(), image.size(), &s).ok);
    for (uint32_t ino = 2; ino <= s.first_ino + 8; ++ino) {
      if (ino > 2 && ino < s.first_ino) continue;  // reserved inodes
      INFO("inode " << ino);
      ext4::InodeSlot slot;
      REQUIRE(ext4::inode_slot(s, ino, &slot).empty());
      const uint64_t gd_at = ext4::descriptor_block(s, slot.group / s.descs_per_block()) * s.block_size +
                             uint64_t{slot.group % s.descs_per_block()} * s.desc_size;
      ext4::GroupDesc gd;
      REQUIRE(ext4::decode_desc(s, slot.group, reinterpret_cast<const uint8_t*>(image.data() + gd_at), &gd).empty());
      const uint64_t at = gd.inode_table * s.block_size + slot.offset;
      ext4::RawInode n;
      const std::string why = ext4::decode_inode(s, ino, reinterpret_cast<const uint8_t*>(image.data() + at), &n);
      INFO(why);
      REQUIRE(why.empty());
      const std::string st = run(img.empty() ? "" : "debugfs -R 'stat <" + std::to_string(ino) + ">' " + img);
      std::smatch m;
      auto num = [&](const char* re) -> uint64_t {
        if (!std::regex_search(st, m, std::regex(re))) return ~uint64_t{0};
        return std::stoull(m[1], nullptr, 0);
      };
      if (n.mode == 0) {  // unused
        CHECK(num(R"(Links: (\d+))") == 0);
        continue;
      }
      CHECK((n.mode & 07777) == num(R"(Mode:\s+(0\d+))"));
      CHECK(n.flags == num(R"(Flags: (0x[0-9a-f]+))"));
      CHECK(n.generation == num(R"(Generation: (\d+))"));
      CHECK(n.uid == num(R"(User:\s+(\d+))"));
      CHECK(n.gid == num(R"(Group:\s+(\d+))"));
      CHECK(n.size == num(R"(Size: (\d+))"));
      CHECK(n.links == num(R"(Links: (\d+))"));
      CHECK(n.blocks == num(R"(Blockcount: (\d+))"));
      CHECK(n.file_acl == num(R"(File ACL: (\d+))"));
      if (s.inode_size > 128) {
        CHECK(n.extra_isize == num(R"(Size of extra inode fields: (\d+))"));
        REQUIRE(std::regex_search(st, m, std::regex(R"(mtime: 0x([0-9a-f]+):([0-9a-f]+))")));
        const uint32_t lo = static_cast<uint32_t>(std::stoul(m[1], nullptr, 16));
        const uint32_t extra = static_cast<uint32_t>(std::stoul(m[2], nullptr, 16));
        CHECK(n.mtime_ns == (static_cast<int64_t>(static_cast<int32_t>(lo)) + (int64_t{extra & 3} << 32)) * 1'000'000'000 +
                                (extra >> 2));
      }
      if (s.metadata_csum()) CHECK(n.checksum == num(R"(Inode checksum: (0x[0-9a-f]+))"));
      // A flipped byte of a checksummed inode is caught.
      if (s.metadata_csum()) {
        std::vector<uint8_t> raw(image.begin() + static_cast<long>(at), image.begin() + static_cast<long>(at + s.inode_size));
        raw[0x4] ^= 1;
        ext4::RawInode bad;
        CHECK(ext4::decode_inode(s, ino, raw.data(), &bad).find("checksum mismatch") != std::string::npos);
      }
    }
  }
  ext4::Super s;
  s.inodes_count = 100;
  s.inodes_per_group = 50;
  s.inode_size = 256;
  ext4::InodeSlot slot;
  CHECK_FALSE(ext4::inode_slot(s, 0, &slot).empty());
  CHECK_FALSE(ext4::inode_slot(s, 101, &slot).empty());
  REQUIRE(ext4::inode_slot(s, 51, &slot).empty());
  CHECK(slot.group == 1);
  CHECK(slot.offset == 0);
  // Times past 2262 (epoch bits) saturate instead of overflowing; a bad extra size is caught.
  s.blocks_count = 1000;
  std::vector<uint8_t> raw(256, 0);
  raw[0x1] = 0x81;                // S_IFREG
  raw[0x80] = 32;                 // extra_isize
  put32(raw, 0x10, 0x7fffffff);  // mtime
  put32(raw, 0x88, 3);            // epoch bits 3
  ext4::RawInode n;
  REQUIRE(ext4::decode_inode(s, 5, raw.data(), &n).empty());
  CHECK(n.mtime_ns == INT64_MAX);
  raw[0x80] = 130;
  CHECK(ext4::decode_inode(s, 5, raw.data(), &n) == "inode 5: bad extra inode size 130");
}

namespace {

struct Img {
  std::vector<char> bytes;
  ext4::Super s;
  const uint8_t* at(uint64_t off) const { return reinterpret_cast<const uint8_t*>(bytes.data() + off); }
  ext4::RawInode inode(uint32_t ino) const {
    ext4::InodeSlot slot;
    REQUIRE(ext4::inode_slot(s, ino, &slot).empty());
    ext4::GroupDesc gd;
    REQUIRE(ext4::decode_desc(s, slot.group,
                              at(ext4::descriptor_block(s, slot.group / s.descs_per_block()) * s.block_size +
                                 uint64_t{slot.group % s.descs_per_block()} * s.desc_size),
                              &gd)
                .empty());
    ext4::RawInode n;
    REQUIRE(ext4::decode_inode(s, ino, at(gd.inode_table * s.block_size + slot.offset), &n).empty());
    return n;
  }
};

// Every leaf extent of inode n, walking the tree from its root; "" or the first reason.
std::string walk(const Img& img, const ext4::RawInode& n, std::vector<ext4::Extent>* out, int* depth) {
  ext4::ExtentNode root;
  std::string why = ext4::decode_extent_node(img.s, n, n.block, 60, true, -1, 0, &root);
  if (!why.empty()) return why;
  *depth = root.depth;
  std::vector<std::pair<ext4::ExtentNode, size_t>> stack{{root, 0}};
  while (!stack.empty()) {
    auto& [node, i] = stack.back();
    if (node.depth == 0) {
      out->insert(out->end(), node.extents.begin(), node.extents.end());
      stack.pop_back();
      continue;
    }
    if (i == node.index.size()) {
      stack.pop_back();
      continue;
    }
    const ext4::ExtentIndex x = node.index[i++];
    const int child_depth = node.depth - 1;
    ext4::ExtentNode child;
    why = ext4::decode_extent_node(img.s, n, img.at(x.leaf * img.s.block_size), img.s.block_size, false, child_depth,
                                   x.lblk, &child);
    if (!why.empty()) return why;
    stack.emplace_back(std::move(child), 0);
  }
  return {};
}

}  // namespace

TEST_CASE("ext4 extent trees of every depth walk to the extents debugfs lists") {
  test::TempDir dir;
  const std::string tree = dir.path + "/t";
  REQUIRE(run("mkdir -p " + tree + " && echo ok") == "ok\n");
  {  // 600 separate runs of 4 KiB: a tree two levels deep with 1 KiB blocks
    FILE* f = fopen((tree + "/sparse").c_str(), "wb");
    std::vector<char> data(4096, 'x');
    for (int i = 0; i < 1200; i += 2) {
      fseek(f, i * 4096L, SEEK_SET);
      fwrite(data.data(), 1, data.size(), f);
    }
    fclose(f);
  }
  REQUIRE(run("head -c 100000 /dev/urandom > " + tree + "/small && echo ok") == "ok\n");
  for (const char* opts : {"-t ext4 -b 1024", "-t ext4 -b 4096", "-t ext4 -O ^metadata_csum -b 1024"}) {
    INFO(opts);
    const std::string path = dir.path + "/x.img";
    REQUIRE(run(std::string("mke2fs -q -F ") + opts + " -d " + tree + " " + path + " 64M >/dev/null && echo ok") == "ok\n");
    Img img;
    img.bytes = test::read_file(path);
    REQUIRE(ext4::parse_super(super_of(img.bytes).data(), img.bytes.size(), &img.s).ok);
    int deepest = 0;
    for (uint32_t ino : {12u, 13u}) {
      INFO("inode " << ino);
      const ext4::RawInode n = img.inode(ino);
      REQUIRE(n.has_extents());
      std::vector<ext4::Extent> got;
      int depth = -1;
      const std::string why = walk(img, n, &got, &depth);
      INFO(why);
      REQUIRE(why.empty());
      // debugfs's leaf lines: "L/ L  i/ n  a - b  c - d  len" at the deepest level.
      std::istringstream in(run("debugfs -R 'ex <" + std::to_string(ino) + ">' " + path));
      const std::regex leaf(R"(^\s*(\d+)/\s*(\d+)\s+\d+/\s*\d+\s+(\d+) -\s*(\d+)\s+(\d+) -\s*(\d+)\s+(\d+))");
      std::vector<ext4::Extent> want;
      std::smatch m;
      for (std::string line; std::getline(in, line);) {
        if (!std::regex_search(line, m, leaf) || m[1] != m[2]) continue;
        ext4::Extent e;
        e.lblk = static_cast<uint32_t>(std::stoul(m[3]));
        e.pblk = std::stoull(m[5]);
        e.len = static_cast<uint32_t>(std::stoul(m[7]));
        want.push_back(e);
      }
      REQUIRE(got.size() == want.size());
      for (size_t i = 0; i < got.size(); ++i) {
        CHECK(got[i].lblk == want[i].lblk);
        CHECK(got[i].pblk == want[i].pblk);
        CHECK(got[i].len == want[i].len);
      }
      deepest = std::max(deepest, depth);
    }
    CHECK(deepest == (img.s.block_size == 1024 ? 2 : 1));  // the sparse file's tree
    // A damaged index block: its checksum (or, without checksums, its magic) gives it away.
    ext4::RawInode n = img.inode(12);
    if (ext4::ExtentNode r; ext4::decode_extent_node(img.s, n, n.block, 60, true, -1, 0, &r).empty() && r.depth == 0)
      n = img.inode(13);  // the sparse one
    ext4::ExtentNode root;
    REQUIRE(ext4::decode_extent_node(img.s, n, n.block, 60, true, -1, 0, &root).empty());
    if (root.depth > 0) {
      std::vector<uint8_t> blk(img.bytes.begin() + static_cast<long>(root.index[0].leaf * img.s.block_size),
                               img.bytes.begin() + static_cast<long>((root.index[0].leaf + 1) * img.s.block_size));
      ext4::ExtentNode child;
      blk[img.s.metadata_csum() ? 20 : 0] ^= 1;
      const std::string why = ext4::decode_extent_node(img.s, n, blk.data(), blk.size(), false, root.depth - 1, 0, &child);
      CHECK(why.find(img.s.metadata_csum() ? "checksum mismatch" : "bad magic") != std::string::npos);
    }
  }
}

TEST_CASE("malformed extent roots are refused with the reason") {
  ext4::Super s;
  s.blocks_count = 1000;
  s.first_data_block = 0;
  ext4::RawInode n;
  n.ino = 7;
  auto root = [](std::vector<std::array<uint32_t, 3>> ents, uint16_t max = 4, uint16_t depth = 0) {
    std::vector<uint8_t> b(60, 0);
    b[0] = 0x0A;
    b[1] = 0xF3;
    b[2] = static_cast<uint8_t>(ents.size());
    b[4] = static_cast<uint8_t>(max);
    b[6] = static_cast<uint8_t>(depth);
    for (size_t i = 0; i < ents.size(); ++i) {
      put32(b, 12 + 12 * i, ents[i][0]);                       // lblk
      b[12 + 12 * i + 4] = static_cast<uint8_t>(ents[i][1]);     // len lo
      b[12 + 12 * i + 5] = static_cast<uint8_t>(ents[i][1] >> 8);
      put32(b, 12 + 12 * i + 8, ents[i][2]);                   // pblk lo
    }
    return b;
  };
  ext4::ExtentNode out;
  auto why = [&](const std::vector<uint8_t>& b) { return ext4::decode_extent_node(s, n, b.data(), b.size(), true, -1, 0, &out); };
  CHECK(why(root({{0, 4, 100}, {4, 2, 200}})).empty());
  CHECK(out.extents.size() == 2);
  CHECK(why(root({{0, 32768 + 5, 100}})).empty());  // unwritten
  CHECK(out.extents[0].unwritten);
  CHECK(out.extents[0].len == 5);
  CHECK(why(root({{4, 4, 100}, {0, 2, 200}})) == "inode 7: extent root: entries out of order at logical block 0");
  CHECK(why(root({{0, 4, 100}, {2, 2, 200}})) == "inode 7: extent root: entries out of order at logical block 2");
  CHECK(why(root({{0, 4, 998}})) == "inode 7: extent root: extent at logical block 0 points outside the filesystem");
  CHECK(why(root({{0, 0, 100}})) == "inode 7: extent root: an empty extent at logical block 0");
  CHECK(why(root({}, 5)) == "inode 7: extent root: bad maximum entry count 5");
  CHECK(why(root({}, 4, 6)) == "inode 7: extent root: depth 6 is too deep");
  CHECK(why(root({}, 4, 1)) == "inode 7: extent root: an empty index node");
  auto bad = root({});
  bad[0] = 0;
  CHECK(why(bad) == "inode 7: extent root: bad magic");
}
