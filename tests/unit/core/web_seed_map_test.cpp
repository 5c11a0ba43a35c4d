#include "core/web_seed_map.hpp"

#include <gtest/gtest.h>

namespace tessera::detail {
namespace {

file_entry file(std::string path, std::int64_t size, std::int64_t offset, bool pad = false) {
  file_entry f;
  f.path = std::move(path);
  f.size = size;
  f.offset = offset;
  f.pad = pad;
  return f;
}

TEST(WebSeedUrl, SingleFileIsTheUrlItselfOrUrlPlusNameAfterASlash) {
  EXPECT_EQ(web_seed_file_url("http://h/x/file.iso", false, "file.iso", "file.iso"), "http://h/x/file.iso");
  EXPECT_EQ(web_seed_file_url("http://h/x/", false, "a b.iso", "a b.iso"), "http://h/x/a%20b.iso");
}

TEST(WebSeedUrl, MultiFileAppendsNameAndPathEachComponentEncoded) {
  EXPECT_EQ(web_seed_file_url("http://h/d/", true, "n", "n/sub dir/f#1?.txt"), "http://h/d/n/sub%20dir/f%231%3F.txt");
  EXPECT_EQ(web_seed_file_url("http://h/d", true, "n", "n/f"), "http://h/d/n/f");
  EXPECT_EQ(web_seed_file_url("http://h/", true, "n", "n/\xc3\xa9~-_.x"), "http://h/n/%C3%A9~-_.x");
}

TEST(WebSeedMap, SingleFileRangeIsOneRequest) {
  std::vector<file_entry> files{file("f", 1000, 0)};
  auto parts = map_web_seed_range("http://h/f", false, "f", files, 1000, 100, 200);
  ASSERT_TRUE(parts);
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ((*parts)[0].url, "http://h/f");
  EXPECT_EQ((*parts)[0].file_offset, 100);
  EXPECT_EQ((*parts)[0].length, 200);
  EXPECT_EQ((*parts)[0].file_size, 1000);
  EXPECT_EQ((*parts)[0].torrent_offset, 100);
  EXPECT_FALSE((*parts)[0].zeros);
}

TEST(WebSeedMap, RangeSpanningFilesIsOneRequestPerFileAndPaddingIsZeros) {
  std::vector<file_entry> files{file("t/a", 10, 0), file("t/.pad/6", 6, 10, true), file("t/empty", 0, 16),
                                file("t/b", 20, 16), file("t/c", 5, 36)};
  auto parts = map_web_seed_range("http://h/", true, "t", files, 41, 4, 35);
  ASSERT_TRUE(parts);
  ASSERT_EQ(parts->size(), 4u);
  EXPECT_EQ((*parts)[0].url, "http://h/t/a");
  EXPECT_EQ((*parts)[0].file_offset, 4);
  EXPECT_EQ((*parts)[0].length, 6);
  EXPECT_TRUE((*parts)[1].zeros);
  EXPECT_EQ((*parts)[1].length, 6);
  EXPECT_EQ((*parts)[1].torrent_offset, 10);
  EXPECT_EQ((*parts)[2].url, "http://h/t/b");
  EXPECT_EQ((*parts)[2].file_offset, 0);
  EXPECT_EQ((*parts)[2].length, 20);
  EXPECT_EQ((*parts)[2].torrent_offset, 16);
  EXPECT_EQ((*parts)[3].url, "http://h/t/c");
  EXPECT_EQ((*parts)[3].file_offset, 0);
  EXPECT_EQ((*parts)[3].length, 3);
  std::int64_t sum = 0;
  for (const auto& p : *parts) sum += p.length;
  EXPECT_EQ(sum, 35);
}

TEST(WebSeedMap, RangeInsidePaddingOnlyNeedsNoRequest) {
  std::vector<file_entry> files{file("t/a", 10, 0), file("t/.pad/6", 6, 10, true), file("t/b", 4, 16)};
  auto parts = map_web_seed_range("http://h/", true, "t", files, 20, 11, 4);
  ASSERT_TRUE(parts);
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_TRUE((*parts)[0].zeros);
  EXPECT_EQ((*parts)[0].length, 4);
}

TEST(WebSeedMap, GapsBetweenFilesAreZeros) {
  std::vector<file_entry> files{file("t/a", 10, 0), file("t/b", 4, 16)};
  auto parts = map_web_seed_range("http://h/", true, "t", files, 20, 8, 12);
  ASSERT_TRUE(parts);
  ASSERT_EQ(parts->size(), 3u);
  EXPECT_EQ((*parts)[0].length, 2);
  EXPECT_TRUE((*parts)[1].zeros);
  EXPECT_EQ((*parts)[1].length, 6);
  EXPECT_EQ((*parts)[2].url, "http://h/t/b");
  EXPECT_EQ((*parts)[2].length, 4);
}

TEST(WebSeedMap, RangesOutsideTheTorrentAreRefused) {
  std::vector<file_entry> files{file("f", 10, 0)};
  EXPECT_FALSE(map_web_seed_range("http://h/f", false, "f", files, 10, 5, 6));
  EXPECT_FALSE(map_web_seed_range("http://h/f", false, "f", files, 10, -1, 2));
  EXPECT_FALSE(map_web_seed_range("http://h/f", false, "f", files, 10, 0, 0));
  EXPECT_TRUE(map_web_seed_range("http://h/f", false, "f", files, 10, 0, 10));
}

}  // namespace
}  // namespace tessera::detail
