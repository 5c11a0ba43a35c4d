// Base64 for Basic credentials and password hashes (RFC 4648 section 4).
#include <gtest/gtest.h>

#include "rpc/base64_text.hpp"

namespace tessera::rpc::detail {
namespace {

TEST(Base64Text, EncodesRfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode("fo", false), "Zm8");
  EXPECT_EQ(base64_encode(std::string("\xff\xfe\x00", 3)), "//4A");
}

TEST(Base64Text, DecodesWithAndWithoutPadding) {
  EXPECT_EQ(base64_decode("Zg=="), "f");
  EXPECT_EQ(base64_decode("Zg"), "f");
  EXPECT_EQ(base64_decode("Zm8="), "fo");
  EXPECT_EQ(base64_decode("Zm9vYmFy"), "foobar");
  EXPECT_EQ(base64_decode(""), "");
  EXPECT_EQ(base64_decode("//4A"), std::string("\xff\xfe\x00", 3));
}

TEST(Base64Text, RefusesMalformedText) {
  EXPECT_FALSE(base64_decode("Z"));          // 4k+1 characters
  EXPECT_FALSE(base64_decode("Zm9v YmFy"));  // whitespace
  EXPECT_FALSE(base64_decode("Zm=v"));       // padding inside
  EXPECT_FALSE(base64_decode("Zg="));        // half padding
  EXPECT_FALSE(base64_decode("===="));
  EXPECT_FALSE(base64_decode("Zh=="));  // non-zero leftover bits
  EXPECT_FALSE(base64_decode("Zm9v-_"));  // the URL alphabet is not this one
}

TEST(Base64Text, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (std::size_t n = 0; n < all.size(); n += 37) {
    const std::string part = all.substr(0, n);
    EXPECT_EQ(base64_decode(base64_encode(part)), part);
    EXPECT_EQ(base64_decode(base64_encode(part, false)), part);
  }
}

}  // namespace
}  // namespace tessera::rpc::detail
