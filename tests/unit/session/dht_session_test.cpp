// The session's DHT (BEP 5) end to end on loopback: trackerless torrents found through the DHT
// alone, private torrents (BEP 27) kept off it, the handshake's DHT bit and `port` message, nodes
// learned from peers' `port` messages, and node persistence.
#include <sys/socket.h>

#include <fstream>
#include <thread>

#include "core/torrent_info_builder.hpp"
#include "session_test_support.hpp"

namespace tessera {
namespace {

using namespace test;
using namespace std::chrono_literals;
namespace wire = detail::wire;

/// loopback_settings with the DHT on and short lookup intervals, so that a test sees several
/// rounds. LSD stays off: peers come from the DHT alone (LSD would find the other session too).
session_settings dht_loopback(const char* address, std::vector<std::string> bootstrap = {}) {
  auto s = loopback_settings(address);
  s.enable_dht = true;
  s.dht_bootstrap_nodes = std::move(bootstrap);
  s.dht_announce_interval = 2s;
  s.dht_few_peers_interval = 1s;
  return s;
}

std::string node_of(const char* address, const session& s) {
  return endpoint_of(address, s.dht()->port);
}

TEST(DhtSession, NodeSharesTheListenPortAndIsOffWhenDisabled) {
  session on(dht_loopback("127.0.0.1"));
  auto st = on.dht();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->port, on.listen_port());
  EXPECT_EQ(st->nodes, 0);
  auto off_settings = dht_loopback("127.0.0.1");
  off_settings.enable_dht = false;
  session off(off_settings);
  EXPECT_FALSE(off.dht());
}

TEST(DhtSession, WithoutBootstrapNodesNothingIsSent) {
  auto t = make_torrent(51);
  temp_dir dir;
  write_payload(t, dir.path);
  session ses(dht_loopback("127.0.0.1"));
  auto h = add_test_torrent(ses, t, dir.path);
  ASSERT_EQ(wait_for_status(h, is_settled)->state, torrent_state::seeding);
  std::this_thread::sleep_for(3s);  // several lookup periods
  auto st = ses.dht();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->queries_sent, 0u);
  EXPECT_EQ(st->lookups, 0);
}

TEST(DhtSession, LeecherFindsATrackerlessSeederThroughTheDhtAlone) {
  auto t = make_torrent(52, 32 * 1024, 400000, 300000);
  ASSERT_TRUE(t.ti->trackers().empty());
  temp_dir seed_dir, leech_dir;
  write_payload(t, seed_dir.path);
  session seeder(dht_loopback("127.0.0.1"));
  auto sh = add_test_torrent(seeder, t, seed_dir.path);
  ASSERT_EQ(wait_for_status(sh, is_settled)->state, torrent_state::seeding);

  // No tracker and no peer given: the leecher only knows the seeder's DHT node.
  session leecher(dht_loopback("127.0.0.2", {node_of("127.0.0.1", seeder)}));
  auto lh = add_test_torrent(leecher, t, leech_dir.path);
  auto ls = wait_for_status(lh, is_settled, 40s);
  ASSERT_TRUE(ls);
  ASSERT_EQ(ls->state, torrent_state::seeding) << ls->error;
  EXPECT_GE(leecher.dht()->lookups, 1);
  EXPECT_GE(leecher.dht()->nodes, 1);
  // One side announced to the other (the BitTorrent port: the TCP listener's).
  EXPECT_GE(seeder.dht()->announces_stored + leecher.dht()->announces_stored, 1u);
  leecher.stop();
  seeder.stop();
  expect_files_match(t, leech_dir.path);
}

TEST(DhtSession, PrivateTorrentNeverQueriesTheDht) {
  session boot(dht_loopback("127.0.0.3"));
  session ses(dht_loopback("127.0.0.4", {node_of("127.0.0.3", boot)}));
  ASSERT_TRUE(eventually([&] { return ses.dht()->nodes >= 1; }, 10s));
  std::this_thread::sleep_for(4s);  // the bootstrap lookup ends (3 s query timeout)
  const auto sent_before = ses.dht()->queries_sent;

  auto priv = make_torrent(53);
  priv.ti = std::make_shared<tessera::torrent_info>(tessera::detail::edited(*priv.ti, [&](auto& tb) {
    tb.is_private = true;
  }));
  temp_dir priv_dir;
  write_payload(priv, priv_dir.path);
  auto ph = add_test_torrent(ses, priv, priv_dir.path);
  ASSERT_EQ(wait_for_status(ph, is_settled)->state, torrent_state::seeding);
  std::this_thread::sleep_for(3s);  // several lookup periods of a public torrent
  EXPECT_EQ(ses.dht()->lookups, 0);
  EXPECT_EQ(ses.dht()->queries_sent, sent_before);
  EXPECT_EQ(boot.dht()->announces_stored, 0u);

  // The same setup with a public torrent: it looks up and announces at once.
  auto pub = make_torrent(54);
  temp_dir pub_dir;
  write_payload(pub, pub_dir.path);
  auto uh = add_test_torrent(ses, pub, pub_dir.path);
  ASSERT_EQ(wait_for_status(uh, is_settled)->state, torrent_state::seeding);
  EXPECT_TRUE(eventually([&] { return boot.dht()->announces_stored >= 1; }, 10s));
  EXPECT_GE(ses.dht()->lookups, 1);
  EXPECT_GT(ses.dht()->queries_sent, sent_before);
}

/// What a session sends to a peer whose handshake sets the DHT bit.
struct dht_handshake_probe {
  bool answered = false;
  bool dht_bit = false;
  std::optional<std::uint16_t> port;  ///< from a `port` message, if one came
};

dht_handshake_probe probe(const char* address, std::uint16_t listen_port, const sha1_hash& ih) {
  dht_handshake_probe out;
  asio::io_context io;
  tcp::socket s(io);
  boost::system::error_code ec;
  s.connect(tcp::endpoint(asio::ip::make_address(address), listen_port), ec);
  if (ec) return out;
  timeval tv{0, 50 * 1000};
  ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  wire::handshake ours{{}, ih, make_peer_id("PROB")};
  ours.reserved[7] |= 0x01;
  std::vector<std::uint8_t> bytes;
  wire::write_handshake(bytes, ours);
  asio::write(s, asio::buffer(bytes), ec);
  if (ec) return out;
  std::vector<std::uint8_t> buf;
  std::vector<std::uint8_t> chunk(64 * 1024);
  const auto end = std::chrono::steady_clock::now() + 1500ms;
  while (std::chrono::steady_clock::now() < end) {
    const ssize_t n = ::recv(s.native_handle(), chunk.data(), chunk.size(), 0);
    if (n == 0) break;
    if (n > 0) buf.insert(buf.end(), chunk.begin(), chunk.begin() + n);
  }
  if (buf.size() < wire::handshake_length) return out;
  auto h = wire::parse_handshake({buf.data(), wire::handshake_length});
  if (!h) return out;
  out.answered = true;
  out.dht_bit = h->supports_dht();
  std::size_t at = wire::handshake_length;
  for (;;) {
    auto r = wire::decode_message({buf.data() + at, buf.size() - at}, 1 << 20);
    if (r.ec || r.consumed == 0) break;
    at += r.consumed;
    if (auto* p = std::get_if<wire::port>(&r.msg)) out.port = p->port;
  }
  return out;
}

TEST(DhtSession, HandshakeSetsTheDhtBitAndSendsPortExceptForPrivateTorrents) {
  auto pub = make_torrent(55);
  auto priv = make_torrent(56);
  priv.ti = std::make_shared<tessera::torrent_info>(tessera::detail::edited(*priv.ti, [&](auto& tb) {
    tb.is_private = true;
  }));
  temp_dir pub_dir, priv_dir;
  write_payload(pub, pub_dir.path);
  write_payload(priv, priv_dir.path);
  session ses(dht_loopback("127.0.0.1"));
  ASSERT_EQ(wait_for_status(add_test_torrent(ses, pub, pub_dir.path), is_settled)->state, torrent_state::seeding);
  ASSERT_EQ(wait_for_status(add_test_torrent(ses, priv, priv_dir.path), is_settled)->state, torrent_state::seeding);

  auto p = probe("127.0.0.1", ses.listen_port(), pub.ti->info_hash().v1);
  ASSERT_TRUE(p.answered);
  EXPECT_TRUE(p.dht_bit);
  ASSERT_TRUE(p.port);
  EXPECT_EQ(*p.port, ses.dht()->port);

  auto q = probe("127.0.0.1", ses.listen_port(), priv.ti->info_hash().v1);
  ASSERT_TRUE(q.answered);
  EXPECT_FALSE(q.dht_bit);
  EXPECT_FALSE(q.port);

  auto off_settings = dht_loopback("127.0.0.2");
  off_settings.enable_dht = false;
  session off(off_settings);
  temp_dir off_dir;
  write_payload(pub, off_dir.path);
  ASSERT_EQ(wait_for_status(add_test_torrent(off, pub, off_dir.path), is_settled)->state, torrent_state::seeding);
  auto r = probe("127.0.0.2", off.listen_port(), pub.ti->info_hash().v1);
  ASSERT_TRUE(r.answered);
  EXPECT_FALSE(r.dht_bit);
  EXPECT_FALSE(r.port);
}

TEST(DhtSession, PeersPortMessagesAddNodesToTheRoutingTable) {
  auto t = make_torrent(57);
  temp_dir seed_dir, leech_dir;
  write_payload(t, seed_dir.path);
  session seeder(dht_loopback("127.0.0.1"));
  auto sh = add_test_torrent(seeder, t, seed_dir.path);
  ASSERT_EQ(wait_for_status(sh, is_settled)->state, torrent_state::seeding);
  // No bootstrap nodes on either side: the nodes come from the `port` messages only.
  session leecher(dht_loopback("127.0.0.2"));
  add_test_torrent(leecher, t, leech_dir.path, {endpoint_of("127.0.0.1", seeder.listen_port())});
  EXPECT_TRUE(eventually([&] { return seeder.dht()->nodes >= 1 && leecher.dht()->nodes >= 1; }, 15s))
      << "seeder nodes " << seeder.dht()->nodes << ", leecher nodes " << leecher.dht()->nodes;
}

TEST(DhtSession, RoutingTableIsSavedAtStopAndBootstrapsTheNextSession) {
  session boot(dht_loopback("127.0.0.3"));
  temp_dir dir;
  std::filesystem::create_directories(dir.path);
  const auto state = dir.path / "dht.state";
  {
    auto s = dht_loopback("127.0.0.5", {node_of("127.0.0.3", boot)});
    s.dht_state_file = state.string();
    session first(s);
    ASSERT_TRUE(eventually([&] { return first.dht()->nodes >= 1; }, 10s));
    first.stop();
  }
  ASSERT_TRUE(std::filesystem::exists(state));
  EXPECT_GT(std::filesystem::file_size(state), 0u);
  // No bootstrap node this time: only the saved table knows `boot`.
  auto s = dht_loopback("127.0.0.5");
  s.dht_state_file = state.string();
  session second(s);
  EXPECT_TRUE(eventually([&] { return second.dht()->nodes >= 1; }, 10s));

  // A malformed state file is ignored, not fatal.
  {
    std::ofstream(state, std::ios::trunc) << "not bencode";
  }
  session third(s);
  ASSERT_TRUE(third.dht());
  EXPECT_EQ(third.dht()->nodes, 0);
}

}  // namespace
}  // namespace tessera
