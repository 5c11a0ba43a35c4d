// BEP 15 UDP tracker: the packet codec, and udp_tracker_client against an in-process fake tracker.
#include <gtest/gtest.h>

#include "discovery/tracker_parse.hpp"
#include "discovery/udp_tracker_wire.hpp"
#include "discovery_test_support.hpp"

namespace tessera::detail {
namespace {

using namespace std::chrono_literals;
using boost::asio::ip::make_address;
using boost::asio::ip::tcp;
using bytes = std::vector<std::uint8_t>;
using test::get32;
using test::get64;
using test::put32;
using test::put64;
using test::sample_request;

constexpr std::uint64_t fake_connection_id = 0x1122334455667788ULL;

bytes connect_reply(std::uint32_t tid, std::uint64_t cid = fake_connection_id) {
  bytes out;
  put32(out, 0);
  put32(out, tid);
  put64(out, cid);
  return out;
}

bytes announce_reply(std::uint32_t tid, std::int32_t interval, const bytes& peers) {
  bytes out;
  put32(out, 1);
  put32(out, tid);
  put32(out, static_cast<std::uint32_t>(interval));
  put32(out, 3);  // leechers
  put32(out, 4);  // seeders
  out.insert(out.end(), peers.begin(), peers.end());
  return out;
}

bytes error_reply(std::uint32_t tid, const std::string& msg) {
  bytes out;
  put32(out, 3);
  put32(out, tid);
  out.insert(out.end(), msg.begin(), msg.end());
  return out;
}

bytes peer4(std::uint8_t last, std::uint16_t port) {
  return {10, 0, 0, last, static_cast<std::uint8_t>(port >> 8), static_cast<std::uint8_t>(port)};
}

bool is_connect(const bytes& b) { return b.size() == 16 && get64(b, 0) == udp_wire::protocol_id && get32(b, 8) == 0; }
bool is_announce(const bytes& b) { return b.size() >= 98 && get32(b, 8) == 1; }

/// A well-behaved BEP 15 tracker giving two IPv4 peers.
std::vector<bytes> honest(const bytes& req) {
  if (is_connect(req)) return {connect_reply(get32(req, 12))};
  if (is_announce(req) && get64(req, 0) == fake_connection_id) {
    auto peers = peer4(1, 6881);
    auto more = peer4(2, 6882);
    peers.insert(peers.end(), more.begin(), more.end());
    return {announce_reply(get32(req, 12), 1200, peers)};
  }
  return {};
}

// ---- codec -----------------------------------------------------------------------------------

TEST(UdpTrackerWire, ConnectAndAnnounceLayout) {
  auto c = udp_wire::build_connect(0xAABBCCDD);
  ASSERT_EQ(c.size(), 16u);
  EXPECT_EQ(get64(c, 0), 0x41727101980ULL);
  EXPECT_EQ(get32(c, 8), 0u);
  EXPECT_EQ(get32(c, 12), 0xAABBCCDDu);

  auto req = sample_request();
  req.event = announce_event::started;
  req.downloaded = 5;
  req.left = 6;
  req.uploaded = 7;
  auto a = udp_wire::build_announce(42, 9, req);
  ASSERT_EQ(a.size(), 98u);
  EXPECT_EQ(get64(a, 0), 42u);
  EXPECT_EQ(get32(a, 8), 1u);
  EXPECT_EQ(get32(a, 12), 9u);
  EXPECT_TRUE(std::equal(req.info_hash.bytes.begin(), req.info_hash.bytes.end(), a.begin() + 16));
  EXPECT_TRUE(std::equal(req.pid.bytes.begin(), req.pid.bytes.end(), a.begin() + 36));
  EXPECT_EQ(get64(a, 56), 5u);
  EXPECT_EQ(get64(a, 64), 6u);
  EXPECT_EQ(get64(a, 72), 7u);
  EXPECT_EQ(get32(a, 80), 2u);  // started
  EXPECT_EQ(get32(a, 84), 0u);
  EXPECT_EQ(get32(a, 88), 0xDEADBEEFu);
  EXPECT_EQ(get32(a, 92), 50u);
  EXPECT_EQ((a[96] << 8) | a[97], 6881);
}

TEST(UdpTrackerWire, RepliesForOtherTransactionsOrTooShortAreIgnored) {
  using kind = udp_wire::reply::kind;
  auto good = connect_reply(7);
  EXPECT_EQ(udp_wire::parse_reply(good, 7, udp_wire::action::connect, false).what, kind::connected);
  EXPECT_EQ(udp_wire::parse_reply(good, 8, udp_wire::action::connect, false).what, kind::ignore);
  EXPECT_EQ(udp_wire::parse_reply(std::span(good).first(15), 7, udp_wire::action::connect, false).what,
            kind::ignore);
  EXPECT_EQ(udp_wire::parse_reply(good, 7, udp_wire::action::announce, false).what, kind::ignore);
  EXPECT_EQ(udp_wire::parse_reply(bytes{}, 7, udp_wire::action::connect, false).what, kind::ignore);
  auto err = error_reply(7, "nope");
  auto r = udp_wire::parse_reply(err, 7, udp_wire::action::announce, false);
  EXPECT_EQ(r.what, kind::error);
  EXPECT_EQ(r.message, "nope");
}

TEST(UdpTrackerWire, HostileAnnounceValuesAreClamped) {
  auto peers = peer4(1, 1);
  peers.push_back(9);  // a partial trailing entry
  auto r = udp_wire::parse_reply(announce_reply(5, -100, peers), 5, udp_wire::action::announce, false);
  ASSERT_EQ(r.what, udp_wire::reply::kind::announced);
  EXPECT_EQ(r.response.interval, 30s);
  ASSERT_EQ(r.response.peers.size(), 1u);
  EXPECT_EQ(r.response.peers[0], tcp::endpoint(make_address("10.0.0.1"), 1));

  r = udp_wire::parse_reply(announce_reply(5, 0x7fffffff, peer4(3, 0)), 5, udp_wire::action::announce, false);
  ASSERT_EQ(r.what, udp_wire::reply::kind::announced);
  EXPECT_EQ(r.response.interval, 86400s);
  EXPECT_TRUE(r.response.peers.empty()) << "port 0 is rejected";
}

TEST(UdpTrackerWire, FullDatagramOfPeersYieldsAtMostTheCapWithoutDuplicates) {
  // The largest datagram the client reads (64 KiB): 10,919 IPv4 entries, every second one a
  // repeat of the one before it.
  bytes peers;
  for (std::size_t i = 0; (i + 1) * 6 <= 65536 - 20; ++i) {
    const auto n = static_cast<std::uint16_t>(i / 2 + 1);
    const bytes one{10, 1, static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n), 0x1A, 0xE1};
    peers.insert(peers.end(), one.begin(), one.end());
  }
  auto r = udp_wire::parse_reply(announce_reply(5, 1800, peers), 5, udp_wire::action::announce, false);
  ASSERT_EQ(r.what, udp_wire::reply::kind::announced);
  ASSERT_EQ(r.response.peers.size(), max_peers_per_reply);
  EXPECT_EQ(r.response.peers[0], tcp::endpoint(make_address("10.1.0.1"), 6881));
  EXPECT_EQ(r.response.peers[199], tcp::endpoint(make_address("10.1.0.200"), 6881));
}

// ---- client against a fake tracker ---------------------------------------------------------

struct UdpTrackerLive : ::testing::Test {
  boost::asio::io_context io;
  std::shared_ptr<udp_tracker_client> client = std::make_shared<udp_tracker_client>(io.get_executor(), 100ms);
};

TEST_F(UdpTrackerLive, ConnectsThenAnnounces) {
  test::fake_udp_tracker tracker(io, honest);
  auto req = sample_request();
  req.event = announce_event::started;
  auto r = test::run(io, client->announce(tracker.url(), req, 2));
  ASSERT_TRUE(r && *r) << (r ? r->error().message : "hung");
  EXPECT_EQ((*r)->interval, 1200s);
  EXPECT_EQ((*r)->incomplete, 3);
  EXPECT_EQ((*r)->complete, 4);
  ASSERT_EQ((*r)->peers.size(), 2u);
  EXPECT_EQ((*r)->peers[1], tcp::endpoint(make_address("10.0.0.2"), 6882));
  ASSERT_EQ(tracker.received().size(), 2u);
  EXPECT_TRUE(is_connect(tracker.received()[0]));
  EXPECT_TRUE(is_announce(tracker.received()[1]));
  EXPECT_EQ(get32(tracker.received()[1], 80), 2u);
}

TEST_F(UdpTrackerLive, LocalAddressIsTheSourceTheTrackerSees) {
  test::fake_udp_tracker tracker(io, honest);
  auto req = sample_request();
  req.local_address = make_address("127.0.0.4");
  auto r = test::run(io, client->announce(tracker.url(), req, 2));
  ASSERT_TRUE(r && *r) << (r ? r->error().message : "hung");
  ASSERT_EQ(tracker.sources().size(), 2u);  // connect and announce
  for (const auto& a : tracker.sources()) EXPECT_EQ(a, make_address("127.0.0.4"));
}

TEST_F(UdpTrackerLive, LocalAddressOfTheOtherFamilyIsNotUsed) {
  std::unique_ptr<test::fake_udp_tracker> tracker;
  try {
    tracker = std::make_unique<test::fake_udp_tracker>(io, honest, "::1");
  } catch (const boost::system::system_error&) {
    GTEST_SKIP() << "no IPv6 loopback here";
  }
  auto req = sample_request();
  req.local_address = make_address("127.0.0.4");  // IPv4: an IPv6 tracker is reached from ::1
  auto r = test::run(io, client->announce(tracker->url(), req, 2));
  ASSERT_TRUE(r && *r) << (r ? r->error().message : "hung");
  ASSERT_FALSE(tracker->sources().empty());
  EXPECT_EQ(tracker->sources()[0], make_address("::1"));
}

TEST_F(UdpTrackerLive, ConnectionIdIsReusedWithinAMinute) {
  test::fake_udp_tracker tracker(io, honest);
  for (int i = 0; i < 3; ++i) {
    auto r = test::run(io, client->announce(tracker.url(), sample_request(), 2));
    ASSERT_TRUE(r && *r);
  }
  ASSERT_EQ(tracker.received().size(), 4u);  // one connect, three announces
  EXPECT_TRUE(is_connect(tracker.received()[0]));
  for (int i = 1; i < 4; ++i) EXPECT_TRUE(is_announce(tracker.received()[i]));
}

TEST_F(UdpTrackerLive, LostPacketsAreRetransmittedAfterTheBaseTimeout) {
  int connects = 0;
  int announces = 0;
  test::fake_udp_tracker tracker(io, [&](const bytes& req) -> std::vector<bytes> {
    if (is_connect(req) && ++connects == 1) return {};    // first connect lost
    if (is_announce(req) && ++announces == 1) return {};  // first announce lost
    return honest(req);
  });
  const auto begin = std::chrono::steady_clock::now();
  auto r = test::run(io, client->announce(tracker.url(), sample_request(), 3));
  ASSERT_TRUE(r && *r) << (r ? r->error().message : "hung");
  const auto took = std::chrono::steady_clock::now() - begin;
  EXPECT_EQ(connects, 2);
  EXPECT_EQ(announces, 2);
  // Waited 100 ms (n = 0) for the connect, then 200 ms (n = 1) for the announce.
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 2s);
}

TEST_F(UdpTrackerLive, SilentTrackerTimesOutAfterMaxRetries) {
  test::fake_udp_tracker tracker(io, [](const bytes&) { return std::vector<bytes>{}; });
  const auto begin = std::chrono::steady_clock::now();
  auto r = test::run(io, client->announce(tracker.url(), sample_request(), 2));
  ASSERT_TRUE(r);
  ASSERT_FALSE(*r);
  EXPECT_EQ(r->error().ec, tracker_errc::timeout);
  EXPECT_EQ(tracker.received().size(), 3u);  // n = 0, 1, 2
  EXPECT_GE(std::chrono::steady_clock::now() - begin, 700ms);  // 100 + 200 + 400
}

TEST_F(UdpTrackerLive, ErrorActionFailsWithItsMessageAndDropsTheConnectionId) {
  int announces = 0;
  test::fake_udp_tracker tracker(io, [&](const bytes& req) -> std::vector<bytes> {
    if (is_announce(req) && ++announces == 1) return {error_reply(get32(req, 12), "unregistered torrent")};
    return honest(req);
  });
  auto r = test::run(io, client->announce(tracker.url(), sample_request(), 2));
  ASSERT_TRUE(r);
  ASSERT_FALSE(*r);
  EXPECT_EQ(r->error().ec, tracker_errc::udp_error);
  EXPECT_EQ(r->error().message, "unregistered torrent");
  r = test::run(io, client->announce(tracker.url(), sample_request(), 2));
  ASSERT_TRUE(r && *r);
  ASSERT_EQ(tracker.received().size(), 4u);
  EXPECT_TRUE(is_connect(tracker.received()[2])) << "a fresh connect after an error";
}

TEST_F(UdpTrackerLive, WrongTransactionIdsAndRuntsAreIgnored) {
  test::fake_udp_tracker tracker(io, [](const bytes& req) -> std::vector<bytes> {
    auto real = honest(req);
    const auto tid = get32(req, 12);
    std::vector<bytes> out;
    if (is_connect(req)) out.push_back(connect_reply(tid + 1, 999));  // someone else's
    else out.push_back(announce_reply(tid ^ 0xffff, 60, peer4(9, 9)));
    out.push_back(bytes{0, 0, 0});  // runt
    out.insert(out.end(), real.begin(), real.end());
    return out;
  });
  auto r = test::run(io, client->announce(tracker.url(), sample_request(), 1));
  ASSERT_TRUE(r && *r) << (r ? r->error().message : "hung");
  EXPECT_EQ((*r)->interval, 1200s);
  EXPECT_EQ((*r)->peers.size(), 2u);
}

TEST_F(UdpTrackerLive, IPv6TrackerGivesEighteenBytePeers) {
  std::unique_ptr<test::fake_udp_tracker> tracker;
  try {
    tracker = std::make_unique<test::fake_udp_tracker>(io, [](const bytes& req) -> std::vector<bytes> {
      if (is_connect(req)) return {connect_reply(get32(req, 12))};
      bytes peer(16, 0);
      peer[0] = 0x20; peer[1] = 0x01; peer[2] = 0x0d; peer[3] = 0xb8; peer[15] = 7;
      peer.push_back(0x1a);
      peer.push_back(0xe1);
      return {announce_reply(get32(req, 12), 600, peer)};
    }, "::1");
  } catch (const boost::system::system_error&) {
    GTEST_SKIP() << "no IPv6 loopback here";
  }
  auto r = test::run(io, client->announce(tracker->url(), sample_request(), 1));
  ASSERT_TRUE(r && *r) << (r ? r->error().message : "hung");
  ASSERT_EQ((*r)->peers.size(), 1u);
  EXPECT_EQ((*r)->peers[0], tcp::endpoint(make_address("2001:db8::7"), 6881));
}

TEST_F(UdpTrackerLive, BadUrlsAreRejected) {
  for (const char* url : {"udp://127.0.0.1/announce" /* no port */, "http://127.0.0.1:1/", "udp://:80", "%%"}) {
    auto r = test::run(io, client->announce(url, sample_request(), 0));
    ASSERT_TRUE(r) << url;
    ASSERT_FALSE(*r) << url;
    EXPECT_EQ(r->error().ec, tracker_errc::unsupported_url) << url;
  }
}

TEST_F(UdpTrackerLive, ClosedPortFailsWithoutWaitingForAllRetries) {
  std::uint16_t port;
  {
    boost::asio::ip::udp::socket s(io, boost::asio::ip::udp::endpoint(make_address("127.0.0.1"), 0));
    port = s.local_endpoint().port();
  }
  auto slow = std::make_shared<udp_tracker_client>(io.get_executor(), 2s);
  const auto begin = std::chrono::steady_clock::now();
  auto r = test::run(io, slow->announce("udp://127.0.0.1:" + std::to_string(port), sample_request(), 8));
  ASSERT_TRUE(r);
  ASSERT_FALSE(*r);
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 1s) << "ICMP port unreachable ends it";
}

}  // namespace
}  // namespace tessera::detail
