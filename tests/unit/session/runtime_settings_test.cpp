// session::apply_settings: settings changed at run time take effect -- the listen port (a new
// listener, announced from then on), the DHT on and off, the upload limit, the connections per
// torrent -- and current_settings() reports them.
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "core/extension_messages.hpp"
#include "core/torrent_info_builder.hpp"
#include "core/wire.hpp"
#include "session_test_support.hpp"
#include "tessera/session.hpp"

namespace tessera {
namespace {

using namespace test;
using namespace std::chrono_literals;

bool is_seeding(const torrent_status& s) { return s.state == torrent_state::seeding; }

/// Whether a TCP connection to 127.0.0.1:`port` is accepted.
bool accepts(std::uint16_t port) {
  asio::io_context io;
  tcp::socket sock(io);
  boost::system::error_code ec;
  sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  return !ec;
}

/// A port free on 127.0.0.1 a moment ago.
std::uint16_t free_port() {
  asio::io_context io;
  tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

TEST(RuntimeSettings, ANewListenPortIsBoundAnnouncedAndTheOldOneClosed) {
  auto t = make_torrent(321, 32 * 1024, 50000, 40000);
  fake_tracker tracker({});
  t.ti = std::make_shared<tessera::torrent_info>(tessera::detail::edited(*t.ti, [&](auto& tb) {
    tb.trackers = {{tracker.url()}};
  }));
  temp_dir dir;
  write_payload(t, dir.path);
  session ses(loopback_settings("127.0.0.1"));
  const std::uint16_t old_port = ses.listen_port();
  ASSERT_NE(old_port, 0);
  auto h = add_test_torrent(ses, t, dir.path);
  ASSERT_TRUE(wait_for_status(h, is_seeding));
  auto sent = [&](const std::string& what) {
    for (const auto& r : tracker.requests())
      if (r.find(what) != std::string::npos) return true;
    return false;
  };
  ASSERT_TRUE(eventually([&] { return sent("port=" + std::to_string(old_port)); }, 10s));

  auto s = ses.current_settings();
  const std::uint16_t new_port = free_port();
  ASSERT_NE(new_port, old_port);
  s.listen_port = new_port;
  ses.apply_settings(s);
  EXPECT_EQ(ses.listen_port(), new_port);
  EXPECT_EQ(ses.current_settings().listen_port, new_port);
  EXPECT_TRUE(accepts(new_port));
  EXPECT_FALSE(accepts(old_port)) << "the old listener is closed";
  ASSERT_TRUE(h.force_reannounce());
  EXPECT_TRUE(eventually([&] { return sent("port=" + std::to_string(new_port)); }, 10s))
      << "the tracker learns the new port";
}

TEST(RuntimeSettings, TheDhtIsTurnedOffAndOnAgain) {
  auto settings = loopback_settings("127.0.0.1");
  settings.enable_dht = true;
  session ses(settings);
  ASSERT_TRUE(ses.dht().has_value());
  auto s = ses.current_settings();
  s.enable_dht = false;
  ses.apply_settings(s);
  EXPECT_FALSE(ses.dht().has_value());
  EXPECT_FALSE(ses.current_settings().enable_dht);
  s.enable_dht = true;
  ses.apply_settings(s);
  auto d = ses.dht();
  ASSERT_TRUE(d.has_value());
  EXPECT_NE(d->port, 0);
  EXPECT_TRUE(ses.current_settings().enable_dht);
}

TEST(RuntimeSettings, AnUploadLimitSetAtRunTimeSlowsTheTransfer) {
  auto t = make_torrent(322, 32 * 1024, 200000, 100000);  // 300,001 bytes
  temp_dir seed_dir, leech_dir;
  write_payload(t, seed_dir.path);
  session seeder(loopback_settings("127.0.0.2"));
  auto sh = add_test_torrent(seeder, t, seed_dir.path);
  ASSERT_TRUE(wait_for_status(sh, is_seeding));
  auto s = seeder.current_settings();
  s.upload_rate_limit = 100'000;
  seeder.apply_settings(s);
  EXPECT_EQ(seeder.current_settings().upload_rate_limit, 100'000);

  session leecher(loopback_settings("127.0.0.3"));
  const auto start = std::chrono::steady_clock::now();
  auto lh = add_test_torrent(leecher, t, leech_dir.path, {endpoint_of("127.0.0.2", seeder.listen_port())});
  auto done = wait_for_status(lh, is_settled, 60s);
  ASSERT_TRUE(done);
  ASSERT_EQ(done->state, torrent_state::seeding) << done->error;
  // At 100 kB/s, 300 kB need about 3 s (less a first burst of the bucket); unlimited, loopback
  // moves them in a few milliseconds.
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1500ms);
}

TEST(RuntimeSettings, FewerConnectionsPerTorrentAreDialled) {
  auto t = make_torrent(323);
  fake_seeder a(t, "127.0.0.4"), b(t, "127.0.0.5"), c(t, "127.0.0.6");
  temp_dir dir;
  session ses(loopback_settings("127.0.0.1"));
  auto s = ses.current_settings();
  s.max_connections_per_torrent = 1;
  ses.apply_settings(s);
  EXPECT_EQ(ses.current_settings().max_connections_per_torrent, 1);
  auto h = add_test_torrent(ses, t, dir.path, {a.endpoint(), b.endpoint(), c.endpoint()});
  auto done = wait_for_status(h, is_settled);
  ASSERT_TRUE(done);
  ASSERT_EQ(done->state, torrent_state::seeding) << done->error;
  EXPECT_EQ(a.connections() + b.connections() + c.connections(), 1)
      << "one connection at a time: the first seeder served everything";
}

TEST(RuntimeSettings, FewerConnectionsInTheSessionAreDialled) {
  auto t = make_torrent(324);
  fake_seeder a(t, "127.0.0.7"), b(t, "127.0.0.8"), c(t, "127.0.0.9");
  temp_dir dir;
  session ses(loopback_settings("127.0.0.1"));
  auto s = ses.current_settings();
  s.max_connections = 1;
  ses.apply_settings(s);
  EXPECT_EQ(ses.current_settings().max_connections, 1);
  auto h = add_test_torrent(ses, t, dir.path, {a.endpoint(), b.endpoint(), c.endpoint()});
  auto done = wait_for_status(h, is_settled);
  ASSERT_TRUE(done);
  ASSERT_EQ(done->state, torrent_state::seeding) << done->error;
  EXPECT_EQ(a.connections() + b.connections() + c.connections(), 1) << "one connection in the whole session";
}

/// Descriptors of this process open on files under `dir`.
int files_open_under(const std::filesystem::path& dir) {
  int n = 0;
  std::error_code ec;
  const std::string prefix = std::filesystem::canonical(dir, ec).string() + "/";
  for (auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    auto target = std::filesystem::read_symlink(e.path(), ec);
    if (!ec && target.string().rfind(prefix, 0) == 0) ++n;
  }
  return n;
}

TEST(RuntimeSettings, ASmallerOpenFilePoolClosesFiles) {
  auto t = make_torrent(325);  // three files, all read by the check
  temp_dir dir;
  write_payload(t, dir.path);
  session ses(loopback_settings("127.0.0.1"));
  // Counted from the start: the first check's event may reach the event thread after the torrent
  // is seeding, so a handler set later could count it as the recheck's.
  auto checks = std::make_shared<std::atomic<int>>(0);
  ses.set_event_handler([checks](const event& e) {
    if (std::holds_alternative<events::torrent_checked>(e)) ++*checks;
  });
  auto h = add_test_torrent(ses, t, dir.path);
  ASSERT_TRUE(wait_for_status(h, is_seeding));
  ASSERT_TRUE(eventually([&] { return checks->load() == 1; }, 10s)) << "the first check's event";
  EXPECT_EQ(files_open_under(dir.path), 3) << "the pool (40 files) keeps the three files the check read";
  auto s = ses.current_settings();
  s.max_open_files = 1;
  ses.apply_settings(s);
  EXPECT_EQ(ses.current_settings().max_open_files, 1);
  EXPECT_LE(files_open_under(dir.path), 1);
  // Files are reopened when needed: a recheck still verifies every piece.
  ASSERT_TRUE(h.force_recheck());
  ASSERT_TRUE(eventually([&] { return checks->load() == 2; }, 10s)) << "the recheck ended";
  auto again = wait_for_status(h, is_seeding);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->state, torrent_state::seeding) << again->error;
  EXPECT_EQ(again->pieces_done, t.ti->num_pieces());
  EXPECT_LE(files_open_under(dir.path), 1);
}

/// Connects to a seeding session as a peer that speaks the extension protocol (BEP 10) and
/// returns the ut_pex id of the session's extended handshake (0: PEX off); nullopt when no
/// extended handshake came within `limit`.
std::optional<int> ut_pex_offered(std::uint16_t port, const sha1_hash& ih, const char* from, const char* id,
                                  std::chrono::milliseconds limit = 5000ms) {
  namespace wire = detail::wire;
  asio::io_context io;
  tcp::socket s(io);
  boost::system::error_code ec;
  s.open(tcp::v4(), ec);
  if (!ec) s.bind(tcp::endpoint(asio::ip::make_address(from), 0), ec);
  if (!ec) s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return std::nullopt;
  timeval tv{0, 20 * 1000};
  ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  wire::handshake h;
  h.reserved[5] |= 0x10;  // BEP 10
  h.info_hash = ih;
  for (std::size_t i = 0; i < h.id.bytes.size() && id[i] != 0; ++i) h.id.bytes[i] = static_cast<std::uint8_t>(id[i]);
  std::vector<std::uint8_t> out;
  wire::write_handshake(out, h);
  asio::write(s, asio::buffer(out), ec);
  if (ec) return std::nullopt;
  std::vector<std::uint8_t> buf, chunk(64 * 1024);
  bool handshake_seen = false;
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    const ssize_t n = ::recv(s.native_handle(), chunk.data(), chunk.size(), 0);
    if (n == 0) return std::nullopt;
    if (n < 0) continue;
    buf.insert(buf.end(), chunk.begin(), chunk.begin() + n);
    std::size_t at = 0;
    if (!handshake_seen) {
      if (buf.size() < wire::handshake_length) continue;
      at = wire::handshake_length;
      handshake_seen = true;
    }
    for (;;) {
      auto r = wire::decode_message({buf.data() + at, buf.size() - at}, 1 << 20);
      if (r.ec || r.consumed == 0) break;
      at += r.consumed;
      if (const auto* x = std::get_if<wire::extended>(&r.msg); x && x->id == detail::extended_handshake_id) {
        auto eh = detail::parse_extension_handshake(
            std::string_view(reinterpret_cast<const char*>(x->payload.data()), x->payload.size()));
        if (!eh) return std::nullopt;
        return eh->ut_pex;
      }
    }
    buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(at));
  }
  return std::nullopt;
}

TEST(RuntimeSettings, PeerExchangeIsWithdrawnAndOfferedAgain) {
  auto t = make_torrent(326);
  temp_dir dir;
  write_payload(t, dir.path);
  session ses(loopback_settings("127.0.0.1"));
  auto h = add_test_torrent(ses, t, dir.path);
  ASSERT_TRUE(wait_for_status(h, is_seeding));
  auto on = ut_pex_offered(ses.listen_port(), t.ti->info_hash().v1, "127.0.3.1", "PEX-A");
  ASSERT_TRUE(on.has_value()) << "no extended handshake";
  EXPECT_NE(*on, 0) << "PEX is on by default";
  auto s = ses.current_settings();
  s.enable_pex = false;
  ses.apply_settings(s);
  EXPECT_FALSE(ses.current_settings().enable_pex);
  auto off = ut_pex_offered(ses.listen_port(), t.ti->info_hash().v1, "127.0.3.2", "PEX-B");
  ASSERT_TRUE(off.has_value());
  EXPECT_EQ(*off, 0) << "a torrent of a session without PEX offers no ut_pex";
  s.enable_pex = true;
  ses.apply_settings(s);
  auto again = ut_pex_offered(ses.listen_port(), t.ti->info_hash().v1, "127.0.3.3", "PEX-C");
  ASSERT_TRUE(again.has_value());
  EXPECT_NE(*again, 0);
}

}  // namespace
}  // namespace tessera
