// The .torrent `nodes` key (BEP 5) in the session: its nodes join the DHT's routing table (IP
// literals and host names), except for private torrents (BEP 27). Loopback only: every node
// named here is a session of this test on 127.0.0.x ("localhost" resolves from /etc/hosts).
#include <thread>

#include "core/torrent_info_builder.hpp"
#include "session_test_support.hpp"

namespace tessera {
namespace {

using namespace test;
using namespace std::chrono_literals;

/// loopback_settings with the DHT on: peers and nodes come from the .torrent only (LSD off).
session_settings dht_only(const char* address) {
  auto s = loopback_settings(address);
  s.enable_dht = true;
  return s;
}

TEST(TorrentDhtNodes, IpLiteralNodesOfATorrentJoinTheRoutingTable) {
  session boot(dht_only("127.0.0.6"));
  session ses(dht_only("127.0.0.7"));
  ASSERT_TRUE(boot.dht() && ses.dht());
  auto t = make_torrent(71);
  // A node that does not answer (nothing listens on port 9 of 127.0.0.8), then the real one.
  t.ti = std::make_shared<tessera::torrent_info>(tessera::detail::edited(*t.ti, [&](auto& tb) {
    tb.dht_nodes = {{"127.0.0.8", 9}, {"127.0.0.6", boot.dht()->port}};
  }));
  temp_dir dir;
  add_test_torrent(ses, t, dir.path);
  EXPECT_TRUE(eventually([&] { return ses.dht()->nodes >= 1; }, 10s));
}

TEST(TorrentDhtNodes, HostNameNodesAreResolved) {
  session boot(dht_only("127.0.0.1"));
  session ses(dht_only("127.0.0.9"));
  auto t = make_torrent(72);
  t.ti = std::make_shared<tessera::torrent_info>(tessera::detail::edited(*t.ti, [&](auto& tb) {
    tb.dht_nodes = {{"localhost", boot.dht()->port}};  // from /etc/hosts: no DNS query
  }));
  temp_dir dir;
  add_test_torrent(ses, t, dir.path);
  EXPECT_TRUE(eventually([&] { return ses.dht()->nodes >= 1; }, 10s));
}

TEST(TorrentDhtNodes, PrivateTorrentsNodesAreIgnored) {
  session boot(dht_only("127.0.0.10"));
  session ses(dht_only("127.0.0.11"));
  auto t = make_torrent(73);
  t.ti = std::make_shared<tessera::torrent_info>(tessera::detail::edited(*t.ti, [&](auto& tb) {
    tb.is_private = true;
    tb.dht_nodes = {{"127.0.0.10", boot.dht()->port}};
  }));
  temp_dir dir;
  add_test_torrent(ses, t, dir.path);
  std::this_thread::sleep_for(2s);  // a ping on loopback answers within milliseconds
  EXPECT_EQ(ses.dht()->nodes, 0);
  EXPECT_EQ(ses.dht()->queries_sent, 0u);
  EXPECT_EQ(boot.dht()->queries_received, 0u);
}

}  // namespace
}  // namespace tessera
