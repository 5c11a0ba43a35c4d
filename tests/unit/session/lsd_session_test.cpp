// Local service discovery (BEP 14) in the session: the driver's interface choice, the driver
// between two loopback addresses (private torrents never announced), and two sessions with no
// tracker and no DHT that find each other through LSD alone and complete a download.
//
// Every multicast here goes out on loopback (IP_MULTICAST_IF 127.0.0.x, IPv4 only) to a group
// port picked per test, never 6771, so tests never mix with real LSD traffic or with each other.
#include <fstream>
#include <set>
#include <thread>

#include "../support/multicast_probe.hpp"
#include "core/torrent_info_builder.hpp"
#include "session/lsd_driver.hpp"
#include "session_test_support.hpp"

namespace tessera {
namespace {

using namespace test;
using namespace std::chrono_literals;

#define SKIP_WITHOUT_LOOPBACK_MULTICAST(port)                                            \
  if (auto why = loopback_multicast_problem(port, "127.0.0.2", "127.0.0.3"); !why.empty()) {                       \
    GTEST_SKIP() << "this sandbox cannot multicast on loopback: " << why;                \
  }

// ---------------------------------------------------------------------------------------------
// Settings: which interface, which groups

TEST(LsdDriverSettings, Ipv4LiteralIsTheOnlyInterfaceAndNoIpv6Group) {
  session_settings s;
  s.listen_interface = "127.0.0.2";
  s.lsd_port = 40000;
  auto d = detail::lsd_driver_settings_from(s, 51413);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->interface_v4.to_string(), "127.0.0.2");
  EXPECT_FALSE(d->ipv6);
  EXPECT_EQ(d->group_port, 40000);
  EXPECT_EQ(d->listen_port, 51413);
}

TEST(LsdDriverSettings, EmptyInterfaceIsTheKernelsChoiceWithBothGroups) {
  session_settings s;
  EXPECT_EQ(s.lsd_port, 6771);
  EXPECT_TRUE(s.enable_lsd);
  auto d = detail::lsd_driver_settings_from(s, 0);
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->interface_v4.is_unspecified());
  EXPECT_TRUE(d->ipv6);
  EXPECT_EQ(d->group_port, 6771);
  EXPECT_EQ(d->listen_port, s.listen_port) << "not listening yet: the configured port";
}

TEST(LsdDriverSettings, OffWhenDisabledOrTheInterfaceIsIpv6OrNotAnAddress) {
  std::string why;
  session_settings off;
  off.enable_lsd = false;
  EXPECT_FALSE(detail::lsd_driver_settings_from(off, 6881, &why));
  EXPECT_EQ(why, "turned off");
  session_settings v6;
  v6.listen_interface = "::1";
  EXPECT_FALSE(detail::lsd_driver_settings_from(v6, 6881, &why));
  EXPECT_NE(why.find("IPv6"), std::string::npos) << why;
  session_settings junk;
  junk.listen_interface = "eth0";
  EXPECT_FALSE(detail::lsd_driver_settings_from(junk, 6881, &why));
  EXPECT_NE(why.find("not an IP address"), std::string::npos) << why;
}

// ---------------------------------------------------------------------------------------------
// Driver

torrent_info info_with_hash(std::uint8_t b, bool is_private = false) {
  tessera::detail::torrent_info_builder ti;
  ti.info_hash.v1.bytes.fill(b);
  ti.is_private = is_private;
  return std::move(ti).build();
}

struct heard {
  sha1_hash ih;
  tcp::endpoint peer;
};

TEST(LsdDriver, DeliversPeersOfPublicTorrentsAndNeverAnnouncesPrivateOnes) {
  const auto port = free_udp_port();
  SKIP_WITHOUT_LOOPBACK_MULTICAST(port);
  asio::io_context io;
  std::vector<heard> at_a, at_b;
  detail::lsd_driver_settings sa{40001, asio::ip::make_address_v4("127.0.0.2"), false, port};
  detail::lsd_driver_settings sb{40002, asio::ip::make_address_v4("127.0.0.3"), false, port};
  auto a = detail::lsd_driver::start(io.get_executor(), sa, [&](auto& ih, auto& ep) { at_a.push_back({ih, ep}); });
  auto b = detail::lsd_driver::start(io.get_executor(), sb, [&](auto& ih, auto& ep) { at_b.push_back({ih, ep}); });
  ASSERT_TRUE(a && b);
  const auto pub = info_with_hash(0x11), priv = info_with_hash(0x22, true);
  EXPECT_TRUE((*a)->add_torrent(pub));
  EXPECT_FALSE((*a)->add_torrent(priv));
  EXPECT_TRUE((*b)->add_torrent(pub));
  EXPECT_FALSE((*b)->add_torrent(priv));
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  while ((at_a.empty() || at_b.empty()) && std::chrono::steady_clock::now() < deadline) io.run_for(10ms);
  io.run_for(200ms);  // a late wrong report would show up now
  ASSERT_EQ(at_a.size(), 1u);
  ASSERT_EQ(at_b.size(), 1u);
  EXPECT_EQ(at_a[0].ih, pub.info_hash().v1);
  EXPECT_EQ(at_a[0].peer, tcp::endpoint(asio::ip::make_address("127.0.0.3"), 40002));
  EXPECT_EQ(at_b[0].ih, pub.info_hash().v1);
  EXPECT_EQ(at_b[0].peer, tcp::endpoint(asio::ip::make_address("127.0.0.2"), 40001));
  EXPECT_EQ((*a)->stats().messages_sent, 1u) << "one IPv4 announce, the private hash not in it";

  // After stop: no more sink calls, add_torrent refused.
  (*a)->stop();
  EXPECT_FALSE((*a)->add_torrent(info_with_hash(0x33)));
  (*b)->add_torrent(info_with_hash(0x33));
  io.run_for(300ms);
  EXPECT_EQ(at_a.size(), 1u);
  (*b)->stop();
  io.run_for(50ms);
}

TEST(LsdDriver, HybridTorrentIsAnnouncedUnderBothHashesInOneMessage) {
  // BEP 52: a hybrid's v1 hash and truncated v2 hash are two swarms; LSD (BEP 14) carries both.
  const auto port = free_udp_port();
  SKIP_WITHOUT_LOOPBACK_MULTICAST(port);
  asio::io_context io;
  std::vector<heard> at_b;
  detail::lsd_driver_settings sa{40003, asio::ip::make_address_v4("127.0.0.2"), false, port};
  detail::lsd_driver_settings sb{40004, asio::ip::make_address_v4("127.0.0.3"), false, port};
  auto a = detail::lsd_driver::start(io.get_executor(), sa, [](auto&, auto&) {});
  auto b = detail::lsd_driver::start(io.get_executor(), sb, [&](auto& ih, auto& ep) { at_b.push_back({ih, ep}); });
  ASSERT_TRUE(a && b);
  auto hybrid = info_with_hash(0x44);
  hybrid = tessera::detail::edited(hybrid, [](auto& tb) { tb.info_hash.v2.bytes.fill(0x55); });
  EXPECT_TRUE((*b)->add_torrent(hybrid));
  EXPECT_TRUE((*a)->add_torrent(hybrid));
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  while (at_b.size() < 2 && std::chrono::steady_clock::now() < deadline) io.run_for(10ms);
  io.run_for(200ms);
  ASSERT_EQ(at_b.size(), 2u);
  std::set<sha1_hash> hashes{at_b[0].ih, at_b[1].ih};
  EXPECT_EQ(hashes, (std::set<sha1_hash>{hybrid.info_hash().v1, hybrid.info_hash().v2_truncated()}));
  for (const auto& h : at_b) EXPECT_EQ(h.peer, tcp::endpoint(asio::ip::make_address("127.0.0.2"), 40003));
  EXPECT_EQ((*a)->stats().messages_sent, 1u) << "both hashes in one announce";
  (*a)->stop();
  (*b)->stop();
  io.run_for(50ms);
}

// ---------------------------------------------------------------------------------------------
// Sessions

/// loopback_settings with LSD on, its multicast group on `group_port` (never 6771). The listen
/// interface is also the multicast interface, so every announce stays on loopback.
session_settings lsd_loopback(const char* address, std::uint16_t group_port) {
  auto s = loopback_settings(address);
  s.enable_lsd = true;
  s.lsd_port = group_port;
  return s;
}

bool is_state(const torrent_handle& h, torrent_state want) {
  auto s = h.status();
  return s && s->state == want;
}

int peers_of(const torrent_handle& h) {
  auto s = h.status();
  return s ? s->num_peers : -1;
}

TEST(LsdSession, LeecherFindsASeederThroughLsdAloneAndDownloads) {
  const auto port = free_udp_port();
  SKIP_WITHOUT_LOOPBACK_MULTICAST(port);
  auto t = make_torrent(61, 32 * 1024, 400000, 300000);
  ASSERT_TRUE(t.ti->trackers().empty());
  temp_dir seed_dir, leech_dir;
  write_payload(t, seed_dir.path);
  session seeder(lsd_loopback("127.0.0.2", port));
  auto sh = add_test_torrent(seeder, t, seed_dir.path);
  ASSERT_TRUE(eventually([&] { return is_state(sh, torrent_state::seeding); }, 30s));

  // No tracker, no DHT, no peer given: only the LSD announces name the seeder.
  session leecher(lsd_loopback("127.0.0.3", port));
  ASSERT_FALSE(leecher.dht());
  auto lh = add_test_torrent(leecher, t, leech_dir.path);
  ASSERT_TRUE(eventually([&] { return is_state(lh, torrent_state::seeding); }, 30s))
      << "leecher peers: " << peers_of(lh) << ", seeder peers: " << peers_of(sh);
  leecher.stop();
  seeder.stop();
  expect_files_match(t, leech_dir.path);
}

TEST(LsdSession, PrivateTorrentsAndSessionsWithLsdOffAreNotFound) {
  const auto port = free_udp_port();
  SKIP_WITHOUT_LOOPBACK_MULTICAST(port);
  auto priv = make_torrent(62);
  priv.ti = std::make_shared<tessera::torrent_info>(tessera::detail::edited(*priv.ti, [&](auto& tb) {
    tb.is_private = true;
  }));
  auto pub = make_torrent(63);
  temp_dir d1, d2, d3, d4, d5;
  write_payload(priv, d1.path);
  write_payload(pub, d3.path);
  session a(lsd_loopback("127.0.0.2", port));
  session b(lsd_loopback("127.0.0.3", port));
  auto off_settings = lsd_loopback("127.0.0.4", port);
  off_settings.enable_lsd = false;
  session off(off_settings);
  auto priv_seed = add_test_torrent(a, priv, d1.path);
  auto priv_leech = add_test_torrent(b, priv, d2.path);
  auto pub_seed = add_test_torrent(a, pub, d3.path);
  auto pub_off = add_test_torrent(off, pub, d4.path);
  ASSERT_TRUE(eventually([&] { return is_state(priv_seed, torrent_state::seeding) && is_state(pub_seed, torrent_state::seeding); }, 30s));
  // Announces are sent at once when a torrent is added: a second is plenty on loopback, and
  // the public torrent in the same sessions shows that LSD runs.
  auto pub_leech = add_test_torrent(b, pub, d5.path);
  ASSERT_TRUE(eventually([&] { return is_state(pub_leech, torrent_state::seeding); }, 10s))
      << "LSD works between a and b";
  std::this_thread::sleep_for(1s);
  auto ps = priv_leech.status();
  ASSERT_TRUE(ps);
  EXPECT_EQ(ps->num_peers, 0) << "a private torrent is never announced (BEP 27)";
  EXPECT_EQ(ps->total_downloaded, 0);
  EXPECT_EQ(peers_of(priv_seed), 0);
  EXPECT_EQ(peers_of(pub_off), 0) << "a session with LSD off neither announces nor listens";
  auto st = pub_off.status();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->total_downloaded, 0) << "the session with LSD off found no seeder";
}

}  // namespace
}  // namespace tessera
