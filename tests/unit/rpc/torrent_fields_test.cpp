// torrent-get fields that need more than the torrent's status: `pieces` (the have-bitfield as
// base64) and `peersFrom` (connected peers by where they were learned).
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "../session/raw_peer.hpp"
#include "rpc_test_support.hpp"

namespace tessera::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using RpcFields = daemon_fixture;

TEST_F(RpcFields, PiecesIsTheHaveBitfieldInBase64MsbFirst) {
  // 400,001 bytes in 32 KiB pieces: 13 pieces, 2 bytes, 3 spare bits.
  auto t = make_real_torrent(91);
  ASSERT_EQ(t.ti->num_pieces(), 13);
  write_payload(t, downloads);
  // Without a.bin and b.txt only the pieces inside c.dat (4 to 12) verify.
  std::filesystem::remove(downloads / t.ti->files()[0].path);
  std::filesystem::remove(downloads / t.ti->files()[1].path);
  const int id = add(t, {{"paused", true}});
  auto o = wait_for(id, {"status", "haveValid", "pieces", "pieceCount"},
                    [](json::object& x) { return x["status"] == 0 && x["haveValid"].as_int64() > 0; });
  EXPECT_EQ(o["pieceCount"], 13);
  EXPECT_EQ(o["pieces"], "D/g=");  // 0x0F 0xF8
  write_payload(t, downloads);
  ok("torrent-verify", {{"ids", id}});
  o = wait_for(id, {"pieces"}, [](json::object& x) { return x["pieces"] == "//g="; });
  EXPECT_EQ(o["pieces"], "//g=");  // 0xFF 0xF8: 13 bits set, spare bits zero

  // A magnet without metadata has no pieces yet.
  auto m = ok("torrent-add", {{"filename", "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567"},
                              {"paused", true}});
  const int mid = static_cast<int>(m["torrent-added"].as_object()["id"].as_int64());
  EXPECT_EQ(get_one(mid, {"pieces"})["pieces"], "");
}

TEST_F(RpcFields, PeersFromCountsConnectedPeersBySource) {
  auto t = make_real_torrent(92);
  // A seeder that never unchokes: the connection stays, nothing downloads.
  fake_seeder seeder(t, "127.0.0.2", -1, 600s);
  const int id = add(t);
  auto zero = get_one(id, {"peersFrom"})["peersFrom"].as_object();
  EXPECT_EQ(zero, (json::object{{"fromCache", 0}, {"fromDht", 0}, {"fromIncoming", 0}, {"fromLpd", 0},
                                {"fromLtep", 0}, {"fromPex", 0}, {"fromTracker", 0}}));
  {
    std::scoped_lock lk(daemon->mutex());
    ASSERT_TRUE(daemon->find(id)->handle.connect_peer(endpoint_of("127.0.0.2", seeder.local_endpoint().port())));
  }
  raw_leecher incoming;
  ASSERT_TRUE(incoming.connect(daemon->peer_port(), t.ti->info_hash(), "-XX0001-incoming", "127.0.0.3"));
  auto o = wait_for(id, {"peersFrom", "peersConnected"}, [](json::object& x) { return x["peersConnected"] == 2; });
  EXPECT_EQ(o["peersConnected"], 2);
  const auto& from = o["peersFrom"].as_object();
  EXPECT_EQ(from.at("fromCache"), 1);  // added by the application (connect_peer)
  EXPECT_EQ(from.at("fromIncoming"), 1);
  EXPECT_EQ(from.at("fromTracker"), 0);
  EXPECT_EQ(from.at("fromPex"), 0);
}

}  // namespace
}  // namespace tessera::test
