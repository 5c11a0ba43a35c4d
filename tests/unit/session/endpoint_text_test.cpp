// Tests of endpoint text as users and magnet links write it (session/endpoint_text).
#include "session/endpoint_text.hpp"

#include <gtest/gtest.h>

#include <string_view>

namespace tessera::detail {
namespace {

using namespace std::string_view_literals;

TEST(EndpointText, ATextWithANulByteIsRejected) {
  // Found by fuzz_endpoint: the address went to a C-string parser, which stopped at the NUL,
  // so "[::ff00\0\0.1]:80" (a magnet's x.pe, say) read as [::ff00]:80.
  EXPECT_FALSE(parse_endpoint("[::ff00\0\0.1]:80"sv));
  EXPECT_FALSE(parse_endpoint("127.0.0.1\0junk:80"sv));
  EXPECT_FALSE(parse_endpoint("127.0.0.1:80\0"sv));
  EXPECT_TRUE(parse_endpoint("127.0.0.1:80"sv));
}

}  // namespace
}  // namespace tessera::detail
