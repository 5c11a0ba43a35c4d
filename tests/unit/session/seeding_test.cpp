// The upload side end to end: tessera sessions seeding to tessera sessions on loopback (several
// sessions in one process, each its own network thread), incoming connections routed by
// info-hash, and the listen socket's port fallback.
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <fstream>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "core/torrent_info_builder.hpp"
#include "raw_peer.hpp"
#include "session/listener.hpp"
#include "session_test_support.hpp"

namespace tessera {
namespace {

using namespace test;
using namespace std::chrono_literals;
namespace wire = detail::wire;

/// loopback_settings with the DHT left on, as in a default session: these sessions seed to each
/// other with the handshake's DHT bit and `port` message exchanged, as real clients do.
session_settings loopback(const char* address, std::uint16_t port = 0) {
  auto s = loopback_settings(address, port);
  s.enable_dht = true;
  return s;
}

TEST(Seeding, SessionSeedsAThreeFileTorrentToAnotherSession) {
  // 12 MiB in 256 KiB pieces: enough for the leecher's pipeline to grow to its full depth, and
  // to exercise read-ahead and the send backlog.
  auto t = make_torrent(21, 256 * 1024, 5'000'000, 7'600'000);
  temp_dir seed_dir, leech_dir;
  write_payload(t, seed_dir.path);

  session seeder(loopback("127.0.0.1"));
  ASSERT_NE(seeder.listen_port(), 0);
  auto sh = add_test_torrent(seeder, t, seed_dir.path);
  auto ss = wait_for_status(sh, is_settled);
  ASSERT_TRUE(ss);
  ASSERT_EQ(ss->state, torrent_state::seeding) << ss->error;

  session leecher(loopback("127.0.0.2"));
  auto lh = add_test_torrent(leecher, t, leech_dir.path, {endpoint_of("127.0.0.1", seeder.listen_port())});
  const auto started = std::chrono::steady_clock::now();
  auto ls = wait_for_status(lh, is_settled);
  ASSERT_TRUE(ls);
  ASSERT_EQ(ls->state, torrent_state::seeding) << ls->error;
  // The leecher's interest unchokes it at once (a free slot), not at the 10 s rechoke.
  EXPECT_LT(std::chrono::steady_clock::now() - started, 8s);
  EXPECT_EQ(ls->total_wasted, 0);

  auto up = seeder.torrents().at(0).status();
  ASSERT_TRUE(up);
  EXPECT_GE(up->total_uploaded, t.ti->total_size());
  EXPECT_EQ(up->total_downloaded, 0);
  // Both are seeds now: the connection is dropped.
  auto gone = wait_for_status(sh, [](const torrent_status& s) { return s.num_peers == 0; }, 10s);
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->num_peers, 0);
  leecher.stop();
  seeder.stop();
  expect_files_match(t, leech_dir.path);
}

TEST(Seeding, LeechersAlsoUploadToEachOther) {
  // A seeder and two leechers; leecher B only knows leecher A, so everything B gets comes through
  // A, which uploads while it is still downloading.
  auto t = make_torrent(22, 32 * 1024, 300000, 200000);
  temp_dir seed_dir, a_dir, b_dir;
  write_payload(t, seed_dir.path);
  session seeder(loopback("127.0.0.1"));
  auto sh = add_test_torrent(seeder, t, seed_dir.path);
  ASSERT_TRUE(wait_for_status(sh, is_settled));

  session a(loopback("127.0.0.3"));
  session b(loopback("127.0.0.4"));
  auto ah = add_test_torrent(a, t, a_dir.path, {endpoint_of("127.0.0.1", seeder.listen_port())});
  auto bh = add_test_torrent(b, t, b_dir.path, {endpoint_of("127.0.0.3", a.listen_port())});
  auto as = wait_for_status(ah, is_settled);
  auto bs = wait_for_status(bh, is_settled, 40s);
  ASSERT_TRUE(as && bs);
  ASSERT_EQ(as->state, torrent_state::seeding) << as->error;
  ASSERT_EQ(bs->state, torrent_state::seeding) << bs->error;
  auto a_up = ah.status();
  ASSERT_TRUE(a_up);
  EXPECT_GE(a_up->total_uploaded, t.ti->total_size());
  b.stop();
  a.stop();
  seeder.stop();
  expect_files_match(t, a_dir.path);
  expect_files_match(t, b_dir.path);
}

/// Connects to 127.0.0.1:`port`, sends a handshake for `ih`; true when the session answers with
/// a handshake, false when it closes the connection (within 3 s).
bool handshake_answered(std::uint16_t port, const sha1_hash& ih) {
  asio::io_context io;
  tcp::socket s(io);
  boost::system::error_code ec;
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return false;
  std::vector<std::uint8_t> out;
  wire::write_handshake(out, {{}, ih, make_peer_id("TEST")});
  asio::write(s, asio::buffer(out), ec);
  if (ec) return false;
  std::vector<std::uint8_t> in(wire::handshake_length);
  std::atomic<bool> done{false};
  std::thread guard([&] {  // bound the blocking read
    for (int i = 0; i < 300 && !done; ++i) std::this_thread::sleep_for(10ms);
    if (!done) s.shutdown(tcp::socket::shutdown_both, ec);
  });
  boost::system::error_code rec;
  asio::read(s, asio::buffer(in), rec);
  done = true;
  guard.join();
  if (rec) return false;
  auto h = wire::parse_handshake(in);
  return h && h->info_hash == ih;
}

TEST(Seeding, IncomingHandshakeIsRoutedByInfoHashAndUnknownOnesAreClosed) {
  auto t = make_torrent(23);
  temp_dir dir;
  write_payload(t, dir.path);
  session ses(loopback("127.0.0.1"));
  auto h = add_test_torrent(ses, t, dir.path);
  ASSERT_TRUE(wait_for_status(h, is_settled));
  EXPECT_TRUE(handshake_answered(ses.listen_port(), t.ti->info_hash().v1));
  sha1_hash other = t.ti->info_hash().v1;
  other.bytes[0] ^= 0xff;
  EXPECT_FALSE(handshake_answered(ses.listen_port(), other));
}

TEST(Seeding, AHybridTorrentAnswersHandshakesByV1AndByTruncatedV2) {
  // BEP 52: peers of the v2 swarm send the v2 info-hash truncated to 20 bytes.
  auto t = make_torrent(24);
  // Hand-made: only the name matters here.
  t.ti = std::make_shared<tessera::torrent_info>(
      tessera::detail::edited(*t.ti, [](auto& tb) { tb.info_hash.v2.bytes.fill(0xa5); }));
  temp_dir dir;
  write_payload(t, dir.path);
  session ses(loopback("127.0.0.1"));
  auto h = add_test_torrent(ses, t, dir.path);
  ASSERT_TRUE(wait_for_status(h, is_settled));
  EXPECT_TRUE(handshake_answered(ses.listen_port(), t.ti->info_hash().v1));
  EXPECT_TRUE(handshake_answered(ses.listen_port(), t.ti->info_hash().v2_truncated()));
  sha1_hash other = t.ti->info_hash().v2_truncated();
  other.bytes[19] ^= 0xff;
  EXPECT_FALSE(handshake_answered(ses.listen_port(), other));
}

TEST(Seeding, ChokerUnchokesRegularSlotsPlusOneOptimisticAtOnce) {
  auto t = make_torrent(24);
  temp_dir dir;
  write_payload(t, dir.path);
  auto settings = loopback("127.0.0.1");
  settings.unchoke_slots = 2;
  session ses(settings);
  auto h = add_test_torrent(ses, t, dir.path);
  ASSERT_TRUE(wait_for_status(h, is_settled));
  std::vector<std::unique_ptr<raw_leecher>> peers;
  for (int i = 0; i < 5; ++i) {
    peers.push_back(std::make_unique<raw_leecher>());
    const std::string id = "RAW" + std::to_string(i);
    // Each from its own address: a torrent keeps one connection per address.
    const std::string from = "127.0.0." + std::to_string(20 + i);
    ASSERT_TRUE(peers.back()->connect(ses.listen_port(), t.ti->info_hash(), id.c_str(), from.c_str()));
  }
  // Interested peers and free slots: unchoked well before the 10 s round.
  for (int round = 0; round < 4; ++round) {
    for (auto& p : peers) p->pump(50ms);
  }
  int unchoked = 0;
  for (auto& p : peers) unchoked += p->unchoked ? 1 : 0;
  EXPECT_EQ(unchoked, 3) << "2 regular slots + 1 optimistic";
  auto st = h.status();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->num_peers, 5);
}

TEST(Seeding, IncomingPeersObeyTheConnectionLimitAndDuplicateIdsAreDropped) {
  auto t = make_torrent(25);
  temp_dir dir;
  write_payload(t, dir.path);
  auto settings = loopback("127.0.0.1");
  settings.max_connections_per_torrent = 2;
  session ses(settings);
  auto h = add_test_torrent(ses, t, dir.path);
  ASSERT_TRUE(wait_for_status(h, is_settled));
  // Each from its own address: a torrent keeps one connection per address.
  auto connect = [&](const char* id, const char* from) {
    auto p = std::make_unique<raw_leecher>();
    EXPECT_TRUE(p->connect(ses.listen_port(), t.ti->info_hash(), id, from));
    p->pump(300ms);
    return p;
  };
  auto first = connect("AAAA", "127.0.0.31");
  auto same_id = connect("AAAA", "127.0.0.32");
  auto second = connect("BBBB", "127.0.0.33");
  auto over_limit = connect("CCCC", "127.0.0.34");
  EXPECT_FALSE(first->eof);
  EXPECT_TRUE(same_id->eof) << "a peer id already connected is dropped";
  EXPECT_FALSE(second->eof);
  EXPECT_TRUE(over_limit->eof) << "beyond max_connections_per_torrent";
  auto st = h.status();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->num_peers, 2);
}

TEST(Seeding, ListenPortFallsBackWhenThePortIsTaken) {
  asio::io_context io;
  tcp::acceptor taken(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const std::uint16_t port = taken.local_endpoint().port();
  session ses(loopback("127.0.0.1", port));
  EXPECT_NE(ses.listen_port(), 0);
  EXPECT_NE(ses.listen_port(), port);
  // Still reachable on the port it reports.
  tcp::socket s(io);
  boost::system::error_code ec;
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), ses.listen_port()), ec);
  EXPECT_FALSE(ec) << ec.message();
}

TEST(Listener, TakenPortFallsBackToAnotherPort) {
  asio::io_context io;
  tcp::acceptor taken(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const std::uint16_t port = taken.local_endpoint().port();
  detail::listener_settings ls;
  ls.interface = "127.0.0.1";
  ls.port = port;
  ls.fallback_ports = 3;
  auto l = std::make_shared<detail::listener>(io.get_executor(), ls, nullptr);
  auto got = l->open();
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_NE(*got, port);
  EXPECT_NE(*got, 0);
  EXPECT_EQ(l->port(), *got);
  ASSERT_EQ(l->endpoints().size(), 1u);
  EXPECT_EQ(l->endpoints()[0], tcp::endpoint(asio::ip::make_address("127.0.0.1"), *got));
}

TEST(Listener, MalformedInterfaceIsAnError) {
  asio::io_context io;
  detail::listener_settings ls;
  ls.interface = "not-an-address";
  auto l = std::make_shared<detail::listener>(io.get_executor(), ls, nullptr);
  auto got = l->open();
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error(), std::errc::invalid_argument);
  EXPECT_EQ(l->port(), 0);
}

TEST(Listener, AllAddressesBindsIPv4AndIPv6OnTheSamePort) {
  asio::io_context io;
  detail::listener_settings ls;
  ls.interface = "";
  ls.port = 0;
  auto l = std::make_shared<detail::listener>(io.get_executor(), ls, nullptr);
  auto got = l->open();
  ASSERT_TRUE(got);
  auto eps = l->endpoints();
  ASSERT_GE(eps.size(), 1u);
  EXPECT_TRUE(eps[0].address().is_v4());
  for (const auto& ep : eps) EXPECT_EQ(ep.port(), *got);
  // Where the host has IPv6, the second socket is on ::.
  if (eps.size() == 2) {
    EXPECT_TRUE(eps[1].address().is_v6());
  }
}

TEST(Listener, HandsOverTheSocketWithTheParsedHandshakeOverIPv4AndIPv6) {
  asio::io_context io;
  detail::listener_settings ls;
  ls.interface = "";
  ls.port = 0;
  std::vector<wire::handshake> got;
  std::vector<tcp::endpoint> from;
  auto l = std::make_shared<detail::listener>(io.get_executor(), ls,
                                              [&](detail::peer_stream s, const wire::handshake& h) {
                                                got.push_back(h);
                                                boost::system::error_code ec;
                                                from.push_back(s.remote_endpoint(ec));
                                              });
  auto port = l->open();
  ASSERT_TRUE(port);
  l->start();
  std::vector<std::string> addresses = {"127.0.0.1"};
  if (l->endpoints().size() == 2) addresses.push_back("::1");
  std::vector<std::unique_ptr<tcp::socket>> clients;
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    auto c = std::make_unique<tcp::socket>(io);
    c->connect(tcp::endpoint(asio::ip::make_address(addresses[i]), *port));
    std::vector<std::uint8_t> out;
    sha1_hash ih;
    ih.bytes[0] = static_cast<std::uint8_t>(i + 1);
    wire::write_handshake(out, {{}, ih, make_peer_id("LSTN")});
    asio::write(*c, asio::buffer(out));
    clients.push_back(std::move(c));
  }
  for (int i = 0; i < 200 && got.size() < addresses.size(); ++i) io.run_for(10ms);
  ASSERT_EQ(got.size(), addresses.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].info_hash.bytes[0], i + 1);
    EXPECT_EQ(from[i].address(), clients[i]->local_endpoint().address());
  }
  l->close();
  io.run_for(50ms);
}

TEST(Listener, SilentOrGarbageConnectionsAreClosedWithoutReachingTheSession) {
  asio::io_context io;
  detail::listener_settings ls;
  ls.interface = "127.0.0.1";
  ls.port = 0;
  ls.handshake_timeout = 1s;
  int handed_over = 0;
  auto l = std::make_shared<detail::listener>(io.get_executor(), ls,
                                              [&](detail::peer_stream, const wire::handshake&) { ++handed_over; });
  auto port = l->open();
  ASSERT_TRUE(port);
  l->start();
  const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), *port);
  tcp::socket silent(io), garbage(io);
  silent.connect(ep);
  garbage.connect(ep);
  std::vector<std::uint8_t> junk(wire::handshake_length, 'x');  // not "\x13BitTorrent protocol"
  asio::write(garbage, asio::buffer(junk));
  // Both are closed by the listener: a read sees EOF (the silent one after the 1 s timeout).
  int closed = 0;
  std::array<std::uint8_t, 16> buf{};
  for (auto* s : {&garbage, &silent}) {
    s->async_read_some(asio::buffer(buf), [&](boost::system::error_code ec, std::size_t) {
      if (ec) ++closed;
    });
  }
  const auto start = std::chrono::steady_clock::now();
  while (closed < 2 && std::chrono::steady_clock::now() - start < 5s) io.run_for(20ms);
  EXPECT_EQ(closed, 2);
  EXPECT_EQ(handed_over, 0);
  l->close();
  io.run_for(50ms);
}

}  // namespace
}  // namespace tessera
