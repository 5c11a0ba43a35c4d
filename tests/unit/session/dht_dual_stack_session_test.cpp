// The session's dual-stack DHT (BEP 32) end to end on loopback: a node per family on the listen
// port, IPv6-only sessions finding each other, a bootstrap over IPv4 that fills the IPv6 table
// too (`want`), both tables in one state file, and the driver on sockets it does not own.
#include <sys/socket.h>

#include <fstream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/krpc.hpp"
#include "discovery/dht/routing_table.hpp"
#include "disk/resume_data.hpp"
#include "session/dht_driver.hpp"
#include "session/listen_addresses.hpp"
#include "session_test_support.hpp"

namespace tessera {
namespace {

using namespace test;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using udp = asio::ip::udp;
namespace krpc = detail::krpc;

bool has_ipv6_loopback() {
  asio::io_context io;
  udp::socket s(io);
  boost::system::error_code ec;
  s.open(udp::v6(), ec);
  if (!ec) s.bind(udp::endpoint(asio::ip::make_address("::1"), 0), ec);
  return !ec;
}

session_settings dht_on(const char* address, std::vector<std::string> bootstrap = {}) {
  auto s = loopback_settings(address);
  s.enable_dht = true;
  s.dht_bootstrap_nodes = std::move(bootstrap);
  s.dht_announce_interval = 2s;
  s.dht_few_peers_interval = 1s;
  return s;
}

/// One KRPC ping to address:port from a throwaway socket: the reply, or nullopt within 2 s.
std::optional<krpc::response> krpc_ping(const char* address, std::uint16_t port) {
  asio::io_context io;
  const auto to = udp::endpoint(asio::ip::make_address(address), port);
  udp::socket s(io, udp::endpoint(to.address(), 0));
  timeval tv{2, 0};
  ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  krpc::query q;
  q.transaction = "pp";
  q.method = krpc::query_method::ping;
  q.id.bytes.fill(0x55);
  s.send_to(asio::buffer(krpc::encode(q)), to);
  std::vector<char> buf(65536);
  const ssize_t n = ::recv(s.native_handle(), buf.data(), buf.size(), 0);
  if (n <= 0) return std::nullopt;
  auto m = krpc::parse(std::string_view(buf.data(), static_cast<std::size_t>(n)));
  if (!m || !std::holds_alternative<krpc::response>(*m)) return std::nullopt;
  return std::get<krpc::response>(*m);
}

TEST(ListenAddresses, EmptyMeansBothWildcardsAndListsKeepTheFirstOfEachFamily) {
  using detail::listen_addresses;
  const auto any4 = asio::ip::make_address("0.0.0.0");
  const auto any6 = asio::ip::make_address("::");
  const auto lo4 = asio::ip::make_address("127.0.0.1");
  const auto lo6 = asio::ip::make_address("::1");
  using list = std::vector<asio::ip::address>;
  EXPECT_EQ(listen_addresses(""), (list{any4, any6}));
  EXPECT_EQ(listen_addresses("0.0.0.0,::"), (list{any4, any6}));
  EXPECT_EQ(listen_addresses("127.0.0.1"), (list{lo4}));
  EXPECT_EQ(listen_addresses("::1"), (list{lo6}));
  EXPECT_EQ(listen_addresses("::1, 127.0.0.1"), (list{lo4, lo6})) << "IPv4 first";
  EXPECT_EQ(listen_addresses("[::1],127.0.0.1,127.0.0.2,::2"), (list{lo4, lo6}));
  EXPECT_EQ(listen_addresses("eth0,127.0.0.1"), (list{lo4})) << "names are skipped";
  EXPECT_TRUE(listen_addresses("eth0").empty());
  EXPECT_TRUE(listen_addresses(",").empty());
}

TEST(DhtDualStackSession, WildcardListenRunsANodePerFamilyOnTheListenPort) {
  if (!has_ipv6_loopback()) GTEST_SKIP() << "no IPv6 loopback";
  session ses(dht_on(""));
  auto st = ses.dht();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->port, ses.listen_port());
  EXPECT_EQ(st->port_v4, ses.listen_port());
  EXPECT_EQ(st->port_v6, ses.listen_port());
  // Both answer KRPC, each over its own family.
  auto four = krpc_ping("127.0.0.1", st->port_v4);
  auto six = krpc_ping("::1", st->port_v6);
  ASSERT_TRUE(four);
  ASSERT_TRUE(six);
  ASSERT_TRUE(four->ip && six->ip);
  EXPECT_FALSE(four->ip->v6);
  EXPECT_TRUE(six->ip->v6);
  EXPECT_EQ(ses.dht()->queries_received, 2u);
}

TEST(DhtDualStackSession, Ipv6LiteralRunsAnIpv6NodeOnly) {
  if (!has_ipv6_loopback()) GTEST_SKIP() << "no IPv6 loopback";
  session ses(dht_on("::1"));
  auto st = ses.dht();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->port_v4, 0);
  EXPECT_EQ(st->port_v6, ses.listen_port());
  EXPECT_EQ(st->port, ses.listen_port());
  EXPECT_TRUE(krpc_ping("::1", st->port_v6));
}

TEST(DhtDualStackSession, Ipv6OnlySessionsFindATrackerlessSeederThroughTheDht) {
  if (!has_ipv6_loopback()) GTEST_SKIP() << "no IPv6 loopback";
  auto t = make_torrent(61, 32 * 1024, 400000, 300000);
  ASSERT_TRUE(t.ti->trackers().empty());
  temp_dir seed_dir, leech_dir;
  write_payload(t, seed_dir.path);
  session seeder(dht_on("::1"));
  auto sh = add_test_torrent(seeder, t, seed_dir.path);
  ASSERT_EQ(wait_for_status(sh, is_settled)->state, torrent_state::seeding);

  session leecher(dht_on("::1", {"[::1]:" + std::to_string(seeder.dht()->port)}));
  auto lh = add_test_torrent(leecher, t, leech_dir.path);
  auto ls = wait_for_status(lh, is_settled, 40s);
  ASSERT_TRUE(ls);
  ASSERT_EQ(ls->state, torrent_state::seeding) << ls->error;
  EXPECT_GE(leecher.dht()->nodes_v6, 1);
  EXPECT_EQ(leecher.dht()->nodes_v4, 0);
  EXPECT_GE(seeder.dht()->announces_stored + leecher.dht()->announces_stored, 1u);
  leecher.stop();
  seeder.stop();
  expect_files_match(t, leech_dir.path);
}

TEST(DhtDualStackSession, BootstrapOverIpv4FillsBothTablesAndTheStateFileKeepsThem) {
  if (!has_ipv6_loopback()) GTEST_SKIP() << "no IPv6 loopback";
  session boot(dht_on(""));
  // An IPv6-only session that joined through boot's IPv6 node: boot's IPv6 table holds it.
  session six(dht_on("::1", {"[::1]:" + std::to_string(boot.dht()->port_v6)}));
  ASSERT_TRUE(eventually([&] { return boot.dht()->nodes_v6 >= 1; }, 10s));
  temp_dir dir;
  std::filesystem::create_directories(dir.path);
  const auto state = dir.path / "dht.state";
  {
    // Only boot's IPv4 node is given: the IPv6 table fills from its `nodes6` (want n6).
    auto s = dht_on("", {"127.0.0.1:" + std::to_string(boot.dht()->port_v4)});
    s.dht_state_file = state.string();
    session first(s);
    ASSERT_TRUE(eventually([&] { return first.dht()->nodes_v4 >= 1 && first.dht()->nodes_v6 >= 1; }, 15s))
        << "v4 " << first.dht()->nodes_v4 << ", v6 " << first.dht()->nodes_v6;
    first.stop();
  }
  auto bytes = detail::read_small_file(state.string(), 1 << 20);
  ASSERT_TRUE(bytes);
  auto saved = detail::dht::decode_state(*bytes);
  ASSERT_TRUE(saved);
  ASSERT_TRUE(saved->id6) << "each family's id is kept";
  auto v6_nodes = std::count_if(saved->nodes.begin(), saved->nodes.end(), [](const auto& n) { return n.endpoint.v6; });
  EXPECT_GE(v6_nodes, 1);
  EXPECT_GE(static_cast<long>(saved->nodes.size()) - v6_nodes, 1);

  // No bootstrap node this time: the saved tables know boot's IPv4 node and `six`.
  auto s = dht_on("");
  s.dht_state_file = state.string();
  session second(s);
  EXPECT_TRUE(eventually([&] { return second.dht()->nodes_v4 >= 1 && second.dht()->nodes_v6 >= 1; }, 10s));
}

TEST(DhtDualStackSession, AStateFileOfOneFamilyStillLoads) {
  if (!has_ipv6_loopback()) GTEST_SKIP() << "no IPv6 loopback";
  session boot(dht_on("127.0.0.1"));
  temp_dir dir;
  std::filesystem::create_directories(dir.path);
  const auto state = dir.path / "dht.state";
  // The format before dual stack: one id, IPv4 nodes.
  detail::dht::saved_state old;
  old.id.bytes.fill(0x21);
  auto ping = krpc_ping("127.0.0.1", boot.dht()->port);
  ASSERT_TRUE(ping);
  detail::peer_endpoint ep;
  ep.addr = {127, 0, 0, 1};
  ep.port = boot.dht()->port;
  old.nodes.push_back({ping->id, ep});
  std::ofstream(state, std::ios::binary) << detail::dht::encode_state(old);
  auto s = dht_on("");
  s.dht_state_file = state.string();
  session ses(s);
  EXPECT_TRUE(eventually([&] { return ses.dht()->nodes_v4 >= 1; }, 10s));
  EXPECT_EQ(ses.dht()->nodes_v6, 0);
}

TEST(DhtDriver, RunsOnSocketsItDoesNotOwn) {
  if (!has_ipv6_loopback()) GTEST_SKIP() << "no IPv6 loopback";
  asio::io_context io;
  // The test owns the sockets, as the session's UDP socket (shared with uTP) will.
  udp::socket s4(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  udp::socket s6(io, udp::endpoint(asio::ip::make_address("::1"), 0));
  int sent4 = 0, sent6 = 0;
  auto sender = [](udp::socket& s, int& count) {
    return [&s, &count](std::span<const std::uint8_t> bytes, const udp::endpoint& to) {
      ++count;
      boost::system::error_code ec;
      s.send_to(asio::buffer(bytes.data(), bytes.size()), to, 0, ec);
    };
  };
  detail::dht_driver_settings ds;
  auto d = detail::dht_driver::create_on(io.get_executor(), ds,
                                         {{s4.local_endpoint(), sender(s4, sent4)},
                                          {s6.local_endpoint(), sender(s6, sent6)}});
  ASSERT_TRUE(d);
  auto driver = *d;
  EXPECT_FALSE(detail::dht_driver::create_on(io.get_executor(), ds,
                                             {{s4.local_endpoint(), sender(s4, sent4)},
                                              {s4.local_endpoint(), sender(s4, sent4)}}))
      << "one socket per family";
  auto pump = [&](udp::socket& s) -> asio::awaitable<void> {
    std::vector<std::uint8_t> buf(65536);
    udp::endpoint from;
    for (;;) {
      auto [ec, n] = co_await s.async_receive_from(asio::buffer(buf), from, asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      driver->on_datagram(std::span(buf.data(), n), from);
    }
  };
  asio::co_spawn(io, pump(s4), asio::detached);
  asio::co_spawn(io, pump(s6), asio::detached);
  driver->start();
  auto st = driver->status();
  EXPECT_EQ(st.port_v4, s4.local_endpoint().port());
  EXPECT_EQ(st.port_v6, s6.local_endpoint().port());

  // A KRPC client on the test thread pings both while the io_context runs elsewhere.
  std::thread runner([&] { io.run_for(5s); });
  auto four = krpc_ping("127.0.0.1", s4.local_endpoint().port());
  auto six = krpc_ping("::1", s6.local_endpoint().port());
  asio::post(io, [&] {
    driver->stop();
    s4.close();
    s6.close();
  });
  runner.join();
  ASSERT_TRUE(four);
  ASSERT_TRUE(six);
  EXPECT_EQ(four->id, driver->node(false)->id());
  EXPECT_EQ(six->id, driver->node(true)->id());
  EXPECT_EQ(sent4, 1);
  EXPECT_EQ(sent6, 1);
}

}  // namespace
}  // namespace tessera
