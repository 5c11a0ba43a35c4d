#include "create_args.hpp"

#include <gtest/gtest.h>

namespace tessera::cli {
namespace {

TEST(CreateArgs, SizesTakeBytesOrKOrM) {
  EXPECT_EQ(*parse_size_arg("auto"), 0);
  EXPECT_EQ(*parse_size_arg("16384"), 16384);
  EXPECT_EQ(*parse_size_arg("256K"), 256 * 1024);
  EXPECT_EQ(*parse_size_arg("256k"), 256 * 1024);
  EXPECT_EQ(*parse_size_arg("4M"), 4 * 1024 * 1024);
  EXPECT_EQ(*parse_size_arg("4MiB"), 4 * 1024 * 1024);
  EXPECT_EQ(*parse_size_arg("16KB"), 16 * 1024);
}

TEST(CreateArgs, BadSizesAreErrors) {
  for (const char* bad : {"", "K", "-16K", "1.5M", "4G", "4 M", "abc", "0x10", "+5"}) {
    auto r = parse_size_arg(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error(), std::errc::invalid_argument) << bad;
  }
  EXPECT_EQ(parse_size_arg("99999999999999999999").error(), std::errc::value_too_large);
  EXPECT_EQ(parse_size_arg("2000000M").error(), std::errc::value_too_large);
}

TEST(CreateArgs, OneTierPerFlagCommasWithin) {
  auto tiers = tracker_tiers({"http://a/,http://b/", "udp://c:1", ",", ""});
  ASSERT_EQ(tiers.size(), 2u);
  EXPECT_EQ(tiers[0], (std::vector<std::string>{"http://a/", "http://b/"}));
  EXPECT_EQ(tiers[1], (std::vector<std::string>{"udp://c:1"}));
}

}  // namespace
}  // namespace tessera::cli
