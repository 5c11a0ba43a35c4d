// core/v2_piece_map: each piece of a v2-only or hybrid torrent as a piece of one file, over the
// torrents libtorrent made (v2_torrents.hpp), parsed by parse_torrent.
#include <gtest/gtest.h>

#include <string>

#include "core/v2_piece_map.hpp"
#include "tessera/torrent_info.hpp"
#include "v2_torrents.hpp"

namespace tessera {
namespace {

torrent_info parse_ok(const std::string& bytes) {
  auto r = parse_torrent(bytes);
  EXPECT_TRUE(r) << r.error().message();
  return r ? *r : torrent_info{};
}

int file_index(const torrent_info& ti, const std::string& path) {
  for (std::size_t i = 0; i < ti.files.size(); ++i)
    if (ti.files[i].path == path) return static_cast<int>(i);
  return -1;
}

TEST(V2PieceMap, V2OnlyPiecesMapToTheirFilesAndLayerEntries) {
  // 16 KiB pieces; tree order a.bin (40,000: pieces 0-2), c.txt (10: 3), empty, sub/b.bin
  // (81,927: 4-9), each starting a piece.
  const torrent_info ti = parse_ok(test_v2::v2_multi.bytes);
  ASSERT_EQ(ti.num_pieces(), 10);
  const detail::v2_piece_map map(ti);
  const int a = file_index(ti, "multi/a.bin"), c = file_index(ti, "multi/c.txt"), b = file_index(ti, "multi/sub/b.bin");
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  ASSERT_GE(c, 0);
  const struct {
    int piece, file;
    std::int64_t in_file, bytes;
  } want[] = {{0, a, 0, 16384}, {1, a, 1, 16384}, {2, a, 2, 40000 - 2 * 16384}, {3, c, 0, 10},
              {4, b, 0, 16384}, {8, b, 4, 16384}, {9, b, 5, 7}};
  for (const auto& w : want) {
    const detail::v2_piece vp = map.at(w.piece);
    EXPECT_EQ(vp.file, w.file) << w.piece;
    EXPECT_EQ(vp.piece_in_file, w.in_file) << w.piece;
    EXPECT_EQ(vp.bytes, w.bytes) << w.piece;
    ASSERT_TRUE(vp.target) << w.piece;
    const file_entry& fe = ti.files[static_cast<std::size_t>(w.file)];
    if (w.file == c) {
      EXPECT_TRUE(vp.target->whole_file);
      EXPECT_EQ(vp.target->expected, fe.pieces_root);
    } else {
      EXPECT_FALSE(vp.target->whole_file);
      EXPECT_EQ(vp.target->expected, ti.piece_layers.at(fe.pieces_root)[static_cast<std::size_t>(w.in_file)]);
    }
  }
  EXPECT_EQ(map.at(-1).file, -1);
  EXPECT_EQ(map.at(10).file, -1);
}

TEST(V2PieceMap, WithoutPieceLayersOnlyOnePieceFilesHaveATarget) {
  torrent_info ti = parse_ok(test_v2::v2_multi.bytes);
  ti.piece_layers.clear();  // as a bare info dictionary has none
  const detail::v2_piece_map map(ti);
  for (int p = 0; p < ti.num_pieces(); ++p) {
    const detail::v2_piece vp = map.at(p);
    ASSERT_GE(vp.file, 0);
    EXPECT_EQ(vp.target.has_value(), ti.files[static_cast<std::size_t>(vp.file)].size <= ti.piece_length) << p;
  }
}

TEST(V2PieceMap, HybridPiecesSkipThePaddingFiles) {
  // 32 KiB pieces; the v1 list: a.bin (40,000: 0-1), pad, c.txt (10: 2), pad, empty, sub/b.bin
  // (81,927: 3-5), pad.
  const torrent_info ti = parse_ok(test_v2::hybrid_multi.bytes);
  ASSERT_EQ(ti.num_pieces(), 6);
  const detail::v2_piece_map map(ti);
  const int a = file_index(ti, "multi/a.bin"), c = file_index(ti, "multi/c.txt"), b = file_index(ti, "multi/sub/b.bin");
  EXPECT_EQ(map.at(1).file, a);
  EXPECT_EQ(map.at(1).bytes, 40000 - 32768);
  EXPECT_EQ(map.at(2).file, c);
  EXPECT_EQ(map.at(2).bytes, 10);
  EXPECT_TRUE(map.at(2).target->whole_file);
  EXPECT_EQ(map.at(3).file, b);
  EXPECT_EQ(map.at(5).piece_in_file, 2);
  EXPECT_EQ(map.at(5).bytes, 81927 - 2 * 32768);
  EXPECT_FALSE(map.at(5).target->whole_file);
}

}  // namespace
}  // namespace tessera
