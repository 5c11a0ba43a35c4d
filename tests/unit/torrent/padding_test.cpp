#include "torrent/padding.hpp"

#include <gtest/gtest.h>

#include "core/torrent_info_builder.hpp"

namespace tessera::detail {
namespace {

torrent_info make(std::int64_t piece_length, std::vector<std::pair<std::int64_t, bool>> files) {
  tessera::detail::torrent_info_builder ti;
  ti.piece_length = piece_length;
  std::int64_t offset = 0;
  for (auto [size, pad] : files) {
    file_entry f;
    f.size = size;
    f.offset = offset;
    f.pad = pad;
    offset += size;
    ti.files.push_back(f);
  }
  ti.total_size = offset;
  ti.piece_hashes.resize(static_cast<std::size_t>((offset + piece_length - 1) / piece_length));
  return std::move(ti).build();
}

TEST(Padding, NoPaddingFilesGiveAnEmptyTableAndFullPayload) {
  auto ti = make(100, {{150, false}, {30, false}});
  EXPECT_TRUE(padding_per_piece(ti).empty());
  EXPECT_EQ(payload_size(ti), 180);
}

TEST(Padding, PaddingIsCountedInThePiecesItOverlaps) {
  // a: 0..120, pad: 120..200 (ends a's last piece), b: 200..250, pad2: 250..300 (tail of b).
  auto ti = make(100, {{120, false}, {80, true}, {50, false}, {50, true}});
  auto pad = padding_per_piece(ti);
  ASSERT_EQ(pad.size(), 3u);
  EXPECT_EQ(pad[0], 0);
  EXPECT_EQ(pad[1], 80);
  EXPECT_EQ(pad[2], 50);
  EXPECT_EQ(payload_size(ti), 170);
}

TEST(Padding, PaddingFileSpanningSeveralPieces) {
  auto ti = make(64, {{10, false}, {200, true}, {30, false}});
  auto pad = padding_per_piece(ti);
  ASSERT_EQ(pad.size(), 4u);  // 240 bytes
  EXPECT_EQ(pad[0], 54);
  EXPECT_EQ(pad[1], 64);
  EXPECT_EQ(pad[2], 64);
  EXPECT_EQ(pad[3], 18);  // 192..210 of the last piece (192..240)
  EXPECT_EQ(payload_size(ti), 40);
}

}  // namespace
}  // namespace tessera::detail
