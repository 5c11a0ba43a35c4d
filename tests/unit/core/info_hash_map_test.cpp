// Tests for info_hash_map: torrents found by v1, by v2 truncated and by a whole info_hash_t.
#include "core/info_hash_map.hpp"

#include <gtest/gtest.h>

#include <string>

#include "tessera/hasher.hpp"

namespace tessera::detail {
namespace {

const info_hash_t v1_only{sha1("one"), {}};
const info_hash_t v2_only{{}, sha256("two")};
const info_hash_t hybrid{sha1("three"), sha256("three")};

TEST(InfoHashMap, FindsByEveryTwentyByteForm) {
  info_hash_map<std::string> m;
  ASSERT_TRUE(m.insert(v1_only, "v1"));
  ASSERT_TRUE(m.insert(v2_only, "v2"));
  ASSERT_TRUE(m.insert(hybrid, "hybrid"));
  EXPECT_EQ(m.size(), 3u);

  ASSERT_NE(m.find(v1_only.v1), nullptr);
  EXPECT_EQ(*m.find(v1_only.v1), "v1");
  ASSERT_NE(m.find(v2_only.v2_truncated()), nullptr);
  EXPECT_EQ(*m.find(v2_only.v2_truncated()), "v2");
  // A hybrid answers to its v1 and to its v2 truncated (BEP 52: both swarms).
  ASSERT_NE(m.find(hybrid.v1), nullptr);
  EXPECT_EQ(*m.find(hybrid.v1), "hybrid");
  ASSERT_NE(m.find(hybrid.v2_truncated()), nullptr);
  EXPECT_EQ(*m.find(hybrid.v2_truncated()), "hybrid");
  ASSERT_NE(m.hashes_of(hybrid.v2_truncated()), nullptr);
  EXPECT_EQ(*m.hashes_of(hybrid.v2_truncated()), hybrid);

  EXPECT_EQ(m.find(sha1("unknown")), nullptr);
  EXPECT_EQ(m.find(sha1_hash{}), nullptr);
}

TEST(InfoHashMap, FindsByWholeInfoHashWhenEveryGivenHashMatches) {
  info_hash_map<int> m;
  ASSERT_TRUE(m.insert(hybrid, 3));
  ASSERT_TRUE(m.insert(v1_only, 1));
  ASSERT_NE(m.find(hybrid), nullptr);
  EXPECT_EQ(*m.find(hybrid), 3);
  EXPECT_NE(m.find(info_hash_t{hybrid.v1, {}}), nullptr);  // v1 alone
  EXPECT_NE(m.find(info_hash_t{{}, hybrid.v2}), nullptr);  // v2 alone
  info_hash_t wrong_v2 = hybrid;
  wrong_v2.v2.bytes[31] ^= 1;
  EXPECT_EQ(m.find(wrong_v2), nullptr);  // right v1, wrong v2
  EXPECT_EQ(m.find(info_hash_t{v1_only.v1, hybrid.v2}), nullptr);
  EXPECT_EQ(m.find(info_hash_t{}), nullptr);
}

TEST(InfoHashMap, RefusesOverlapsAndEmptyHashes) {
  info_hash_map<int> m;
  ASSERT_TRUE(m.insert(hybrid, 1));
  EXPECT_FALSE(m.insert(info_hash_t{hybrid.v1, {}}, 2));
  EXPECT_FALSE(m.insert(info_hash_t{{}, hybrid.v2}, 2));
  EXPECT_TRUE(m.contains_any(info_hash_t{{}, hybrid.v2}));
  EXPECT_FALSE(m.insert(info_hash_t{}, 2));
  EXPECT_EQ(m.size(), 1u);
}

TEST(InfoHashMap, EraseRemovesEveryKeyOfTheEntry) {
  info_hash_map<int> m;
  ASSERT_TRUE(m.insert(hybrid, 1));
  ASSERT_TRUE(m.insert(v2_only, 2));
  EXPECT_FALSE(m.erase(info_hash_t{hybrid.v1, {}}));  // not the hashes it was added with
  EXPECT_TRUE(m.erase(hybrid));
  EXPECT_EQ(m.find(hybrid.v1), nullptr);
  EXPECT_EQ(m.find(hybrid.v2_truncated()), nullptr);
  EXPECT_FALSE(m.erase(hybrid));
  // The same hashes may be added again.
  EXPECT_TRUE(m.insert(hybrid, 3));
  int sum = 0;
  for (const auto& [key, value] : m) sum += value;
  EXPECT_EQ(sum, 5);
  m.clear();
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m.find(v2_only.v2_truncated()), nullptr);
}

}  // namespace
}  // namespace tessera::detail
