#include "core/allowed_fast.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace tessera::detail {
namespace {

sha1_hash all_aa() {
  sha1_hash h;
  h.bytes.fill(0xaa);
  return h;
}

std::vector<int> values(const std::vector<piece_index>& v) {
  std::vector<int> out;
  for (auto p : v) out.push_back(p.value);
  return out;
}

// BEP 6's published example: 1313 pieces, info-hash 0xaa x 20, peer 80.4.4.200.
TEST(AllowedFast, SevenPieceSetMatchesTheBepExample) {
  const auto set = allowed_fast_set({80, 4, 4, 200}, all_aa(), 1313, 7);
  EXPECT_EQ(values(set), (std::vector<int>{1059, 431, 808, 1217, 287, 376, 1188}));
}

TEST(AllowedFast, NinePieceSetMatchesTheBepExample) {
  const auto set = allowed_fast_set({80, 4, 4, 200}, all_aa(), 1313, 9);
  EXPECT_EQ(values(set), (std::vector<int>{1059, 431, 808, 1217, 287, 376, 1188, 353, 508}));
}

TEST(AllowedFast, OnlyTheSlash24OfTheAddressCounts) {
  EXPECT_EQ(allowed_fast_set({80, 4, 4, 1}, all_aa(), 1313, 9),
            allowed_fast_set({80, 4, 4, 200}, all_aa(), 1313, 9));
  EXPECT_NE(allowed_fast_set({80, 4, 5, 200}, all_aa(), 1313, 9),
            allowed_fast_set({80, 4, 4, 200}, all_aa(), 1313, 9));
}

TEST(AllowedFast, TheInfoHashChangesTheSet) {
  sha1_hash other = all_aa();
  other.bytes[19] = 0xab;
  EXPECT_NE(allowed_fast_set({80, 4, 4, 200}, other, 1313, 9),
            allowed_fast_set({80, 4, 4, 200}, all_aa(), 1313, 9));
}

TEST(AllowedFast, KIsCappedAtThePieceCountAndTheSetHasNoDuplicates) {
  const auto set = allowed_fast_set({127, 0, 0, 1}, all_aa(), 3, 10);
  ASSERT_EQ(set.size(), 3u);
  const auto v = values(set);
  EXPECT_EQ(std::set<int>(v.begin(), v.end()), (std::set<int>{0, 1, 2}));
  const auto one = allowed_fast_set({127, 0, 0, 1}, all_aa(), 1, 10);
  EXPECT_EQ(values(one), (std::vector<int>{0}));
}

TEST(AllowedFast, EveryIndexIsInsideTheTorrent) {
  const auto set = allowed_fast_set({10, 1, 2, 3}, all_aa(), 37, 20);
  ASSERT_EQ(set.size(), 20u);
  for (auto p : set) {
    EXPECT_GE(p.value, 0);
    EXPECT_LT(p.value, 37);
  }
  auto v = values(set);
  std::sort(v.begin(), v.end());
  EXPECT_EQ(std::adjacent_find(v.begin(), v.end()), v.end());
}

TEST(AllowedFast, NothingForAnEmptyTorrentOrZeroK) {
  EXPECT_TRUE(allowed_fast_set({1, 2, 3, 4}, all_aa(), 0, 10).empty());
  EXPECT_TRUE(allowed_fast_set({1, 2, 3, 4}, all_aa(), 100, 0).empty());
  EXPECT_TRUE(allowed_fast_set({1, 2, 3, 4}, all_aa(), -5, 10).empty());
}

}  // namespace
}  // namespace tessera::detail
