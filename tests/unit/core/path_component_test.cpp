// Tests for one .torrent path component as it goes to disk: refusals, replacements, truncation,
// and the strict UTF-8 decoder under them.
#include "core/path_component.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/utf8.hpp"
#include "tessera/torrent_info.hpp"

namespace tessera::detail {
namespace {

std::string sanitised(std::string_view raw) {
  std::string out = "prefix/";
  EXPECT_TRUE(append_path_component(out, raw)) << raw;
  return out.substr(7);
}

TEST(Utf8, DecodesOneToFourBytesAndRefusesWhatIsNotUtf8) {
  EXPECT_EQ(decode_utf8("a", 0).code_point, 'a');
  EXPECT_EQ(decode_utf8("\xc3\xa9", 0).code_point, 0xe9);
  EXPECT_EQ(decode_utf8("\xc3\xa9", 0).length, 2u);
  EXPECT_EQ(decode_utf8("\xe2\x80\xae", 0).code_point, 0x202e);
  EXPECT_EQ(decode_utf8("\xf0\x9f\x98\x80", 0).code_point, 0x1f600);
  EXPECT_EQ(decode_utf8("\xf0\x9f\x98\x80", 0).length, 4u);
  for (std::string_view bad : {"\x80", "\xc0\xae", "\xe0\x80\xae", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                               "\xf8\x88\x80\x80\x80", "\xc3", "\xe2\x80", "\xc3(", "\xff"}) {
    const auto c = decode_utf8(bad, 0);
    EXPECT_EQ(c.code_point, -1) << testing::PrintToString(std::string(bad));
    EXPECT_EQ(c.length, 1u);
  }
}

TEST(PathComponent, RefusesTheWaysOutOfTheDownloadDirectory) {
  for (std::string_view bad : {std::string_view(""), std::string_view("."), std::string_view(".."),
                               std::string_view("a/b"), std::string_view("a\\b"), std::string_view("a\0b", 3)}) {
    std::string out;
    EXPECT_FALSE(append_path_component(out, bad)) << testing::PrintToString(std::string(bad));
  }
}

TEST(PathComponent, KeepsPrintableUtf8AndReplacesTheRestOneUnderscoreEach) {
  EXPECT_EQ(sanitised("caf\xc3\xa9 (1).txt"), "caf\xc3\xa9 (1).txt");
  EXPECT_EQ(sanitised("..."), "...");
  EXPECT_EQ(sanitised("\x1b[31mred"), "_[31mred");
  EXPECT_EQ(sanitised("\x01\x1f\x7f"), "___");
  EXPECT_EQ(sanitised("\xc2\x85"), "_");                   // NEL, one character of two bytes
  EXPECT_EQ(sanitised("\xe2\x81\xa6x\xe2\x80\x8f"), "_x_");  // bidi isolate and RLM
  EXPECT_EQ(sanitised("\xff\xc3"), "__");                  // invalid bytes, one each
  EXPECT_EQ(sanitised("\xe2\x80\xa8"), "\xe2\x80\xa8");    // U+2028 is not a control character
}

TEST(PathComponent, ReplacedCodePoints) {
  for (std::int32_t cp : {0x01, 0x1b, 0x1f, 0x7f, 0x80, 0x9b, 0x9f, 0x200e, 0x200f, 0x202a, 0x202e,
                          0x2066, 0x2069})
    EXPECT_TRUE(is_replaced_in_path(cp)) << cp;
  for (std::int32_t cp : {0x20, 0x7e, 0xa0, 0xe9, 0x200d, 0x2029, 0x202f, 0x2065, 0x206a, 0x1f600})
    EXPECT_FALSE(is_replaced_in_path(cp)) << cp;
}

TEST(PathComponent, TruncatesToNameMaxKeepingAShortExtension) {
  EXPECT_EQ(sanitised(std::string(255, 'a')), std::string(255, 'a'));  // at the limit: untouched
  EXPECT_EQ(sanitised(std::string(256, 'a')), std::string(255, 'a'));
  EXPECT_EQ(sanitised(std::string(300, 'a') + ".tar.gz"), std::string(252, 'a') + ".gz");
  const std::string ext16 = "." + std::string(15, 'e');
  EXPECT_EQ(sanitised(std::string(300, 'a') + ext16), std::string(239, 'a') + ext16);
  const std::string ext17 = "." + std::string(16, 'e');
  EXPECT_EQ(sanitised(std::string(300, 'a') + ext17), std::string(255, 'a'));
  // A name that is all "extension" keeps its start.
  EXPECT_EQ(sanitised("." + std::string(300, 'h')), "." + std::string(254, 'h'));
  // Replacements count as the one byte they are.
  EXPECT_EQ(sanitised(std::string(300, '\x01')), std::string(max_path_component_bytes, '_'));
}

TEST(PathComponent, TruncationNeverSplitsACharacter) {
  std::string three;  // U+65E5, 3 bytes
  for (int i = 0; i < 100; ++i) three += "\xe6\x97\xa5";
  EXPECT_EQ(sanitised(three), three.substr(0, 255));  // 255 = 85 x 3
  EXPECT_EQ(sanitised("x" + three), "x" + three.substr(0, 252));
  EXPECT_EQ(sanitised("xy" + three), "xy" + three.substr(0, 252));
}

}  // namespace
}  // namespace tessera::detail
