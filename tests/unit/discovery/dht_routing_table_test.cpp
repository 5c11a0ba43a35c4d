// Kademlia routing table (BEP 5): bucket splits, node states, replacement, closest nodes,
// refresh bookkeeping and persistence.
#include <gtest/gtest.h>

#include <algorithm>

#include "discovery/dht/node_id_security.hpp"
#include "discovery/dht/routing_table.hpp"

namespace tessera::detail::dht {
namespace {

using namespace std::chrono_literals;

const clock::time_point t0 = clock::time_point{} + 1000h;

sha1_hash id_with(std::initializer_list<std::uint8_t> prefix, std::uint8_t last = 0) {
  sha1_hash h;
  std::size_t i = 0;
  for (auto b : prefix) h.bytes[i++] = b;
  h.bytes[19] = last;
  return h;
}

peer_endpoint ep(std::uint8_t a, std::uint16_t port = 6881) {
  peer_endpoint e;
  e.addr = {10, 0, 0, a};
  e.port = port;
  return e;
}

krpc::node_entry node(const sha1_hash& id, std::uint8_t a) { return {id, ep(a)}; }

TEST(DhtNodeId, DistanceAndLeadingZeros) {
  auto a = id_with({0x80});
  auto b = id_with({0x00});
  EXPECT_EQ(leading_zero_bits(distance(a, b)), 0);
  EXPECT_EQ(leading_zero_bits(distance(a, a)), 160);
  EXPECT_EQ(leading_zero_bits(id_with({0x00, 0x01})), 15);
  EXPECT_TRUE(closer(b, id_with({0x01}), id_with({0x02})));
  EXPECT_FALSE(closer(b, id_with({0x02}), id_with({0x01})));
}

TEST(DhtRoutingTable, RejectsOwnIdZeroPortAndOtherFamily) {
  routing_table t(id_with({0x00}));
  EXPECT_EQ(t.node_seen(node(id_with({0x00}), 1), contact::response, t0), add_result::rejected);
  EXPECT_EQ(t.node_seen({id_with({0x10}), ep(1, 0)}, contact::response, t0), add_result::rejected);
  peer_endpoint v6;
  v6.v6 = true;
  v6.port = 1;
  EXPECT_EQ(t.node_seen({id_with({0x10}), v6}, contact::response, t0), add_result::rejected);
  EXPECT_EQ(t.size(), 0u);
}

TEST(DhtRoutingTable, SplitsOnlyTheBucketHoldingOwnId) {
  routing_table t(id_with({0x00}));  // our id: all zeros
  // Eight far nodes (first bit 1) fill the single bucket.
  for (std::uint8_t i = 0; i < 8; ++i) {
    EXPECT_EQ(t.node_seen(node(id_with({static_cast<std::uint8_t>(0x80 | i)}), i + 1), contact::response, t0),
              add_result::added);
  }
  EXPECT_EQ(t.bucket_count(), 1u);
  // A ninth far node: the bucket splits (it holds our id), but the far half stays full.
  EXPECT_EQ(t.node_seen(node(id_with({0x90}), 20), contact::response, t0), add_result::pending);
  EXPECT_EQ(t.bucket_count(), 2u);
  EXPECT_EQ(t.bucket_nodes(0), 8u);
  EXPECT_EQ(t.bucket_nodes(1), 0u);
  // Near nodes go to the new bucket.
  EXPECT_EQ(t.node_seen(node(id_with({0x40}), 30), contact::response, t0), add_result::added);
  EXPECT_EQ(t.bucket_nodes(1), 1u);
  // The far bucket never splits again: more far nodes are only replacements.
  EXPECT_EQ(t.node_seen(node(id_with({0xA0}), 31), contact::response, t0), add_result::pending);
  EXPECT_EQ(t.bucket_count(), 2u);
  EXPECT_EQ(t.size(), 9u);
}

TEST(DhtRoutingTable, ManyNearNodesSplitRepeatedly) {
  routing_table t(id_with({0x00}));
  // 8 nodes at each of prefix lengths 0..4: each range gets its own bucket.
  std::uint8_t addr = 1;
  for (int shift = 7; shift >= 3; --shift) {
    for (std::uint8_t i = 0; i < 8; ++i) {
      auto id = id_with({static_cast<std::uint8_t>(1u << shift)}, i);
      EXPECT_NE(t.node_seen(node(id, addr++), contact::response, t0), add_result::rejected);
    }
  }
  EXPECT_EQ(t.size(), 40u);
  EXPECT_GE(t.bucket_count(), 5u);
  for (std::size_t b = 0; b < 5; ++b) EXPECT_EQ(t.bucket_nodes(b), 8u) << b;
}

TEST(DhtRoutingTable, UpdatesKnownNodeAndRejectsMovedOrSpoofedEntries) {
  routing_table t(id_with({0x00}));
  auto id = id_with({0x80});
  EXPECT_EQ(t.node_seen(node(id, 1), contact::response, t0), add_result::added);
  EXPECT_EQ(t.node_seen(node(id, 1), contact::query, t0 + 1min), add_result::updated);
  // Same id, other endpoint: the first one stays.
  EXPECT_EQ(t.node_seen(node(id, 2), contact::response, t0), add_result::rejected);
  // Same endpoint, other id.
  EXPECT_EQ(t.node_seen(node(id_with({0x81}), 1), contact::response, t0), add_result::rejected);
  EXPECT_EQ(t.size(), 1u);
}

TEST(DhtRoutingTable, NodeStatesFollowBep5) {
  routing_table t(id_with({0x00}));
  auto a = node(id_with({0x80}), 1);
  auto b = node(id_with({0x81}), 2);
  t.node_seen(a, contact::response, t0);
  t.node_seen(b, contact::query, t0);  // only queried us: never verified
  EXPECT_EQ(t.find(a.id)->state(t0 + 14min), node_state::good);
  EXPECT_EQ(t.find(a.id)->state(t0 + 15min), node_state::questionable);
  EXPECT_EQ(t.find(b.id)->state(t0), node_state::questionable);
  // Answered once, then queried us recently: good again.
  t.node_seen(a, contact::query, t0 + 20min);
  EXPECT_EQ(t.find(a.id)->state(t0 + 21min), node_state::good);
  t.node_failed(a);
  EXPECT_EQ(t.find(a.id)->state(t0 + 21min), node_state::good);
  t.node_failed(a);
  EXPECT_EQ(t.find(a.id)->state(t0 + 21min), node_state::bad);
  // An answer clears the failures.
  t.node_seen(a, contact::response, t0 + 22min);
  EXPECT_EQ(t.find(a.id)->state(t0 + 22min), node_state::good);
}

TEST(DhtRoutingTable, BadNodeIsReplacedByNewNode) {
  routing_table t(id_with({0x00}));
  std::vector<krpc::node_entry> far;
  for (std::uint8_t i = 0; i < 8; ++i) far.push_back(node(id_with({static_cast<std::uint8_t>(0x80 | i)}), i + 1));
  for (auto& n : far) t.node_seen(n, contact::response, t0);
  t.node_seen(node(id_with({0x40}), 50), contact::response, t0);  // forces the split
  ASSERT_EQ(t.bucket_count(), 2u);
  t.node_failed(far[3]);
  t.node_failed(far[3]);
  auto newcomer = node(id_with({0xF0}), 60);
  EXPECT_EQ(t.node_seen(newcomer, contact::response, t0), add_result::replaced);
  EXPECT_EQ(t.find(far[3].id), nullptr);
  EXPECT_NE(t.find(newcomer.id), nullptr);
}

TEST(DhtRoutingTable, FailedNodeGivesWayToReplacement) {
  routing_table t(id_with({0x00}));
  std::vector<krpc::node_entry> far;
  for (std::uint8_t i = 0; i < 8; ++i) far.push_back(node(id_with({static_cast<std::uint8_t>(0x80 | i)}), i + 1));
  for (auto& n : far) t.node_seen(n, contact::response, t0);
  t.node_seen(node(id_with({0x40}), 50), contact::response, t0);
  auto spare = node(id_with({0xE0}), 70);
  EXPECT_EQ(t.node_seen(spare, contact::response, t0), add_result::pending);
  EXPECT_EQ(t.find(spare.id), nullptr);
  t.node_failed(far[0]);
  t.node_failed(far[0]);
  EXPECT_EQ(t.find(far[0].id), nullptr);
  EXPECT_NE(t.find(spare.id), nullptr);
  EXPECT_EQ(t.size(), 9u);
}

TEST(DhtRoutingTable, VerifiedNodeDisplacesUnverifiedOne) {
  routing_table t(id_with({0x00}));
  for (std::uint8_t i = 0; i < 8; ++i)
    t.node_seen(node(id_with({static_cast<std::uint8_t>(0x80 | i)}), i + 1), i == 5 ? contact::query : contact::response, t0);
  t.node_seen(node(id_with({0x40}), 50), contact::response, t0);
  // A node that only queried us does not displace anyone...
  EXPECT_EQ(t.node_seen(node(id_with({0xC0}), 80), contact::query, t0), add_result::pending);
  // ...but one that answered us takes the unverified node's place.
  EXPECT_EQ(t.node_seen(node(id_with({0xD0}), 81), contact::response, t0), add_result::replaced);
  EXPECT_EQ(t.find(id_with({0x85})), nullptr);
}

TEST(DhtRoutingTable, ClosestIsSortedByXorAndSkipsBadNodes) {
  routing_table t(id_with({0x00}));
  std::uint8_t addr = 1;
  for (std::uint8_t b : {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x03, 0x05})
    t.node_seen(node(id_with({b}), addr++), contact::response, t0);
  auto target = id_with({0x07});
  auto c = t.closest(target, 4);
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[0].id, id_with({0x05}));  // 0x05 ^ 0x07 = 0x02
  EXPECT_EQ(c[1].id, id_with({0x04}));  // 0x03
  EXPECT_EQ(c[2].id, id_with({0x03}));  // 0x04
  EXPECT_EQ(c[3].id, id_with({0x02}));  // 0x05
  for (std::size_t i = 1; i < c.size(); ++i) EXPECT_TRUE(closer(target, c[i - 1].id, c[i].id));
  t.node_failed(c[0]);
  t.node_failed(c[0]);
  auto d = t.closest(target, 4);
  EXPECT_EQ(d[0].id, id_with({0x04}));
  EXPECT_EQ(t.closest(target, 100).size(), 9u);
}

TEST(DhtRoutingTable, StaleBucketsAndRefreshTargets) {
  routing_table t(id_with({0xAB, 0xCD}));
  EXPECT_EQ(t.stale_buckets(t0, 15min), std::vector<std::size_t>{0});  // never changed
  t.node_seen(node(id_with({0x00}), 1), contact::response, t0);
  EXPECT_TRUE(t.stale_buckets(t0 + 14min, 15min).empty());
  EXPECT_EQ(t.stale_buckets(t0 + 15min, 15min).size(), 1u);
  t.mark_refreshed(0, t0 + 15min);
  EXPECT_TRUE(t.stale_buckets(t0 + 16min, 15min).empty());

  // Fill and split so that there are several buckets, then check refresh targets land in range.
  for (std::uint8_t i = 0; i < 8; ++i) t.node_seen(node(id_with({0x00}, static_cast<std::uint8_t>(i + 1)), i + 2), contact::response, t0);
  t.node_seen(node(id_with({0xAB, 0xC0}), 40), contact::response, t0);
  ASSERT_GE(t.bucket_count(), 2u);
  sha1_hash random;
  random.bytes.fill(0x5A);
  for (std::size_t i = 0; i < t.bucket_count(); ++i) {
    auto target = t.random_id_in_bucket(i, random);
    const auto lz = static_cast<std::size_t>(leading_zero_bits(distance(t.own_id(), target)));
    if (i + 1 < t.bucket_count()) EXPECT_EQ(lz, i);
    else EXPECT_GE(lz, i);
  }
}

TEST(DhtRoutingTable, QuestionableNodesOldestFirst) {
  routing_table t(id_with({0x00}));
  t.node_seen(node(id_with({0x80}), 1), contact::response, t0 + 1min);
  t.node_seen(node(id_with({0x40}), 2), contact::response, t0);
  t.node_seen(node(id_with({0x20}), 3), contact::response, t0 + 20min);
  auto q = t.questionable_nodes(t0 + 17min, 10);
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q[0].id, id_with({0x40}));
  EXPECT_EQ(q[1].id, id_with({0x80}));
  EXPECT_EQ(t.questionable_nodes(t0 + 17min, 1).size(), 1u);
}

// One node per IP address: a second id from the same address (another port) is refused, so one
// host cannot fill the buckets around a target.
TEST(DhtRoutingTable, OneNodePerAddress) {
  routing_table t(id_with({0x00}));
  EXPECT_EQ(t.node_seen({id_with({0x80}), ep(7, 1000)}, contact::response, t0), add_result::added);
  EXPECT_EQ(t.node_seen({id_with({0x40}), ep(7, 1001)}, contact::response, t0), add_result::rejected);
  EXPECT_EQ(t.node_seen({id_with({0x20}), ep(7, 1000)}, contact::query, t0), add_result::rejected);
  EXPECT_EQ(t.node_seen({id_with({0x80}), ep(7, 1000)}, contact::response, t0), add_result::updated);
  EXPECT_EQ(t.size(), 1u);
  // Replacement candidates count too: fill the far bucket, then one address twice as candidates.
  for (std::uint8_t i = 0; i < 7; ++i) {
    t.node_seen(node(id_with({static_cast<std::uint8_t>(0x81 + i)}), 20 + i), contact::response, t0);
  }
  EXPECT_EQ(t.node_seen(node(id_with({0x90}), 50), contact::response, t0), add_result::pending);
  EXPECT_EQ(t.node_seen({id_with({0x91}), ep(50, 9)}, contact::response, t0), add_result::rejected);
  routing_table loose(id_with({0x00}), false, table_policy{false, true});
  EXPECT_EQ(loose.node_seen({id_with({0x80}), ep(7, 1000)}, contact::response, t0), add_result::added);
  EXPECT_EQ(loose.node_seen({id_with({0x40}), ep(7, 1001)}, contact::response, t0), add_result::added);
}

// BEP 42: a node on a global address must have an id derived from it; local networks are exempt.
TEST(DhtRoutingTable, EnforcesBep42NodeIds) {
  routing_table t(id_with({0x00}));
  auto global = *peer_endpoint::from_string("124.31.75.21:6881");
  std::array<std::uint8_t, 20> random{};
  random.fill(0x33);
  const auto good = bep42_node_id(global, random);
  EXPECT_EQ(t.node_seen({id_with({0x80}), global}, contact::response, t0), add_result::rejected);
  EXPECT_EQ(t.node_seen({good, global}, contact::response, t0), add_result::added);
  EXPECT_EQ(t.node_seen(node(id_with({0x40}), 1), contact::response, t0), add_result::added);  // 10.0.0.1
  routing_table off(id_with({0x00}), false, table_policy{true, false});
  EXPECT_EQ(off.node_seen({id_with({0x80}), global}, contact::response, t0), add_result::added);
}

TEST(DhtRoutingTable, RebuiltUnderANewIdKeepsNodesAndRecords) {
  routing_table t(id_with({0x00}));
  // Eight nodes no bucket overflows with, under either id: four on each side of the first bit.
  for (std::uint8_t i = 0; i < 8; ++i) {
    t.node_seen(node(id_with({static_cast<std::uint8_t>(0x10 + i * 0x20)}), i + 1), contact::response, t0);
  }
  ASSERT_EQ(t.size(), 8u);
  t.node_failed(t.all_nodes().front());
  const auto before = t.all_nodes();
  const auto failed = before.front();
  auto r = t.rebuilt(id_with({0xff}), t0 + 1s);
  EXPECT_EQ(r.own_id(), id_with({0xff}));
  for (const auto& n : before) EXPECT_NE(r.find(n.id), nullptr);
  EXPECT_EQ(r.size(), before.size());
  ASSERT_NE(r.find(failed.id), nullptr);
  EXPECT_EQ(r.find(failed.id)->failures, 1);
}

TEST(DhtRoutingTable, StateRoundTripsThroughBencode) {
  saved_state s;
  s.id = id_with({0x12, 0x34});
  s.nodes.push_back(node(id_with({0x80}), 1));
  peer_endpoint v6;
  v6.v6 = true;
  v6.addr[15] = 1;
  v6.port = 6882;
  s.nodes.push_back({id_with({0x81}), v6});
  auto bytes = encode_state(s);
  auto back = decode_state(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->id, s.id);
  EXPECT_EQ(back->nodes, s.nodes);
}

TEST(DhtRoutingTable, DualStackStateKeepsBothIdsAndOldFilesHaveNoId6) {
  saved_state s;
  s.id = id_with({0x12});
  s.id6 = id_with({0x34});
  auto back = decode_state(encode_state(s));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->id, s.id);
  EXPECT_EQ(back->id6, s.id6);
  // A file from before BEP 32 dual stack: one id, nodes of one family.
  auto old = decode_state("d2:id20:aaaaaaaaaaaaaaaaaaaa5:nodes0:e");
  ASSERT_TRUE(old);
  EXPECT_FALSE(old->id6);
  EXPECT_EQ(old->id.to_bytes(), std::string(20, 'a'));
  EXPECT_EQ(decode_state("d2:id20:aaaaaaaaaaaaaaaaaaaa3:id63:abce").error(),
            make_error_code(krpc::krpc_errc::bad_node_id));
}

TEST(DhtRoutingTable, DecodeStateBoundsEachFamilyOnItsOwn) {
  // More IPv4 nodes than a table holds do not crowd out the IPv6 ones.
  std::string nodes, nodes6;
  for (std::size_t i = 0; i < max_saved_nodes + 10; ++i) nodes += std::string(20, 'n') + std::string(6, '\x01');
  for (int i = 0; i < 3; ++i) nodes6 += std::string(20, 's') + std::string(18, '\x02');
  std::string file = "d2:id20:aaaaaaaaaaaaaaaaaaaa5:nodes" + std::to_string(nodes.size()) + ":" + nodes + "6:nodes6" +
                     std::to_string(nodes6.size()) + ":" + nodes6 + "e";
  auto back = decode_state(file);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->nodes.size(), max_saved_nodes + 3);
  EXPECT_EQ(std::count_if(back->nodes.begin(), back->nodes.end(), [](const auto& n) { return n.endpoint.v6; }), 3);
}

TEST(DhtRoutingTable, DecodeStateRejectsGarbage) {
  EXPECT_FALSE(decode_state("not bencode"));
  EXPECT_FALSE(decode_state("li1ee"));
  EXPECT_EQ(decode_state("d2:id3:abce").error(), make_error_code(krpc::krpc_errc::bad_node_id));
  EXPECT_EQ(decode_state("d2:id20:aaaaaaaaaaaaaaaaaaaa5:nodes3:abce").error(),
            make_error_code(krpc::krpc_errc::bad_nodes));
}

}  // namespace
}  // namespace tessera::detail::dht
