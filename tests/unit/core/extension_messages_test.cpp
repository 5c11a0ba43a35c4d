// Tests for the BEP 10 extended handshake codec.
#include "core/extension_messages.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tessera::detail {
namespace {

using namespace std::string_literals;

TEST(ExtensionHandshake, ParsesAllFields) {
  const std::string payload =
      "d1:md11:ut_metadatai3e6:ut_pexi1ee13:metadata_sizei31235e1:pi6881e4:reqqi500e"
      "11:upload_onlyi1e1:v12:libtorrent/26:yourip4:\x7f\x00\x00\x01" "e"s;
  auto h = parse_extension_handshake(payload);
  ASSERT_TRUE(h) << h.error().message();
  EXPECT_EQ(h->ut_metadata, 3);
  EXPECT_EQ(h->ut_pex, 1);
  EXPECT_EQ(h->metadata_size, 31235);
  EXPECT_EQ(h->listen_port, 6881);
  EXPECT_EQ(h->reqq, 500);
  EXPECT_TRUE(h->upload_only);
  EXPECT_EQ(h->client, "libtorrent/2");
  ASSERT_TRUE(h->yourip);
  EXPECT_EQ(h->yourip->to_string(), "127.0.0.1:0");
}

TEST(ExtensionHandshake, EmptyDictionaryMeansNothingSupported) {
  auto h = parse_extension_handshake("de");
  ASSERT_TRUE(h);
  EXPECT_EQ(*h, extension_handshake{});
}

TEST(ExtensionHandshake, IgnoresAbsurdOrWronglyTypedValues) {
  const std::string payload =
      "d1:md11:ut_metadatai-1e6:ut_pexi256ee1:pi70000e4:reqqi0e1:vi5e6:yourip3:abce";
  auto h = parse_extension_handshake(payload);
  ASSERT_TRUE(h) << h.error().message();
  EXPECT_EQ(h->ut_metadata, 0);
  EXPECT_EQ(h->ut_pex, 0);
  EXPECT_FALSE(h->listen_port);
  EXPECT_FALSE(h->reqq);
  EXPECT_TRUE(h->client.empty());
  EXPECT_FALSE(h->yourip);
  auto huge_reqq = parse_extension_handshake("d4:reqqi99999999ee");
  ASSERT_TRUE(huge_reqq);
  EXPECT_FALSE(huge_reqq->reqq);
}

TEST(ExtensionHandshake, ZeroIdDisablesAnExtension) {
  auto h = parse_extension_handshake("d1:md11:ut_metadatai0eee");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->ut_metadata, 0);
}

TEST(ExtensionHandshake, ReadsIpv6YourIp) {
  const std::string payload = std::string("d6:yourip16:") + std::string(15, '\0') + "\x01" + "e";
  auto h = parse_extension_handshake(payload);
  ASSERT_TRUE(h);
  ASSERT_TRUE(h->yourip);
  EXPECT_TRUE(h->yourip->v6);
  EXPECT_EQ(h->yourip->address_string(), "::1");
}

TEST(ExtensionHandshake, TruncatesLongClientNames) {
  const std::string v(1000, 'x');
  auto h = parse_extension_handshake("d1:v1000:" + v + "e");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->client.size(), extension_handshake::max_client_name);
}

TEST(ExtensionHandshake, RejectsMetadataSizeOutOfRange) {
  for (const char* p : {"d13:metadata_sizei0ee", "d13:metadata_sizei-5ee", "d13:metadata_sizei16777217ee"}) {
    auto h = parse_extension_handshake(p);
    ASSERT_FALSE(h) << p;
    EXPECT_EQ(h.error(), make_error_code(extension_errc::bad_metadata_size));
  }
  EXPECT_TRUE(parse_extension_handshake("d13:metadata_sizei16777216ee"));
}

TEST(ExtensionHandshake, RejectsNonDictionariesAndBadBencode) {
  EXPECT_EQ(parse_extension_handshake("i1e").error(), make_error_code(extension_errc::not_a_dictionary));
  EXPECT_EQ(parse_extension_handshake("d1:m").error(), make_error_code(extension_errc::bad_bencode));
  EXPECT_EQ(parse_extension_handshake("").error(), make_error_code(extension_errc::bad_bencode));
  EXPECT_EQ(parse_extension_handshake("dee").error(), make_error_code(extension_errc::bad_bencode));
  std::string deep;
  for (int i = 0; i < 50; ++i) deep += "l";
  for (int i = 0; i < 50; ++i) deep += "e";
  EXPECT_EQ(parse_extension_handshake("d1:x" + deep + "e").error(), make_error_code(extension_errc::bad_bencode));
}

TEST(ExtensionHandshake, BuildRoundTrips) {
  extension_handshake h;
  h.ut_metadata = 2;
  h.ut_pex = 1;
  h.client = "tessera 0.1";
  h.listen_port = 51413;
  h.reqq = 250;
  h.metadata_size = 12345;
  h.yourip = peer_endpoint::from_string("[::1]:0");
  h.upload_only = true;
  const std::string bytes = make_extension_handshake(h);
  auto back = parse_extension_handshake(bytes);
  ASSERT_TRUE(back) << bytes;
  EXPECT_EQ(*back, h);
}

TEST(ExtensionHandshake, BuildAlwaysCarriesM) {
  EXPECT_EQ(make_extension_handshake({}), "d1:mdee");
}

}  // namespace
}  // namespace tessera::detail
