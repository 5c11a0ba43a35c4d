// dht_node against other dht_node instances and raw UDP sockets, in-process on 127.0.0.x.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

#include "discovery/dht/dht_node.hpp"
#include "discovery/dht/node_id_security.hpp"
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

udp::endpoint loopback(const char* addr, std::uint16_t port = 0) { return {make_address(addr), port}; }

std::string host_port(const udp::endpoint& ep) {
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

sha1_hash some_hash(std::uint8_t b) {
  sha1_hash h;
  h.bytes.fill(b);
  return h;
}

struct DhtNode : ::testing::Test {
  asio::io_context io;
  std::vector<std::shared_ptr<dht_node>> nodes;

  std::shared_ptr<dht_node> make(const char* addr, std::vector<std::string> bootstrap = {},
                                 dht_settings s = {}) {
    s.bind = loopback(addr);
    s.bootstrap_nodes = std::move(bootstrap);
    if (s.query_timeout == dht_settings{}.query_timeout) s.query_timeout = 1s;
    auto n = dht_node::create(io.get_executor(), s);
    EXPECT_TRUE(n) << (n ? "" : n.error().message());
    if (!n) return nullptr;
    nodes.push_back(*n);
    return *n;
  }
  void TearDown() override {
    for (auto& n : nodes) n->stop();
    test::run_for(io, 50ms);
  }
};

/// A raw UDP socket that sends datagrams to a node and collects what comes back.
struct raw_peer {
  explicit raw_peer(asio::io_context& io, const char* addr) : socket(io, loopback(addr)) {}
  udp::socket socket;

  void send(const std::string& bytes, const udp::endpoint& to) { socket.send_to(asio::buffer(bytes), to); }

  /// Datagrams received within `window`.
  std::vector<std::string> receive_for(asio::io_context& io, std::chrono::milliseconds window) {
    std::vector<std::string> got;
    auto loop = [&]() -> asio::awaitable<int> {
      using namespace asio::experimental::awaitable_operators;
      asio::steady_timer timer(socket.get_executor());
      timer.expires_after(window);
      std::vector<char> buf(65536);
      udp::endpoint from;
      for (;;) {
        auto r = co_await (socket.async_receive_from(asio::buffer(buf), from, test::use_tuple) ||
                           timer.async_wait(test::use_tuple));
        if (r.index() == 1) co_return 0;
        auto [ec, n] = std::get<0>(r);
        if (ec) co_return 0;
        got.emplace_back(buf.data(), n);
      }
    };
    run(io, loop(), window + 2s);
    return got;
  }
};

std::string ping_query(const std::string& tid) {
  krpc::query q;
  q.transaction = tid;
  q.method = krpc::query_method::ping;
  q.id = some_hash(0x77);
  return krpc::encode(q);
}

TEST_F(DhtNode, BootstrapsFromAnotherNodeAndBothLearnEachOther) {
  auto a = make("127.0.0.2");
  a->start();
  auto b = make("127.0.0.3", {host_port(a->local_endpoint())});
  b->start();
  ASSERT_TRUE(run_until(io, [&] { return b->table().size() >= 1 && a->table().size() >= 1; }, 5s));
  EXPECT_NE(b->table().find(a->id()), nullptr);
  EXPECT_NE(a->table().find(b->id()), nullptr);
  // b verified a (it answered b's queries); a only heard queries from b.
  EXPECT_EQ(b->table().find(a->id())->state(clock::now()), node_state::good);
}

TEST_F(DhtNode, GetPeersFindsWhatAnotherNodeAnnounced) {
  auto a = make("127.0.0.2");
  a->start();
  auto b = make("127.0.0.3", {host_port(a->local_endpoint())});
  auto c = make("127.0.0.4", {host_port(a->local_endpoint())});
  b->start();
  c->start();
  auto bsize = run(io, b->bootstrap());
  auto csize = run(io, c->bootstrap());
  ASSERT_TRUE(bsize && csize);
  EXPECT_GE(*bsize, 1u);
  EXPECT_GE(*csize, 1u);

  const auto info_hash = some_hash(0x42);
  auto before = run(io, b->get_peers(info_hash, false, 0));
  ASSERT_TRUE(before);
  EXPECT_TRUE(before->empty());

  auto announced = run(io, c->get_peers(info_hash, true, 6881));
  ASSERT_TRUE(announced);
  EXPECT_GE(a->stats().announces_stored + b->stats().announces_stored, 1u);

  auto found = run(io, b->get_peers(info_hash, false, 0));
  ASSERT_TRUE(found);
  EXPECT_NE(std::find(found->begin(), found->end(), tcp::endpoint(make_address("127.0.0.4"), 6881)), found->end());
}

TEST_F(DhtNode, ImpliedPortAnnounceStoresTheUdpSourcePort) {
  auto a = make("127.0.0.2");
  a->start();
  auto c = make("127.0.0.4", {host_port(a->local_endpoint())});
  c->start();
  ASSERT_TRUE(run(io, c->bootstrap()));
  const auto info_hash = some_hash(0x43);
  ASSERT_TRUE(run(io, c->get_peers(info_hash, true, 0)));
  auto d = make("127.0.0.5", {host_port(a->local_endpoint())});
  d->start();
  ASSERT_TRUE(run(io, d->bootstrap()));
  auto found = run(io, d->get_peers(info_hash, false, 0));
  ASSERT_TRUE(found);
  EXPECT_NE(std::find(found->begin(), found->end(),
                      tcp::endpoint(make_address("127.0.0.4"), c->local_endpoint().port())),
            found->end());
}

TEST_F(DhtNode, IterativeLookupAcrossTwentyNodes) {
  auto root = make("127.0.0.10");
  root->start();
  for (int i = 1; i < 20; ++i) {
    auto addr = "127.0.0." + std::to_string(10 + i);
    auto n = make(addr.c_str(), {host_port(root->local_endpoint())});
    n->start();
  }
  for (auto& n : nodes) run(io, n->bootstrap());
  // Everyone learned more than the root.
  std::size_t rich = 0;
  for (auto& n : nodes) rich += n->table().size() >= 5 ? 1 : 0;
  EXPECT_GE(rich, 15u);

  const auto info_hash = some_hash(0x99);
  ASSERT_TRUE(run(io, nodes[5]->get_peers(info_hash, true, 7000)));
  std::uint64_t stored = 0;
  for (auto& n : nodes) stored += n->stats().announces_stored;
  EXPECT_GE(stored, 3u);  // announced to several of the closest nodes, not just one
  EXPECT_LE(stored, bucket_size);
  auto found = run(io, nodes[17]->get_peers(info_hash, false, 0));
  ASSERT_TRUE(found);
  EXPECT_NE(std::find(found->begin(), found->end(), tcp::endpoint(make_address("127.0.0.15"), 7000)), found->end());

  // find_node toward a node's own id ends at that node.
  auto closest = run(io, nodes[3]->find_node(nodes[12]->id()));
  ASSERT_TRUE(closest);
  ASSERT_FALSE(closest->empty());
  EXPECT_EQ(closest->front().id, nodes[12]->id());
}

TEST_F(DhtNode, MalformedDatagramsAreIgnoredOrAnsweredWithErrors) {
  auto a = make("127.0.0.2");
  a->start();
  raw_peer raw(io, "127.0.0.9");
  const auto to = a->local_endpoint();

  raw.send("garbage", to);                          // no transaction: silently dropped
  raw.send(std::string("\0\xff\x01", 3), to);
  raw.send("d1:t2:aa1:y1:qe", to);                  // a query without q/a: 203
  raw.send("d1:ad2:id3:abce1:q4:ping1:t2:bb1:y1:qe", to);  // short id: 203
  {
    krpc::query q;
    q.transaction = "cc";
    q.method = krpc::query_method::unknown;
    q.method_name = "vote";
    q.id = some_hash(1);
    raw.send(krpc::encode(q), to);                  // unknown method: 204
  }
  {
    krpc::query q;
    q.transaction = "dd";
    q.method = krpc::query_method::announce_peer;
    q.id = some_hash(1);
    q.target = some_hash(2);
    q.port = 1234;
    q.token = "forged-token";
    raw.send(krpc::encode(q), to);                  // bad token: 203
  }
  auto replies = raw.receive_for(io, 300ms);
  std::map<std::string, std::int64_t> codes;
  for (const auto& r : replies) {
    auto m = krpc::parse(r);
    ASSERT_TRUE(m);
    auto* e = std::get_if<krpc::error>(&*m);
    ASSERT_NE(e, nullptr);
    codes[e->transaction] = e->code;
  }
  EXPECT_EQ(replies.size(), 4u);
  EXPECT_EQ(codes["aa"], 203);
  EXPECT_EQ(codes["bb"], 203);
  EXPECT_EQ(codes["cc"], 204);
  EXPECT_EQ(codes["dd"], 203);
  EXPECT_EQ(a->stats().malformed, 4u);
  EXPECT_EQ(a->stats().announces_stored, 0u);

  // Still serving.
  raw.send(ping_query("ee"), to);
  auto pong = raw.receive_for(io, 300ms);
  ASSERT_EQ(pong.size(), 1u);
  auto m = krpc::parse(pong[0]);
  ASSERT_TRUE(m);
  auto* r = std::get_if<krpc::response>(&*m);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->transaction, "ee");
  EXPECT_EQ(r->id, a->id());
}

TEST_F(DhtNode, RawAnnounceWithTokenFromGetPeersIsStored) {
  auto a = make("127.0.0.2");
  a->start();
  raw_peer raw(io, "127.0.0.9");
  krpc::query gp;
  gp.transaction = "g1";
  gp.method = krpc::query_method::get_peers;
  gp.id = some_hash(1);
  gp.target = some_hash(5);
  raw.send(krpc::encode(gp), a->local_endpoint());
  auto r1 = raw.receive_for(io, 300ms);
  ASSERT_EQ(r1.size(), 1u);
  auto m = krpc::parse(r1[0]);
  ASSERT_TRUE(m);
  auto token = std::get<krpc::response>(*m).token;
  ASSERT_TRUE(token);

  krpc::query ap;
  ap.transaction = "a1";
  ap.method = krpc::query_method::announce_peer;
  ap.id = some_hash(1);
  ap.target = some_hash(5);
  ap.port = 5555;
  ap.token = *token;
  raw.send(krpc::encode(ap), a->local_endpoint());
  auto r2 = raw.receive_for(io, 300ms);
  ASSERT_EQ(r2.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<krpc::response>(*krpc::parse(r2[0])));

  // The token does not work from another address.
  raw_peer other(io, "127.0.0.8");
  ap.transaction = "a2";
  other.send(krpc::encode(ap), a->local_endpoint());
  auto r3 = other.receive_for(io, 300ms);
  ASSERT_EQ(r3.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<krpc::error>(*krpc::parse(r3[0])));
  EXPECT_EQ(a->stats().announces_stored, 1u);

  gp.transaction = "g2";
  raw.send(krpc::encode(gp), a->local_endpoint());
  auto r4 = raw.receive_for(io, 300ms);
  ASSERT_EQ(r4.size(), 1u);
  auto values = std::get<krpc::response>(*krpc::parse(r4[0])).values;
  ASSERT_EQ(values.size(), 1u);
  EXPECT_EQ(values[0].to_string(), "127.0.0.9:5555");
}

TEST_F(DhtNode, QueriesBeyondTheRateLimitAreDropped) {
  dht_settings s;
  s.incoming_limit = {1.0, 5.0, 100};
  auto a = make("127.0.0.2", {}, s);
  a->start();
  raw_peer raw(io, "127.0.0.9");
  for (int i = 0; i < 20; ++i) raw.send(ping_query("p" + std::to_string(i)), a->local_endpoint());
  auto replies = raw.receive_for(io, 300ms);
  EXPECT_GE(replies.size(), 5u);
  EXPECT_LE(replies.size(), 6u);
  EXPECT_GE(a->stats().rate_limited, 14u);
  // Another address has its own bucket.
  raw_peer other(io, "127.0.0.8");
  other.send(ping_query("x"), a->local_endpoint());
  EXPECT_EQ(other.receive_for(io, 300ms).size(), 1u);
}

TEST_F(DhtNode, UnansweredQueryTimesOut) {
  dht_settings s;
  s.query_timeout = 200ms;
  auto a = make("127.0.0.2", {}, s);
  a->start();
  raw_peer silent(io, "127.0.0.9");
  const auto start = std::chrono::steady_clock::now();
  auto ok = run(io, a->ping(silent.socket.local_endpoint()));
  ASSERT_TRUE(ok);
  EXPECT_FALSE(*ok);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_EQ(a->stats().timeouts, 1u);
}

TEST_F(DhtNode, AddNodePingsAndInserts) {
  auto a = make("127.0.0.2");
  auto b = make("127.0.0.3");
  a->start();
  b->start();
  a->add_node(b->local_endpoint());
  a->add_node(udp::endpoint(make_address("::1"), 1));  // other family: ignored
  ASSERT_TRUE(run_until(io, [&] { return a->table().find(b->id()) != nullptr; }, 3s));
}

TEST_F(DhtNode, SavedStateRestoresIdAndBootstrapsFromSavedNodes) {
  auto a = make("127.0.0.2");
  a->start();
  auto b = make("127.0.0.3", {host_port(a->local_endpoint())});
  b->start();
  ASSERT_TRUE(run(io, b->bootstrap()));
  const auto saved = b->save_state();
  const auto old_id = b->id();
  b->stop();

  auto fresh = make("127.0.0.3");  // no bootstrap nodes configured
  ASSERT_FALSE(fresh->load_state(saved));
  EXPECT_EQ(fresh->id(), old_id);
  fresh->start();
  ASSERT_TRUE(run_until(io, [&] { return fresh->table().find(a->id()) != nullptr; }, 5s));

  EXPECT_TRUE(fresh->load_state("garbage"));  // an error, node unchanged
  EXPECT_EQ(fresh->id(), old_id);
}

TEST_F(DhtNode, Ipv6NodesTalkOverNodes6) {
  dht_settings s;
  s.bind = udp::endpoint(make_address("::1"), 0);
  s.query_timeout = 1s;
  auto a = dht_node::create(io.get_executor(), s);
  if (!a) GTEST_SKIP() << "no IPv6 loopback: " << a.error().message();
  nodes.push_back(*a);
  auto b = dht_node::create(io.get_executor(), s);
  ASSERT_TRUE(b);
  nodes.push_back(*b);
  (*a)->start();
  (*b)->start();
  ASSERT_TRUE(run(io, (*b)->ping((*a)->local_endpoint())).value_or(false));
  auto c = dht_node::create(io.get_executor(), s);
  ASSERT_TRUE(c);
  nodes.push_back(*c);
  (*c)->start();
  ASSERT_TRUE(run(io, (*c)->ping((*a)->local_endpoint())).value_or(false));
  // a answered find_node with b (nodes6) now that b queried it; c finds b through a.
  auto found = run(io, (*c)->find_node((*b)->id()));
  ASSERT_TRUE(found);
  ASSERT_FALSE(found->empty());
  EXPECT_EQ(found->front().id, (*b)->id());
  EXPECT_TRUE(found->front().endpoint.v6);
}

TEST_F(DhtNode, RandomAndMutatedDatagramsNeverBreakTheNode) {
  dht_settings s;
  s.incoming_limit = {1e6, 1e6, 100};  // let everything through to the parser
  auto a = make("127.0.0.2", {}, s);
  a->start();
  raw_peer raw(io, "127.0.0.9");
  std::mt19937 rng(1234);
  krpc::query gp;
  gp.transaction = "zz";
  gp.method = krpc::query_method::get_peers;
  gp.id = some_hash(3);
  gp.target = some_hash(4);
  const std::string valid = krpc::encode(gp);
  for (int i = 0; i < 2000; ++i) {
    std::string d;
    if (i % 2 == 0) {
      d = valid;  // flip, cut or extend a valid query
      const auto pos = rng() % d.size();
      switch (rng() % 3) {
        case 0: d[pos] = static_cast<char>(rng()); break;
        case 1: d.resize(pos); break;
        default: d.insert(pos, std::string(rng() % 40, static_cast<char>(rng()))); break;
      }
    } else {
      d.resize(rng() % 200);
      for (auto& c : d) c = static_cast<char>(rng());
    }
    if (!d.empty()) raw.send(d, a->local_endpoint());
    if (i % 100 == 0) test::run_for(io, 1ms);
  }
  raw.receive_for(io, 300ms);  // drain
  raw.send(ping_query("ok"), a->local_endpoint());
  auto pong = raw.receive_for(io, 300ms);
  ASSERT_EQ(pong.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<krpc::response>(*krpc::parse(pong[0])));
  EXPECT_GT(a->stats().malformed, 500u);
}

TEST_F(DhtNode, MaintenanceRefreshesStaleBuckets) {
  auto a = make("127.0.0.2");
  a->start();
  dht_settings s;
  s.maintenance_interval = 100ms;
  s.bucket_refresh = 1ms;
  auto b = make("127.0.0.3", {host_port(a->local_endpoint())}, s);
  b->start();
  ASSERT_TRUE(run(io, b->bootstrap()));
  const auto before = a->stats().queries_received;
  const auto sent_before = b->stats().queries_sent;
  test::run_for(io, 450ms);
  // Refresh lookups (find_node toward random ids in stale buckets) reached a on their own.
  EXPECT_GE(a->stats().queries_received, before + 2);
  EXPECT_GE(b->stats().queries_sent, sent_before + 2);
  EXPECT_NE(b->table().find(a->id()), nullptr);
}

TEST_F(DhtNode, StopEndsPendingLookupsPromptly) {
  dht_settings s;
  s.query_timeout = 5s;
  auto a = make("127.0.0.2", {}, s);
  a->start();
  raw_peer silent(io, "127.0.0.9");
  bool done = false;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    co_await a->ping(silent.socket.local_endpoint());
    done = true;
  }, asio::detached);
  test::run_for(io, 50ms);
  a->stop();
  EXPECT_TRUE(run_until(io, [&] { return done; }, 1s));
}

// BEP 42: every response tells the requester the address it came from.
TEST_F(DhtNode, ResponsesCarryTheRequestersAddress) {
  auto a = make("127.0.0.2");
  a->start();
  raw_peer raw(io, "127.0.0.9");
  raw.send(ping_query("p1"), a->local_endpoint());
  auto pong = raw.receive_for(io, 300ms);
  ASSERT_EQ(pong.size(), 1u);
  auto m = krpc::parse(pong[0]);
  ASSERT_TRUE(m);
  const auto& r = std::get<krpc::response>(*m);
  ASSERT_TRUE(r.ip);
  EXPECT_EQ(r.ip->to_string(), "127.0.0.9:" + std::to_string(raw.socket.local_endpoint().port()));
}

/// Answers every query arriving on `socket` with a response from `id` that reports our
/// address as `reported` (BEP 42 `ip`); records the transaction ids seen.
asio::awaitable<void> answer_queries(udp::socket& socket, sha1_hash id, peer_endpoint reported,
                                     std::vector<std::string>* tids) {
  std::vector<char> buf(65536);
  udp::endpoint from;
  for (;;) {
    auto [ec, n] = co_await socket.async_receive_from(asio::buffer(buf), from, test::use_tuple);
    if (ec) co_return;
    auto m = krpc::parse(std::string_view(buf.data(), n));
    if (!m || !std::holds_alternative<krpc::query>(*m)) continue;
    const auto& q = std::get<krpc::query>(*m);
    if (tids) tids->push_back(q.transaction);
    krpc::response r;
    r.transaction = q.transaction;
    r.id = id;
    r.ip = reported;
    socket.send_to(asio::buffer(krpc::encode(r)), from);
  }
}

// Transaction ids are drawn at random, not counted up: an off-path attacker cannot predict
// which id the next answer must carry.
TEST_F(DhtNode, TransactionIdsAreUnpredictable) {
  auto a = make("127.0.0.2");
  a->start();
  raw_peer raw(io, "127.0.0.9");
  std::vector<std::string> tids;
  asio::co_spawn(io, answer_queries(raw.socket, some_hash(9), *peer_endpoint::from_string("127.0.0.2:1"), &tids),
                 asio::detached);
  for (int i = 0; i < 24; ++i) ASSERT_TRUE(*run(io, a->ping(raw.socket.local_endpoint())));
  ASSERT_EQ(tids.size(), 24u);
  int successors = 0;
  for (std::size_t i = 1; i < tids.size(); ++i) {
    ASSERT_EQ(tids[i].size(), 2u);
    const auto value = [](const std::string& t) {
      return (static_cast<unsigned>(static_cast<std::uint8_t>(t[0])) << 8) | static_cast<std::uint8_t>(t[1]);
    };
    if (value(tids[i]) == value(tids[i - 1]) + 1) ++successors;
  }
  // Sequential ids would give 23 successors; random ones almost never give more than one.
  EXPECT_LE(successors, 2);
  raw.socket.close();
}

// When the nodes we query agree on a global address for us, our id becomes valid for it under
// BEP 42, and the nodes we knew stay in the table.
TEST_F(DhtNode, TakesABep42IdOnceNodesAgreeOnOurAddress) {
  auto a = make("127.0.0.2");
  a->start();
  const auto external = *peer_endpoint::from_string("124.31.75.21:6881");
  const auto old_id = a->id();
  ASSERT_FALSE(bep42_valid(old_id, external));  // a random id is valid with probability 2^-21
  std::vector<std::unique_ptr<raw_peer>> voters;
  for (int i = 0; i < static_cast<int>(external_ip_voter::votes_needed); ++i) {
    const std::string addr = "127.0.0." + std::to_string(30 + i);
    voters.push_back(std::make_unique<raw_peer>(io, addr.c_str()));
    asio::co_spawn(io, answer_queries(voters.back()->socket, some_hash(static_cast<std::uint8_t>(0x10 + i)),
                                      external, nullptr),
                   asio::detached);
  }
  for (std::size_t i = 0; i < voters.size(); ++i) {
    if (i + 1 < voters.size()) {
      EXPECT_EQ(a->id(), old_id);
    }
    ASSERT_TRUE(*run(io, a->ping(voters[i]->socket.local_endpoint())));
  }
  EXPECT_NE(a->id(), old_id);
  EXPECT_TRUE(bep42_valid(a->id(), external));
  EXPECT_EQ(a->table().own_id(), a->id());
  EXPECT_EQ(a->table().size(), voters.size());
  for (auto& v : voters) v->socket.close();
}

// A fixed node id (dht_settings::node_id) is never replaced.
TEST_F(DhtNode, AFixedIdIsKept) {
  dht_settings s;
  s.node_id = some_hash(0x55);
  auto a = make("127.0.0.2", {}, s);
  a->start();
  const auto external = *peer_endpoint::from_string("124.31.75.21:6881");
  std::vector<std::unique_ptr<raw_peer>> voters;
  for (int i = 0; i < static_cast<int>(external_ip_voter::votes_needed); ++i) {
    const std::string addr = "127.0.0." + std::to_string(40 + i);
    voters.push_back(std::make_unique<raw_peer>(io, addr.c_str()));
    asio::co_spawn(io, answer_queries(voters.back()->socket, some_hash(static_cast<std::uint8_t>(0x20 + i)),
                                      external, nullptr),
                   asio::detached);
    ASSERT_TRUE(*run(io, a->ping(voters.back()->socket.local_endpoint())));
  }
  EXPECT_EQ(a->id(), some_hash(0x55));
  for (auto& v : voters) v->socket.close();
}

}  // namespace
}  // namespace tessera::detail::dht
