// The .torrent `nodes` key (BEP 5) in the session: its nodes join the DHT's routing table (IP
// literals and host names), except for private torrents (BEP 27). Loopback only: every node
// named here is a session of this test on 127.0.0.x ("localhost" resolves from /etc/hosts).
#include <thread>

#include "fake_peers.hpp"
#include "tessera/session.hpp"

namespace tessera {
namespace {

using namespace test;
using namespace std::chrono_literals;

session_settings dht_only(const char* address) {
  session_settings s;
  s.stop_announce_timeout = 1s;
  s.listen_interface = address;
  s.listen_port = 0;
  s.enable_lsd = false;  // peers and nodes come from the .torrent only
  return s;
}

template <class Pred>
bool eventually(Pred pred, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return pred();
}

void add(session& ses, const test_torrent& t, const std::filesystem::path& dir) {
  add_torrent_params p;
  p.ti = t.ti;
  p.save_path = dir;
  auto h = ses.add_torrent(p);
  ASSERT_TRUE(h) << h.error().message();
}

TEST(TorrentDhtNodes, IpLiteralNodesOfATorrentJoinTheRoutingTable) {
  session boot(dht_only("127.0.0.6"));
  session ses(dht_only("127.0.0.7"));
  ASSERT_TRUE(boot.dht() && ses.dht());
  auto t = make_torrent(71);
  // A node that does not answer (nothing listens on port 9 of 127.0.0.8), then the real one.
  t.ti->dht_nodes = {{"127.0.0.8", 9}, {"127.0.0.6", boot.dht()->port}};
  temp_dir dir;
  add(ses, t, dir.path);
  EXPECT_TRUE(eventually([&] { return ses.dht()->nodes >= 1; }, 10s));
}

TEST(TorrentDhtNodes, HostNameNodesAreResolved) {
  session boot(dht_only("127.0.0.1"));
  session ses(dht_only("127.0.0.9"));
  auto t = make_torrent(72);
  t.ti->dht_nodes = {{"localhost", boot.dht()->port}};  // from /etc/hosts: no DNS query
  temp_dir dir;
  add(ses, t, dir.path);
  EXPECT_TRUE(eventually([&] { return ses.dht()->nodes >= 1; }, 10s));
}

TEST(TorrentDhtNodes, PrivateTorrentsNodesAreIgnored) {
  session boot(dht_only("127.0.0.10"));
  session ses(dht_only("127.0.0.11"));
  auto t = make_torrent(73);
  t.ti->is_private = true;
  t.ti->dht_nodes = {{"127.0.0.10", boot.dht()->port}};
  temp_dir dir;
  add(ses, t, dir.path);
  std::this_thread::sleep_for(2s);  // a ping on loopback answers within milliseconds
  EXPECT_EQ(ses.dht()->nodes, 0);
  EXPECT_EQ(ses.dht()->queries_sent, 0u);
  EXPECT_EQ(boot.dht()->queries_received, 0u);
}

}  // namespace
}  // namespace tessera
