// BEP 32 dual stack (an IPv4 and an IPv6 dht_node paired into one DHT) and the node's I/O seam
// (create_on: a UDP socket owned by someone else), in-process on 127.0.0.x and ::1.
#include <gtest/gtest.h>

#include <algorithm>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

#include "discovery/dht/dht_node.hpp"
#include "discovery_test_support.hpp"

namespace tessera::detail::dht {
namespace {

using namespace std::chrono_literals;
using boost::asio::ip::make_address;
using boost::asio::ip::tcp;
using boost::asio::ip::udp;
namespace asio = boost::asio;
using test::run;
using test::run_until;

udp::endpoint at(const char* addr, std::uint16_t port = 0) { return {make_address(addr), port}; }

std::string host_port(const udp::endpoint& ep) {
  const auto a = ep.address().to_string();
  return (ep.address().is_v6() ? "[" + a + "]" : a) + ":" + std::to_string(ep.port());
}

sha1_hash some_hash(std::uint8_t b) {
  sha1_hash h;
  h.bytes.fill(b);
  return h;
}

struct DhtDualStack : ::testing::Test {
  asio::io_context io;
  std::vector<std::shared_ptr<dht_node>> nodes;

  void SetUp() override {
    boost::system::error_code ec;
    udp::socket probe(io);
    probe.open(udp::v6(), ec);
    if (!ec) probe.bind(at("::1"), ec);
    if (ec) GTEST_SKIP() << "no IPv6 loopback: " << ec.message();
  }

  std::shared_ptr<dht_node> make(const char* addr, std::vector<std::string> bootstrap = {}, dht_settings s = {}) {
    s.bind = at(addr);
    s.bootstrap_nodes = std::move(bootstrap);
    s.query_timeout = 1s;
    auto n = dht_node::create(io.get_executor(), s);
    EXPECT_TRUE(n) << (n ? "" : n.error().message());
    if (!n) return nullptr;
    nodes.push_back(*n);
    return *n;
  }
  /// An IPv4 node on `v4` and an IPv6 node on ::1, paired (not started).
  std::pair<std::shared_ptr<dht_node>, std::shared_ptr<dht_node>> make_pair(const char* v4,
                                                                            std::vector<std::string> bootstrap = {},
                                                                            dht_settings s = {}) {
    auto four = make(v4, bootstrap, s);
    auto six = make("::1", bootstrap, s);
    EXPECT_TRUE(four->pair_with(six));
    return {four, six};
  }
  void TearDown() override {
    for (auto& n : nodes) n->stop();
    test::run_for(io, 50ms);
  }

  /// Sends `query` from a fresh socket of `to`'s family bound to `from` and returns the parsed
  /// reply (nullopt when none came within a second).
  std::optional<krpc::response> ask(const krpc::query& query, const udp::endpoint& to, const char* from) {
    udp::socket s(io, at(from));
    s.send_to(asio::buffer(krpc::encode(query)), to);
    auto receive = [&]() -> asio::awaitable<std::optional<krpc::response>> {
      using namespace asio::experimental::awaitable_operators;
      asio::steady_timer timer(s.get_executor());
      timer.expires_after(1s);
      std::vector<char> buf(65536);
      udp::endpoint sender;
      auto r = co_await (s.async_receive_from(asio::buffer(buf), sender, test::use_tuple) ||
                         timer.async_wait(test::use_tuple));
      if (r.index() == 1) co_return std::nullopt;
      auto [ec, n] = std::get<0>(r);
      if (ec) co_return std::nullopt;
      auto m = krpc::parse(std::string_view(buf.data(), n));
      if (!m || !std::holds_alternative<krpc::response>(*m)) co_return std::nullopt;
      co_return std::get<krpc::response>(*m);
    };
    auto r = run(io, receive(), 3s);
    return r ? *r : std::nullopt;
  }
};

krpc::query find_node_query(bool n4, bool n6) {
  krpc::query q;
  q.transaction = "fn";
  q.method = krpc::query_method::find_node;
  q.id = some_hash(0x77);
  q.target = some_hash(0x10);
  q.want_n4 = n4;
  q.want_n6 = n6;
  q.read_only = true;  // BEP 43: the asking socket stays out of the tables it asks about
  return q;
}

std::size_t count_family(const std::vector<krpc::node_entry>& nodes, bool v6) {
  return static_cast<std::size_t>(
      std::count_if(nodes.begin(), nodes.end(), [&](const krpc::node_entry& n) { return n.endpoint.v6 == v6; }));
}

TEST_F(DhtDualStack, PairingNeedsTwoFamilies) {
  auto a = make("127.0.0.2");
  auto b = make("127.0.0.3");
  auto c = make("::1");
  EXPECT_FALSE(a->pair_with(b));
  EXPECT_FALSE(a->pair_with(a));
  EXPECT_FALSE(a->pair_with(nullptr));
  EXPECT_TRUE(a->pair_with(c));
}

TEST_F(DhtDualStack, WantPicksTheFamiliesOfNodesInTheReply) {
  auto [a4, a6] = make_pair("127.0.0.2");
  a4->start();
  a6->start();
  // One node in each of a's tables.
  auto b4 = make("127.0.0.3");
  auto b6 = make("::1");
  b4->start();
  b6->start();
  ASSERT_TRUE(run(io, b4->ping(a4->local_endpoint())).value_or(false));
  ASSERT_TRUE(run(io, b6->ping(a6->local_endpoint())).value_or(false));
  ASSERT_TRUE(run_until(io, [&] { return a4->table().size() == 1 && a6->table().size() == 1; }, 3s));

  // No want: the family the query came over (BEP 32).
  auto plain4 = ask(find_node_query(false, false), a4->local_endpoint(), "127.0.0.9");
  ASSERT_TRUE(plain4);
  EXPECT_EQ(count_family(plain4->nodes, false), 1u);
  EXPECT_EQ(count_family(plain4->nodes, true), 0u);
  auto plain6 = ask(find_node_query(false, false), a6->local_endpoint(), "::1");
  ASSERT_TRUE(plain6);
  EXPECT_EQ(count_family(plain6->nodes, false), 0u);
  EXPECT_EQ(count_family(plain6->nodes, true), 1u);
  // want n6 over IPv4: nodes6 only, from the IPv6 partner's table.
  auto six_over_four = ask(find_node_query(false, true), a4->local_endpoint(), "127.0.0.9");
  ASSERT_TRUE(six_over_four);
  EXPECT_EQ(count_family(six_over_four->nodes, false), 0u);
  ASSERT_EQ(count_family(six_over_four->nodes, true), 1u);
  EXPECT_EQ(six_over_four->nodes.front().id, b6->id());
  // want n4 and n6: both.
  auto both = ask(find_node_query(true, true), a6->local_endpoint(), "::1");
  ASSERT_TRUE(both);
  EXPECT_EQ(count_family(both->nodes, false), 1u);
  EXPECT_EQ(count_family(both->nodes, true), 1u);

  // A single-stack node asked for the other family has none to give.
  auto lone = make("127.0.0.4");
  lone->start();
  auto none = ask(find_node_query(false, true), lone->local_endpoint(), "127.0.0.9");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->nodes.empty());
}

TEST_F(DhtDualStack, GetPeersValuesStayInTheQuerysFamilyWhateverItWants) {
  auto [a4, a6] = make_pair("127.0.0.2");
  a4->start();
  a6->start();
  const auto ih = some_hash(0x42);
  // A peer of each family announces itself to its family's node (through the real protocol).
  auto p4 = make("127.0.0.5");
  auto p6 = make("::1");
  p4->start();
  p6->start();
  ASSERT_TRUE(run(io, p4->ping(a4->local_endpoint())).value_or(false));
  ASSERT_TRUE(run(io, p6->ping(a6->local_endpoint())).value_or(false));
  ASSERT_TRUE(run(io, p4->get_peers(ih, true, 4444)));
  ASSERT_TRUE(run(io, p6->get_peers(ih, true, 6666)));
  ASSERT_EQ(a4->stats().announces_stored, 1u);
  ASSERT_EQ(a6->stats().announces_stored, 1u);
  // One shared store holds both families.
  EXPECT_EQ(a4->store().peers_any_family(ih, 10, clock::now()).size(), 2u);
  EXPECT_EQ(&a4->store(), &a6->store());

  krpc::query q = find_node_query(true, true);
  q.method = krpc::query_method::get_peers;
  q.target = ih;
  auto over4 = ask(q, a4->local_endpoint(), "127.0.0.9");
  ASSERT_TRUE(over4);
  ASSERT_EQ(over4->values.size(), 1u);
  EXPECT_FALSE(over4->values[0].v6);
  EXPECT_EQ(over4->values[0].port, 4444);
  EXPECT_TRUE(over4->token);
  auto over6 = ask(q, a6->local_endpoint(), "::1");
  ASSERT_TRUE(over6);
  ASSERT_EQ(over6->values.size(), 1u);
  EXPECT_TRUE(over6->values[0].v6);
  EXPECT_EQ(over6->values[0].port, 6666);
}

TEST_F(DhtDualStack, BootstrapThroughOneFamilyFillsBothTables) {
  // b is a dual-stack pair whose IPv6 node knows c6; a bootstraps from b's IPv4 node alone and
  // learns c6 (and b6) through `want` n6: BEP 32's faster dual-stack bootstrap.
  auto [b4, b6] = make_pair("127.0.0.2");
  b4->start();
  b6->start();
  auto c6 = make("::1");
  c6->start();
  ASSERT_TRUE(run(io, c6->ping(b6->local_endpoint())).value_or(false));
  ASSERT_TRUE(run_until(io, [&] { return b6->table().size() == 1; }, 3s));

  auto [a4, a6] = make_pair("127.0.0.3", {host_port(b4->local_endpoint())});
  a4->start();
  a6->start();
  ASSERT_TRUE(run_until(io, [&] { return a4->table().find(b4->id()) && a6->table().size() >= 1; }, 8s))
      << "v4 " << a4->table().size() << " v6 " << a6->table().size();
  // One node per IP: b6 and c6 share ::1, so a6 holds one of them (pinged, so verified).
  EXPECT_TRUE(a6->table().find(c6->id()) || a6->table().find(b6->id()));
}

TEST_F(DhtDualStack, LookupsAskForTheOtherFamilyOnlyWhileThePartnerIsThin) {
  // A raw IPv4 "node" records the queries the pair sends it and answers as a node would.
  dht_settings many_per_ip;
  many_per_ip.table.one_node_per_ip = false;  // eight IPv6 nodes, all on ::1
  auto [a4, a6] = make_pair("127.0.0.2", {}, many_per_ip);
  udp::socket raw(io, at("127.0.0.7"));
  a4->start();
  a6->start();
  std::vector<krpc::query> seen;
  auto serve = [&]() -> asio::awaitable<void> {
    std::vector<char> buf(65536);
    udp::endpoint from;
    for (;;) {
      auto [ec, n] = co_await raw.async_receive_from(asio::buffer(buf), from, test::use_tuple);
      if (ec) co_return;
      auto m = krpc::parse(std::string_view(buf.data(), n));
      if (!m || !std::holds_alternative<krpc::query>(*m)) continue;
      seen.push_back(std::get<krpc::query>(*m));
      krpc::response r;
      r.transaction = seen.back().transaction;
      r.id = some_hash(0x99);
      if (seen.back().method == krpc::query_method::get_peers) r.token = "tk";
      raw.send_to(asio::buffer(krpc::encode(r)), from);
    }
  };
  asio::co_spawn(io, serve(), asio::detached);
  a4->add_node(raw.local_endpoint());
  ASSERT_TRUE(run_until(io, [&] { return a4->table().size() == 1; }, 3s));
  ASSERT_TRUE(run(io, a4->get_peers(some_hash(0x42), false, 0)));
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().method, krpc::query_method::get_peers);
  EXPECT_TRUE(seen.back().want_n4 && seen.back().want_n6) << "the IPv6 table is empty: ask for both";
  // Once the IPv6 table holds a bucket's worth, lookups ask for their own family only.
  for (int i = 0; i < 8; ++i) {
    auto six = make("::1");
    six->start();
    ASSERT_TRUE(run(io, six->ping(a6->local_endpoint())).value_or(false));
  }
  ASSERT_TRUE(run_until(io, [&] { return a6->table().size() >= bucket_size; }, 3s)) << a6->table().size();
  seen.clear();
  ASSERT_TRUE(run(io, a4->get_peers(some_hash(0x43), false, 0)));
  ASSERT_FALSE(seen.empty());
  EXPECT_FALSE(seen.back().want_n4 || seen.back().want_n6) << "steady state: no want (our family)";
  raw.close();
}

TEST_F(DhtDualStack, NodeRunsOnASocketItDoesNotOwn) {
  // The socket belongs to the test: it sends for the node and hands it what arrives.
  udp::socket shared(io, at("127.0.0.2"));
  std::size_t sent = 0;
  dht_settings s;
  s.query_timeout = 1s;
  auto node = dht_node::create_on(io.get_executor(), s, shared.local_endpoint(),
                                  [&](std::span<const std::uint8_t> bytes, const udp::endpoint& to) {
                                    ++sent;
                                    boost::system::error_code ec;
                                    shared.send_to(asio::buffer(bytes.data(), bytes.size()), to, 0, ec);
                                  });
  nodes.push_back(node);
  EXPECT_EQ(node->local_endpoint(), shared.local_endpoint());
  EXPECT_FALSE(node->is_v6());
  std::size_t delivered = 0;
  auto pump = [&]() -> asio::awaitable<void> {
    std::vector<std::uint8_t> buf(65536);
    udp::endpoint from;
    for (;;) {
      auto [ec, n] = co_await shared.async_receive_from(asio::buffer(buf), from, test::use_tuple);
      if (ec) co_return;
      ++delivered;
      node->on_datagram(std::span(buf.data(), n), from);
    }
  };
  asio::co_spawn(io, pump(), asio::detached);
  node->start();

  // Server side: another node pings it and it joins that node's table.
  auto other = make("127.0.0.3");
  other->start();
  ASSERT_TRUE(run(io, other->ping(node->local_endpoint())).value_or(false));
  EXPECT_GE(sent, 1u);
  EXPECT_GE(delivered, 1u);
  // Client side: its own query goes out through the function and the answer comes back in.
  ASSERT_TRUE(run(io, node->ping(other->local_endpoint())).value_or(false));
  EXPECT_NE(node->table().find(other->id()), nullptr);
  EXPECT_EQ(node->stats().timeouts, 0u);

  // After stop() nothing more is handled or sent.
  node->stop();
  const auto sent_before = sent;
  const auto received_before = node->stats().queries_received;
  EXPECT_FALSE(run(io, other->ping(node->local_endpoint())).value_or(true));
  EXPECT_EQ(sent, sent_before);
  EXPECT_EQ(node->stats().queries_received, received_before);
  shared.close();
}

}  // namespace
}  // namespace tessera::detail::dht
