// Connections per host past the handshake (docs/hardening.md, "Connections per host"): one
// connection per address and torrent by default, and session-wide caps per address and per /24
// that count every torrent and our own outgoing connections. A seeding session on 127.0.0.1 and
// raw peers, each bound to a chosen 127.0.0.x.
#include <memory>
#include <string>
#include <vector>

#include "raw_peer.hpp"
#include "session_test_support.hpp"

namespace tessera {
namespace {

using namespace test;
using namespace std::chrono_literals;

/// A session on 127.0.0.1 seeding `n` small torrents.
struct seeding_session {
  std::vector<test_torrent> ts;
  std::vector<temp_dir> dirs;
  session ses;
  std::vector<torrent_handle> hs;

  seeding_session(const session_settings& s, int n, std::uint32_t seed) : dirs(static_cast<std::size_t>(n)), ses(s) {
    for (int i = 0; i < n; ++i) {
      ts.push_back(make_torrent(seed + static_cast<std::uint32_t>(i), default_piece_length, 20000, 20000));
      write_payload(ts.back(), dirs[static_cast<std::size_t>(i)].path);
      hs.push_back(add_test_torrent(ses, ts.back(), dirs[static_cast<std::size_t>(i)].path));
    }
    for (auto& h : hs) EXPECT_TRUE(wait_for_status(h, is_settled));
  }
  const sha1_hash& ih(int i) const { return ts[static_cast<std::size_t>(i)].ti->info_hash().v1; }
  int num_peers(int i) const {
    auto st = hs[static_cast<std::size_t>(i)].status();
    return st ? st->num_peers : -1;
  }
};

/// Connects a raw peer from `from` to torrent `ih` of `s` and waits until the session answered
/// with its handshake or closed the connection.
std::unique_ptr<raw_leecher> connect_from(seeding_session& s, int torrent, const std::string& from, const std::string& id) {
  auto p = std::make_unique<raw_leecher>();
  EXPECT_TRUE(p->connect(s.ses.listen_port(), s.ih(torrent), id.c_str(), from.c_str()));
  for (int i = 0; i < 100 && !p->handshake_seen && !p->eof; ++i) p->pump(20ms);
  return p;
}

/// Peers the session kept: answered and, after a further look, still open.
int kept(std::vector<std::unique_ptr<raw_leecher>>& peers) {
  int n = 0;
  for (auto& p : peers) {
    p->pump(50ms);
    n += (p->handshake_seen && !p->eof) ? 1 : 0;
  }
  return n;
}

TEST(ConnectionCaps, OneAddressKeepsOneConnectionPerTorrent) {
  seeding_session s(loopback_settings("127.0.0.1"), 1, 90);
  std::vector<std::unique_ptr<raw_leecher>> peers;
  for (int i = 0; i < 10; ++i) peers.push_back(connect_from(s, 0, "127.0.0.40", "ONEIP" + std::to_string(i)));
  EXPECT_EQ(kept(peers), 1) << "10 handshaked connections from one address";
  EXPECT_TRUE(peers.front()->handshake_seen && !peers.front()->eof) << "the first one is the one kept";
  EXPECT_EQ(s.num_peers(0), 1);
}

TEST(ConnectionCaps, AllowMultipleConnectionsPerIpStopsAtTheSessionCap) {
  auto settings = loopback_settings("127.0.0.1");
  settings.allow_multiple_connections_per_ip = true;
  settings.max_connections_per_ip = 3;
  seeding_session s(settings, 1, 91);
  std::vector<std::unique_ptr<raw_leecher>> peers;
  for (int i = 0; i < 6; ++i) peers.push_back(connect_from(s, 0, "127.0.0.41", "MULTI" + std::to_string(i)));
  EXPECT_EQ(kept(peers), 3);
  EXPECT_EQ(s.num_peers(0), 3);
}

TEST(ConnectionCaps, PerAddressCapCountsEveryTorrentAndOutgoingConnections) {
  auto settings = loopback_settings("127.0.0.1");
  settings.max_connections_per_ip = 2;
  seeding_session s(settings, 3, 92);
  // An outgoing connection to 127.0.0.42: a fourth torrent downloading from a fake seeder there
  // that never unchokes, so the connection stays.
  auto t = make_torrent(95, default_piece_length, 20000, 20000);
  fake_seeder seeder(t, "127.0.0.42", -1, std::chrono::milliseconds(10min));
  temp_dir leech_dir;
  auto lh = add_test_torrent(s.ses, t, leech_dir.path, {seeder.endpoint()});
  auto st = wait_for_status(lh, [](const torrent_status& x) { return x.num_peers == 1; });
  ASSERT_TRUE(st && st->num_peers == 1) << "the outgoing connection did not come up";
  std::vector<std::unique_ptr<raw_leecher>> peers;
  peers.push_back(connect_from(s, 0, "127.0.0.42", "CAPA"));
  peers.push_back(connect_from(s, 1, "127.0.0.42", "CAPB"));
  EXPECT_TRUE(peers[0]->handshake_seen && !peers[0]->eof) << "2nd connection with 127.0.0.42";
  EXPECT_TRUE(peers[1]->eof) << "3rd connection with 127.0.0.42, to another torrent";
  EXPECT_FALSE(peers[1]->handshake_seen);
  auto other = connect_from(s, 1, "127.0.0.43", "CAPC");
  EXPECT_TRUE(other->handshake_seen && !other->eof) << "another address is not held back";
  EXPECT_EQ(s.num_peers(0), 1);
  EXPECT_EQ(s.num_peers(1), 1);
}

TEST(ConnectionCaps, PerSubnetCapHoldsAcrossAddressesOfOneSlash24) {
  auto settings = loopback_settings("127.0.0.1");
  settings.max_connections_per_subnet = 2;
  seeding_session s(settings, 1, 93);
  std::vector<std::unique_ptr<raw_leecher>> peers;
  for (int i = 0; i < 3; ++i) {
    peers.push_back(connect_from(s, 0, "127.0.0." + std::to_string(51 + i), "NET" + std::to_string(i)));
  }
  auto elsewhere = connect_from(s, 0, "127.0.1.51", "NETX");  // another /24
  EXPECT_TRUE(peers[2]->eof && !peers[2]->handshake_seen) << "a third address of 127.0.0.0/24";
  EXPECT_EQ(kept(peers), 2);
  EXPECT_TRUE(elsewhere->handshake_seen && !elsewhere->eof);
  EXPECT_EQ(s.num_peers(0), 3);
}

TEST(ConnectionCaps, ATorrentDialsOnePortOfAHost) {
  // Two peers on one address (other ports): only one is dialled while it is connected.
  auto t = make_torrent(96, default_piece_length, 20000, 20000);
  fake_seeder a(t, "127.0.0.44", -1, std::chrono::milliseconds(10min));
  fake_seeder b(t, "127.0.0.44", -1, std::chrono::milliseconds(10min));
  session ses(loopback_settings("127.0.0.1"));
  temp_dir dir;
  auto h = add_test_torrent(ses, t, dir.path, {a.endpoint(), b.endpoint()});
  auto st = wait_for_status(h, [](const torrent_status& x) { return x.num_peers >= 1; });
  ASSERT_TRUE(st && st->num_peers >= 1);
  // Both were candidates of the same connect round: a second dial would have come with the first.
  EXPECT_FALSE(eventually([&] { return a.connections() + b.connections() > 1; }, 1s))
      << a.connections() + b.connections() << " connections with 127.0.0.44";
  st = h.status();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->num_peers, 1);
}

TEST(ConnectionCaps, AHostWeDialledMayDialUsOnce) {
  // When both sides dial each other, the peers' duplicate rules keep one of the two connections;
  // refusing the host's own connection here could meet the host closing ours (libtorrent does,
  // by its own rule). A second connection the host opens is refused.
  auto t = make_torrent(97, default_piece_length, 20000, 20000);
  fake_seeder them(t, "127.0.0.46", -1, std::chrono::milliseconds(10min));
  session ses(loopback_settings("127.0.0.1"));
  temp_dir dir;
  auto h = add_test_torrent(ses, t, dir.path, {them.endpoint()});
  auto st = wait_for_status(h, [](const torrent_status& x) { return x.num_peers == 1; });
  ASSERT_TRUE(st && st->num_peers == 1) << "our connection to them did not come up";
  raw_leecher first, second;
  ASSERT_TRUE(first.connect(ses.listen_port(), t.ti->info_hash(), "THEIRS1", "127.0.0.46"));
  for (int i = 0; i < 100 && !first.handshake_seen && !first.eof; ++i) first.pump(20ms);
  ASSERT_TRUE(second.connect(ses.listen_port(), t.ti->info_hash(), "THEIRS2", "127.0.0.46"));
  for (int i = 0; i < 100 && !second.handshake_seen && !second.eof; ++i) second.pump(20ms);
  first.pump(50ms);
  EXPECT_TRUE(first.handshake_seen && !first.eof) << "the host's first connection, beside ours";
  EXPECT_TRUE(second.eof && !second.handshake_seen) << "the host's second connection";
  st = h.status();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->num_peers, 2);
}

peer_id padded_id(const char* text) {  // zero-padded, as raw_leecher sends it
  peer_id id;
  for (std::size_t i = 0; i < id.bytes.size() && text[i] != 0; ++i) id.bytes[i] = static_cast<std::uint8_t>(text[i]);
  return id;
}

// Both sides dialled each other (as after PEX): the connection dialled by the greater peer id
// is kept, libtorrent's rule, so that both sides keep the same one. Ours is "-TS...": "zzzz" is
// greater, "!!!!" smaller.
void both_sides_dial(const char* their_id, const char* ip, bool theirs_kept) {
  auto t = make_torrent(98, default_piece_length, 20000, 20000);
  fake_seeder them(t, ip, -1, std::chrono::milliseconds(10min), padded_id(their_id));
  session ses(loopback_settings("127.0.0.1"));
  temp_dir dir;
  auto h = add_test_torrent(ses, t, dir.path, {them.endpoint()});
  auto st = wait_for_status(h, [](const torrent_status& x) { return x.num_peers == 1; });
  ASSERT_TRUE(st && st->num_peers == 1) << "our connection to them did not come up";
  raw_leecher theirs;
  ASSERT_TRUE(theirs.connect(ses.listen_port(), t.ti->info_hash(), their_id, ip));
  for (int i = 0; i < 100 && !theirs.handshake_seen && !theirs.eof; ++i) theirs.pump(20ms);
  theirs.pump(100ms);
  EXPECT_EQ(theirs.eof, !theirs_kept) << "the connection they dialled";
  EXPECT_FALSE(eventually([&] {
    auto now = h.status();
    return !now || now->num_peers != 1;
  }, 300ms)) << "exactly one of the two connections is kept";
  EXPECT_EQ(them.connections(), 1) << "the one we dialled is not dialled again";
}

TEST(ConnectionCaps, WhenBothSidesDialTheGreaterPeerIdsConnectionIsKept) {
  both_sides_dial("zzzz", "127.0.0.47", true);
}

TEST(ConnectionCaps, WhenBothSidesDialOursIsKeptAgainstASmallerPeerId) {
  both_sides_dial("!!!!", "127.0.0.48", false);
}

}  // namespace
}  // namespace tessera
