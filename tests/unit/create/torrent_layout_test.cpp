#include <gtest/gtest.h>

#include "create/torrent_layout.hpp"

namespace tessera::detail {
namespace {

std::vector<scanned_file> files(std::initializer_list<std::pair<const char*, std::int64_t>> list) {
  std::vector<scanned_file> out;
  for (const auto& [name, size] : list) out.push_back(scanned_file{{name}, name, size, false});
  return out;
}

TEST(AutoPieceSize, FollowsLibtorrentsTable) {
  EXPECT_EQ(auto_piece_size(1), 16 * 1024);
  EXPECT_EQ(auto_piece_size(2684355), 16 * 1024);
  EXPECT_EQ(auto_piece_size(2684356), 32 * 1024);
  EXPECT_EQ(auto_piece_size(10737419), 64 * 1024);
  EXPECT_EQ(auto_piece_size(1000000000), 512 * 1024);
  EXPECT_EQ(auto_piece_size(4LL << 30), 1024 * 1024);
  EXPECT_EQ(auto_piece_size(5000000000), 1024 * 1024);
  EXPECT_EQ(auto_piece_size(800000000000), 16 * 1024 * 1024);
  EXPECT_EQ(auto_piece_size(1LL << 50), 16 * 1024 * 1024);
}

TEST(ChoosePieceLength, ChecksSizePerKind) {
  EXPECT_EQ(*choose_piece_length(torrent_kind::v1, 0, 1000), 16384);
  EXPECT_EQ(*choose_piece_length(torrent_kind::v1, 3 * 16384, 1000), 3 * 16384);  // v1: a multiple
  EXPECT_FALSE(choose_piece_length(torrent_kind::v2, 3 * 16384, 1000));           // v2: a power of two
  EXPECT_FALSE(choose_piece_length(torrent_kind::hybrid, 3 * 16384, 1000));
  EXPECT_FALSE(choose_piece_length(torrent_kind::v1, 8192, 1000));
  EXPECT_FALSE(choose_piece_length(torrent_kind::v1, 20000, 1000));
  EXPECT_FALSE(choose_piece_length(torrent_kind::v1, -16384, 1000));
  EXPECT_FALSE(choose_piece_length(torrent_kind::v2, 128LL << 20, 1000));
  EXPECT_EQ(*choose_piece_length(torrent_kind::v2, 64LL << 20, 1000), 64LL << 20);
  EXPECT_EQ(choose_piece_length(torrent_kind::v2, 1, 1).error().code, create_errc::bad_piece_size);
}

TEST(Layout, V1FilesBackToBack) {
  auto l = make_layout(files({{"a", 100}, {"b", 0}, {"c", 20000}}), torrent_kind::v1, 16384);
  ASSERT_TRUE(l);
  ASSERT_EQ(l->entries.size(), 3u);
  EXPECT_EQ(l->entries[1].offset, 100);
  EXPECT_EQ(l->entries[2].offset, 100);
  EXPECT_EQ(l->stream_size, 20100);
  EXPECT_EQ(l->stream_pieces(), 2);
  EXPECT_EQ(l->total_file_bytes, 20100);
}

TEST(Layout, HybridPadsEveryUnalignedNonEmptyFileTheLastToo) {
  auto l = make_layout(files({{"a", 100}, {"b", 0}, {"c", 16384}, {"d", 5}}), torrent_kind::hybrid, 16384);
  ASSERT_TRUE(l);
  ASSERT_EQ(l->entries.size(), 6u);
  EXPECT_TRUE(l->entries[1].pad);
  EXPECT_EQ(l->entries[1].size, 16284);
  EXPECT_EQ(l->entries[1].path, (std::vector<std::string>{".pad", "16284"}));
  EXPECT_EQ(l->entries[2].path[0], "b");  // empty: no padding after it
  EXPECT_EQ(l->entries[3].offset, 16384);  // c ends aligned: no padding
  EXPECT_EQ(l->entries[4].offset, 32768);
  EXPECT_TRUE(l->entries[5].pad);
  EXPECT_EQ(l->entries[5].size, 16379);
  EXPECT_EQ(l->stream_size, 49152);
  EXPECT_EQ(l->total_file_bytes, 100 + 16384 + 5);
}

TEST(Layout, HybridSingleFileIsNotPadded) {
  auto l = make_layout(files({{"a", 100}}), torrent_kind::hybrid, 16384);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->entries.size(), 1u);
  EXPECT_EQ(l->stream_size, 100);
}

TEST(Layout, V2AlignsFilesWithoutListingPadding) {
  auto l = make_layout(files({{"a", 100}, {"b", 0}, {"c", 5}}), torrent_kind::v2, 32768);
  ASSERT_TRUE(l);
  ASSERT_EQ(l->entries.size(), 3u);
  EXPECT_EQ(l->entries[2].offset, 32768);
  EXPECT_EQ(l->stream_size, 32773);
}

TEST(Layout, AllEmptyIsNoData) {
  auto l = make_layout(files({{"a", 0}, {"b", 0}}), torrent_kind::v1, 16384);
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error().code, create_errc::no_data);
}

TEST(Layout, ExecutableAttributeOnlyBeyondV1) {
  auto f = files({{"a", 10}});
  f[0].executable = true;
  EXPECT_FALSE(make_layout(f, torrent_kind::v1, 16384)->entries[0].executable);
  EXPECT_TRUE(make_layout(f, torrent_kind::hybrid, 16384)->entries[0].executable);
}

}  // namespace
}  // namespace tessera::detail
