#include "swarm/client_name.hpp"

#include <string_view>

#include <gtest/gtest.h>

namespace tessera::detail {
namespace {

peer_id id_of(std::string_view s) {
  peer_id id;
  for (std::size_t i = 0; i < id.bytes.size() && i < s.size(); ++i) id.bytes[i] = s[i];
  return id;
}

TEST(ClientName, KnownAzureusCodesAreSpelledOut) {
  EXPECT_EQ(client_name_from_peer_id(id_of("-LT2080-abcdefghijkl")), "libtorrent 2.0.8");
  EXPECT_EQ(client_name_from_peer_id(id_of("-TR4050-abcdefghijkl")), "Transmission 4.0.5");
  EXPECT_EQ(client_name_from_peer_id(id_of("-qB4620-abcdefghijkl")), "qBittorrent 4.6.2");
  EXPECT_EQ(client_name_from_peer_id(id_of("-TS0001-abcdefghijkl")), "tessera 0.0.0.1");
}

TEST(ClientName, VersionConventions) {
  // Transmission before 4.0: major and a two-digit minor, then a build mark.
  EXPECT_EQ(client_name_from_peer_id(id_of("-TR300Z-abcdefghijkl")), "Transmission 3.00");
  EXPECT_EQ(client_name_from_peer_id(id_of("-TR2940-abcdefghijkl")), "Transmission 2.94");
  // Letters are parts past 9 (libtorrent's convention).
  EXPECT_EQ(client_name_from_peer_id(id_of("-LT1B00-abcdefghijkl")), "libtorrent 1.11.0");
}

TEST(ClientName, UnknownAzureusCodeKeepsTheLetters) {
  EXPECT_EQ(client_name_from_peer_id(id_of("-XY1234-abcdefghijkl")), "XY 1.2.3.4");
}

TEST(ClientName, Aria2StyleIsDecoded) {
  EXPECT_EQ(client_name_from_peer_id(id_of("A2-1-36-0-abcdefghij")), "aria2 1.36.0");
}

TEST(ClientName, AnythingElseIsHexOfFirstEightBytes) {
  peer_id id;
  for (int i = 0; i < 20; ++i) id.bytes[i] = static_cast<std::uint8_t>(0xf0 + i % 16);
  EXPECT_EQ(client_name_from_peer_id(id), "f0f1f2f3f4f5f6f7");
  EXPECT_EQ(client_name_from_peer_id(id_of("-LT20\x01" "0-abcdefghijkl")), "2d4c54323001302d");
  EXPECT_EQ(client_name_from_peer_id(id_of("A2-x-36-0-abcdefghij")), "41322d782d33362d");
}

}  // namespace
}  // namespace tessera::detail
