// swarm_hashes: the swarms of v1, v2-only and hybrid torrents (BEP 52), which swarm a 20-byte
// hash names, and the hash an outgoing handshake carries; and the announce URL and UDP packet
// carrying the swarm's 20 bytes.
#include <gtest/gtest.h>

#include "discovery/swarm_hashes.hpp"
#include "discovery/tracker.hpp"
#include "discovery/tracker_parse.hpp"
#include "discovery/udp_tracker_wire.hpp"
#include "tessera/hasher.hpp"

namespace tessera::detail {
namespace {

info_hash_t v1_only() {
  info_hash_t ih;
  ih.v1 = sha1(std::string_view("v1 info"));
  return ih;
}
info_hash_t v2_only() {
  info_hash_t ih;
  ih.v2 = sha256(std::string_view("v2 info"));
  return ih;
}
info_hash_t hybrid() {
  info_hash_t ih;
  ih.v1 = sha1(std::string_view("hybrid info"));
  ih.v2 = sha256(std::string_view("hybrid info"));
  return ih;
}

TEST(SwarmHashes, V1TorrentJoinsOnlyTheV1Swarm) {
  const auto ih = v1_only();
  EXPECT_EQ(swarm_hashes(ih), (std::vector<swarm_hash>{{ih.v1, swarm_set::v1}}));
}

TEST(SwarmHashes, V2OnlyTorrentIsAnnouncedUnderItsTruncatedV2Hash) {
  const auto ih = v2_only();
  const auto swarms = swarm_hashes(ih);
  ASSERT_EQ(swarms.size(), 1u);
  EXPECT_EQ(swarms[0].swarm, swarm_set::v2);
  // The first 20 bytes of the SHA-256 info-hash (BEP 52).
  EXPECT_EQ(swarms[0].hash.to_hex(), ih.v2.to_hex().substr(0, 40));
  EXPECT_EQ(swarms[0].hash, ih.best());
}

TEST(SwarmHashes, HybridJoinsBothSwarmsV1First) {
  const auto ih = hybrid();
  EXPECT_EQ(swarm_hashes(ih),
            (std::vector<swarm_hash>{{ih.v1, swarm_set::v1}, {ih.v2_truncated(), swarm_set::v2}}));
  EXPECT_EQ(swarm_hashes(ih).front().hash, ih.best());
}

TEST(SwarmHashes, NoHashNoSwarm) { EXPECT_TRUE(swarm_hashes(info_hash_t{}).empty()); }

TEST(SwarmHashes, SwarmOfAHashNamesTheSwarmOrNone) {
  const auto ih = hybrid();
  EXPECT_EQ(swarm_of(ih, ih.v1), swarm_set::v1);
  EXPECT_EQ(swarm_of(ih, ih.v2_truncated()), swarm_set::v2);
  EXPECT_EQ(swarm_of(ih, v1_only().v1), swarm_set::none);
  EXPECT_EQ(swarm_of(ih, sha1_hash{}), swarm_set::none);
  EXPECT_EQ(swarm_of(v1_only(), hybrid().v2_truncated()), swarm_set::none);
}

TEST(SwarmHashes, HandshakeUsesV2OnlyForAddressesFoundOnlyInTheV2Swarm) {
  const auto ih = hybrid();
  EXPECT_EQ(handshake_hash(ih, swarm_set::v2), ih.v2_truncated());
  EXPECT_EQ(handshake_hash(ih, swarm_set::v1), ih.v1);
  EXPECT_EQ(handshake_hash(ih, swarm_set::both), ih.v1) << "a peer in both swarms knows v1";
  EXPECT_EQ(handshake_hash(ih, swarm_set::none), ih.v1) << "the user, PEX: best()";
  EXPECT_EQ(handshake_hash(v2_only(), swarm_set::none), v2_only().v2_truncated());
  EXPECT_EQ(handshake_hash(v1_only(), swarm_set::v2), v1_only().v1) << "no v2 hash to use";
}

TEST(SwarmHashes, SetOperations) {
  EXPECT_EQ(swarm_set::v1 | swarm_set::v2, swarm_set::both);
  EXPECT_TRUE(contains(swarm_set::both, swarm_set::v2));
  EXPECT_FALSE(contains(swarm_set::v1, swarm_set::v2));
  EXPECT_EQ(swarm_set::v2 | swarm_set::none, swarm_set::v2);
}

TEST(SwarmHashes, AnnounceUrlCarriesTheTruncatedV2HashOfAV2OnlyTorrent) {
  announce_request req;
  req.info_hash = swarm_hashes(v2_only()).front().hash;
  const auto url = build_http_announce_url("http://t.example/announce", req);
  EXPECT_NE(url.find("info_hash=" + percent_encode(v2_only().v2.to_bytes().substr(0, 20)) + "&"),
            std::string::npos)
      << url;
}

TEST(SwarmHashes, UdpAnnouncePacketCarriesEachSwarmsHashOfAHybrid) {
  for (const auto& swarm : swarm_hashes(hybrid())) {
    announce_request req;
    req.info_hash = swarm.hash;
    const auto packet = udp_wire::build_announce(1, 2, req);
    ASSERT_EQ(packet.size(), 98u);
    // BEP 15: the info_hash follows connection id (8), action (4) and transaction id (4).
    EXPECT_TRUE(std::equal(swarm.hash.bytes.begin(), swarm.hash.bytes.end(), packet.begin() + 16));
  }
}

}  // namespace
}  // namespace tessera::detail
