#include "torrent/file_priorities.hpp"

#include <gtest/gtest.h>

#include "core/torrent_info_builder.hpp"

namespace tessera::detail {
namespace {

using fp = file_priority;

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

std::vector<std::uint8_t> v(std::initializer_list<int> l) {
  std::vector<std::uint8_t> out;
  for (int x : l) out.push_back(static_cast<std::uint8_t>(x));
  return out;
}

TEST(FilePriorities, NormalizeFillsWithNormalCutsClampsAndSkipsPadding) {
  auto ti = make(100, {{50, false}, {50, true}, {50, false}, {50, false}});
  std::vector<fp> given{fp::high, fp::high, static_cast<fp>(9)};
  auto got = normalize_file_priorities(ti, given);
  EXPECT_EQ(got, (std::vector<fp>{fp::high, fp::skip, fp::high, fp::normal}));
  std::vector<fp> longer(10, fp::low);
  EXPECT_EQ(normalize_file_priorities(ti, longer).size(), 4u);
}

TEST(FilePriorities, APieceGetsTheHighestPriorityOfTheFilesItOverlaps) {
  // a: 0..150 (pieces 0,1), b: 150..250 (pieces 1,2), c: 250..420 (pieces 2,3,4).
  auto ti = make(100, {{150, false}, {100, false}, {170, false}});
  std::vector<fp> files{fp::low, fp::skip, fp::high};
  EXPECT_EQ(piece_priorities_from_files(ti, files, false), v({1, 1, 7, 7, 7}));
}

TEST(FilePriorities, APieceSharedByASkippedAndAWantedFileIsWanted) {
  auto ti = make(100, {{150, false}, {100, false}, {170, false}});
  std::vector<fp> files{fp::normal, fp::skip, fp::normal};
  // Piece 1 holds a's tail and b's head, piece 2 b's tail and c's head: both wanted.
  EXPECT_EQ(piece_priorities_from_files(ti, files, false), v({4, 4, 4, 4, 4}));
  std::vector<fp> middle_only{fp::skip, fp::normal, fp::skip};
  EXPECT_EQ(piece_priorities_from_files(ti, middle_only, false), v({0, 4, 4, 0, 0}));
}

TEST(FilePriorities, PaddingDoesNotMakeAPieceWanted) {
  // a: 0..100 (piece 0), pad: 100..200 (piece 1, only padding), b: 200..260 (piece 2).
  auto ti = make(100, {{100, false}, {100, true}, {60, false}});
  auto files = normalize_file_priorities(ti, std::vector<fp>{fp::skip, fp::normal, fp::normal});
  EXPECT_EQ(piece_priorities_from_files(ti, files, false), v({0, 4, 4}));
  // a: 0..130, pad 130..200: piece 1 is a's tail plus padding, skipped with a.
  auto ti2 = make(100, {{130, false}, {70, true}, {60, false}});
  auto files2 = normalize_file_priorities(ti2, std::vector<fp>{fp::skip});
  EXPECT_EQ(piece_priorities_from_files(ti2, files2, false), v({0, 0, 4}));
}

TEST(FilePriorities, FirstAndLastPiecesOfWantedFilesAreBoosted) {
  // a: 0..350 (pieces 0-3), b: 350..1000 (pieces 3-9), c: 1000..1200 (pieces 10-11), skipped.
  auto ti = make(100, {{350, false}, {650, false}, {200, false}});
  std::vector<fp> files{fp::low, fp::normal, fp::skip};
  EXPECT_EQ(piece_priorities_from_files(ti, files, true),
            v({7, 1, 1, 7, 4, 4, 4, 4, 4, 7, 0, 0}));
  EXPECT_EQ(piece_priorities_from_files(ti, files, false),
            v({1, 1, 1, 4, 4, 4, 4, 4, 4, 4, 0, 0}));
}

TEST(FilePriorities, SkippedFilesListsSkipAndPadding) {
  std::vector<fp> files{fp::normal, fp::skip, fp::low};
  EXPECT_EQ(skipped_files(files), (std::vector<bool>{false, true, false}));
}

}  // namespace
}  // namespace tessera::detail
