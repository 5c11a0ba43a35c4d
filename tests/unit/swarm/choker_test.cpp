#include "swarm/choker.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

namespace tessera::detail {
namespace {

using namespace std::chrono_literals;
using tp = std::chrono::steady_clock::time_point;

const tp t0 = tp{} + 100'000s;

// An interested, long-connected (not "new"), choked peer with the given download rate.
choker_peer peer(peer_key key, std::int64_t download_rate = 0, std::int64_t upload_rate = 0) {
  choker_peer p;
  p.key = key;
  p.peer_interested = true;
  p.download_rate = download_rate;
  p.upload_rate = upload_rate;
  p.connected_at = t0 - 1h;
  return p;
}

choker_settings no_optimistic() {
  choker_settings s;
  s.optimistic_slots = 0;
  return s;
}

std::vector<peer_key> keys(std::initializer_list<peer_key> k) { return k; }

bool has(const std::vector<peer_key>& v, peer_key k) {
  return std::find(v.begin(), v.end(), k) != v.end();
}

TEST(Choker, EmptyPeerListUnchokesNobody) {
  std::mt19937_64 rng(1);
  choker_state st;
  st.optimistic.push_back({7, t0 - 5s});  // a peer that has since gone
  const auto r = run_choker({}, choker_mode::leeching, t0, {}, st, rng);
  EXPECT_TRUE(r.unchoked.empty());
  EXPECT_TRUE(r.regular.empty());
  EXPECT_TRUE(r.to_choke.empty());
  EXPECT_TRUE(r.to_unchoke.empty());
  EXPECT_TRUE(r.state.optimistic.empty());
}

TEST(Choker, LeechingUnchokesTopFourByDownloadRate) {
  std::mt19937_64 rng(1);
  // Upload rates run the other way, so ranking by the wrong rate would fail.
  std::vector<choker_peer> peers = {peer(1, 500, 1), peer(2, 100, 6), peer(3, 900, 2),
                                    peer(4, 50, 9),  peer(5, 700, 3), peer(6, 300, 4)};
  const auto r = run_choker(peers, choker_mode::leeching, t0, no_optimistic(), {}, rng);
  EXPECT_EQ(r.regular, keys({1, 3, 5, 6}));
  EXPECT_EQ(r.unchoked, keys({1, 3, 5, 6}));
  EXPECT_TRUE(r.state.optimistic.empty());
}

TEST(Choker, SeedingUnchokesTopFourByUploadRate) {
  std::mt19937_64 rng(1);
  std::vector<choker_peer> peers = {peer(1, 500, 1), peer(2, 100, 6), peer(3, 900, 2),
                                    peer(4, 50, 9),  peer(5, 700, 3), peer(6, 300, 4)};
  const auto r = run_choker(peers, choker_mode::seeding, t0, no_optimistic(), {}, rng);
  EXPECT_EQ(r.regular, keys({2, 4, 5, 6}));
}

TEST(Choker, RegularSlotCountFollowsSettings) {
  std::mt19937_64 rng(1);
  std::vector<choker_peer> peers = {peer(1, 10), peer(2, 20), peer(3, 30), peer(4, 40)};
  auto s = no_optimistic();
  s.regular_slots = 2;
  EXPECT_EQ(run_choker(peers, choker_mode::leeching, t0, s, {}, rng).regular, keys({3, 4}));
  s.regular_slots = -1;  // treated as 0
  EXPECT_TRUE(run_choker(peers, choker_mode::leeching, t0, s, {}, rng).unchoked.empty());
}

TEST(Choker, OneOptimisticUnchokeBesidesTheRegularSlots) {
  std::mt19937_64 rng(3);
  std::vector<choker_peer> peers;
  for (peer_key k = 1; k <= 8; ++k) peers.push_back(peer(k, k * 100));
  const auto r = run_choker(peers, choker_mode::leeching, t0, {}, {}, rng);
  EXPECT_EQ(r.regular, keys({5, 6, 7, 8}));
  ASSERT_EQ(r.state.optimistic.size(), 1u);
  const auto opt = r.state.optimistic[0];
  EXPECT_GE(opt.key, 1u);
  EXPECT_LE(opt.key, 4u);
  EXPECT_EQ(opt.chosen_at, t0);
  EXPECT_EQ(r.unchoked.size(), 5u);
  EXPECT_TRUE(has(r.unchoked, opt.key));
}

TEST(Choker, UninterestedPeersAndSeedsAreNeverUnchoked) {
  std::vector<choker_peer> peers;
  for (peer_key k = 1; k <= 10; ++k) {
    auto p = peer(k, k * 1000, k * 1000);
    if (k % 2 == 0) p.peer_interested = false;  // the fastest ones are not interested
    if (k == 9) p.is_seed = true;               // a seed claiming interest still gets nothing
    p.am_choking = false;
    p.connected_at = t0 - 5s;  // new: favoured by the optimistic draw
    peers.push_back(p);
  }
  choker_state st;
  for (auto mode : {choker_mode::leeching, choker_mode::seeding}) {
    for (int round = 0; round < 200; ++round) {
      std::mt19937_64 rng(static_cast<std::uint64_t>(round));
      const auto r = run_choker(peers, mode, t0 + round * 30s, {}, st, rng);
      st = r.state;
      for (peer_key k : r.unchoked) {
        EXPECT_TRUE(k == 1 || k == 3 || k == 5 || k == 7) << "unchoked key " << k;
      }
      EXPECT_EQ(r.unchoked, keys({1, 3, 5, 7}));  // the only eligible peers: all unchoked
      EXPECT_EQ(r.to_choke, keys({2, 4, 6, 8, 9, 10}));
    }
  }
}

TEST(Choker, SnubbedPeersGetNoRegularSlotButMayBeOptimistic) {
  std::mt19937_64 rng(1);
  std::vector<choker_peer> peers = {peer(1, 10), peer(2, 20), peer(3, 30),
                                    peer(4, 40), peer(5, 50), peer(6, 9000)};
  peers[5].snubbed = true;  // the fastest (by its old rate) but snubbing us now
  peers[4].peer_interested = false;
  const auto r = run_choker(peers, choker_mode::leeching, t0, {}, {}, rng);
  EXPECT_EQ(r.regular, keys({1, 2, 3, 4}));
  // The snubbed peer is the only candidate left for the optimistic slot.
  ASSERT_EQ(r.state.optimistic.size(), 1u);
  EXPECT_EQ(r.state.optimistic[0].key, 6u);
  EXPECT_EQ(r.unchoked, keys({1, 2, 3, 4, 6}));
}

TEST(Choker, SnubbedPeersStayOutOfFreeRegularSlots) {
  std::mt19937_64 rng(1);
  std::vector<choker_peer> peers = {peer(1, 10), peer(2, 0), peer(3, 0)};
  peers[1].snubbed = true;
  peers[2].snubbed = true;
  const auto r = run_choker(peers, choker_mode::leeching, t0, {}, {}, rng);
  EXPECT_EQ(r.regular, keys({1}));  // three regular slots stay empty
  ASSERT_EQ(r.state.optimistic.size(), 1u);
  EXPECT_EQ(r.unchoked.size(), 2u);  // one snubbed peer is choked
}

TEST(Choker, SnubbedFlagIsIgnoredWhileSeeding) {
  std::mt19937_64 rng(1);
  std::vector<choker_peer> peers = {peer(1, 0, 10), peer(2, 0, 99)};
  peers[1].snubbed = true;  // stale: a seed requests nothing, so nobody can snub it
  const auto r = run_choker(peers, choker_mode::seeding, t0, no_optimistic(), {}, rng);
  EXPECT_EQ(r.regular, keys({1, 2}));
}

TEST(Choker, FewerInterestedPeersThanSlotsUnchokesAll) {
  std::mt19937_64 rng(1);
  std::vector<choker_peer> peers = {peer(1, 0), peer(2, 5), peer(3, 0)};
  auto r = run_choker(peers, choker_mode::leeching, t0, {}, {}, rng);
  EXPECT_EQ(r.regular, keys({1, 2, 3}));
  EXPECT_EQ(r.unchoked, keys({1, 2, 3}));
  EXPECT_TRUE(r.state.optimistic.empty());  // nobody left to unchoke optimistically
  EXPECT_EQ(r.to_unchoke, keys({1, 2, 3}));

  // Exactly regular + optimistic slots worth of peers: all five unchoked.
  for (peer_key k = 4; k <= 5; ++k) peers.push_back(peer(k, 0));
  r = run_choker(peers, choker_mode::leeching, t0, {}, {}, rng);
  EXPECT_EQ(r.unchoked, keys({1, 2, 3, 4, 5}));
  EXPECT_EQ(r.regular.size(), 4u);
  EXPECT_EQ(r.state.optimistic.size(), 1u);
}

TEST(Choker, TiesPreferAlreadyUnchokedThenLongerConnected) {
  std::mt19937_64 rng(1);
  std::vector<choker_peer> peers;
  for (peer_key k = 1; k <= 8; ++k) {
    auto p = peer(k, 100);
    p.connected_at = t0 - std::chrono::minutes(10 + k);  // higher key = older
    peers.push_back(p);
  }
  peers[0].am_choking = false;  // key 1: the youngest, but unchoked already
  const auto r = run_choker(peers, choker_mode::leeching, t0, no_optimistic(), {}, rng);
  EXPECT_EQ(r.regular, keys({1, 6, 7, 8}));
}

TEST(Choker, ChokeAndUnchokeListsAreTheDifferences) {
  std::mt19937_64 rng(1);
  std::vector<choker_peer> peers = {peer(1, 10), peer(2, 20), peer(3, 30),
                                    peer(4, 40), peer(5, 50), peer(6, 60)};
  peers[0].am_choking = false;  // loses its slot
  peers[5].am_choking = false;  // keeps its slot
  peers[4].peer_interested = false;
  peers[4].am_choking = false;  // no longer interested: choked
  const auto r = run_choker(peers, choker_mode::leeching, t0, no_optimistic(), {}, rng);
  EXPECT_EQ(r.regular, keys({2, 3, 4, 6}));
  EXPECT_EQ(r.to_unchoke, keys({2, 3, 4}));
  EXPECT_EQ(r.to_choke, keys({1, 5}));
}

TEST(Choker, OptimisticKeptUntilThirtySecondsThenRotated) {
  std::vector<choker_peer> peers;
  for (peer_key k = 1; k <= 10; ++k) peers.push_back(peer(k, k >= 7 ? k * 100 : 0));
  std::mt19937_64 rng(42);
  auto r = run_choker(peers, choker_mode::leeching, t0, {}, {}, rng);
  ASSERT_EQ(r.state.optimistic.size(), 1u);
  const peer_key first = r.state.optimistic[0].key;
  EXPECT_LE(first, 6u);

  for (auto dt : {10s, 20s}) {
    r = run_choker(peers, choker_mode::leeching, t0 + dt, {}, r.state, rng);
    ASSERT_EQ(r.state.optimistic.size(), 1u);
    EXPECT_EQ(r.state.optimistic[0].key, first);
    EXPECT_EQ(r.state.optimistic[0].chosen_at, t0);  // kept, not redrawn
  }
  r = run_choker(peers, choker_mode::leeching, t0 + 29'999ms, {}, r.state, rng);
  EXPECT_EQ(r.state.optimistic[0].key, first);

  r = run_choker(peers, choker_mode::leeching, t0 + 30s, {}, r.state, rng);
  ASSERT_EQ(r.state.optimistic.size(), 1u);
  EXPECT_NE(r.state.optimistic[0].key, first);  // rotated to someone else
  EXPECT_LE(r.state.optimistic[0].key, 6u);
  EXPECT_EQ(r.state.optimistic[0].chosen_at, t0 + 30s);
  EXPECT_FALSE(has(r.unchoked, first));

  // Every later rotation moves the slot too (the outgoing peer is left out of the draw).
  for (int turn = 2; turn <= 50; ++turn) {
    const peer_key previous = r.state.optimistic[0].key;
    r = run_choker(peers, choker_mode::leeching, t0 + turn * 30s, {}, r.state, rng);
    ASSERT_EQ(r.state.optimistic.size(), 1u);
    EXPECT_NE(r.state.optimistic[0].key, previous) << "turn " << turn;
  }
}

TEST(Choker, OptimisticRotationKeepsTheOnlyCandidate) {
  std::mt19937_64 rng(1);
  std::vector<choker_peer> peers = {peer(1, 10), peer(2, 20), peer(3, 30), peer(4, 40), peer(5, 0)};
  choker_state st;
  st.optimistic.push_back({5, t0 - 31s});
  const auto r = run_choker(peers, choker_mode::leeching, t0, {}, st, rng);
  ASSERT_EQ(r.state.optimistic.size(), 1u);
  EXPECT_EQ(r.state.optimistic[0].key, 5u);
  EXPECT_EQ(r.state.optimistic[0].chosen_at, t0);  // redrawn: a fresh 30 s
}

TEST(Choker, OptimisticReplacedEarlyWhenItsPeerIsGoneOrUninterested) {
  std::vector<choker_peer> peers;
  for (peer_key k = 1; k <= 8; ++k) peers.push_back(peer(k, k >= 5 ? k * 100 : 0));
  std::mt19937_64 rng(7);
  choker_state st;
  st.optimistic.push_back({2, t0 - 5s});

  // Peer 2 lost interest 5 s into its turn.
  peers[1].peer_interested = false;
  auto r = run_choker(peers, choker_mode::leeching, t0, {}, st, rng);
  ASSERT_EQ(r.state.optimistic.size(), 1u);
  EXPECT_NE(r.state.optimistic[0].key, 2u);
  EXPECT_EQ(r.state.optimistic[0].chosen_at, t0);
  EXPECT_FALSE(has(r.unchoked, 2));

  // Peer 2 disconnected.
  peers.erase(peers.begin() + 1);
  r = run_choker(peers, choker_mode::leeching, t0, {}, st, rng);
  ASSERT_EQ(r.state.optimistic.size(), 1u);
  EXPECT_NE(r.state.optimistic[0].key, 2u);
}

TEST(Choker, OptimisticThatEarnsARegularSlotFreesTheOptimisticSlot) {
  std::vector<choker_peer> peers;
  for (peer_key k = 1; k <= 8; ++k) peers.push_back(peer(k, k >= 5 ? k * 100 : 0));
  std::mt19937_64 rng(9);
  choker_state st;
  st.optimistic.push_back({2, t0 - 10s});
  peers[1].download_rate = 5000;  // reciprocated during its optimistic turn
  const auto r = run_choker(peers, choker_mode::leeching, t0, {}, st, rng);
  EXPECT_EQ(r.regular, keys({2, 6, 7, 8}));
  ASSERT_EQ(r.state.optimistic.size(), 1u);
  EXPECT_NE(r.state.optimistic[0].key, 2u);
  EXPECT_EQ(r.state.optimistic[0].chosen_at, t0);
  EXPECT_EQ(r.unchoked.size(), 5u);
}

TEST(Choker, OptimisticNeverDuplicatesARegularSlot) {
  std::mt19937_64 rng(2024);
  std::mt19937_64 gen(77);  // drives the peers' rates and flags
  choker_settings s;
  s.optimistic_slots = 2;
  choker_state st;
  for (int round = 0; round < 500; ++round) {
    std::vector<choker_peer> peers;
    const int n = static_cast<int>(gen() % 12);
    for (int i = 0; i < n; ++i) {
      auto p = peer(static_cast<peer_key>(gen() % 16), static_cast<std::int64_t>(gen() % 4) * 100);
      if (std::any_of(peers.begin(), peers.end(), [&](auto& q) { return q.key == p.key; }))
        continue;
      p.peer_interested = gen() % 4 != 0;
      p.snubbed = gen() % 5 == 0;
      p.connected_at = t0 + round * 10s - std::chrono::seconds(gen() % 120);
      peers.push_back(p);
    }
    const auto r = run_choker(peers, choker_mode::leeching, t0 + round * 10s, s, st, rng);
    st = r.state;
    std::set<peer_key> seen(r.regular.begin(), r.regular.end());
    for (const auto& o : r.state.optimistic) {
      EXPECT_TRUE(seen.insert(o.key).second) << "duplicate " << o.key << " in round " << round;
    }
    EXPECT_EQ(seen.size(), r.unchoked.size());
    EXPECT_LE(r.regular.size(), 4u);
    EXPECT_LE(r.state.optimistic.size(), 2u);
  }
}

TEST(Choker, SeveralOptimisticSlotsHoldDistinctPeers) {
  std::mt19937_64 rng(5);
  std::vector<choker_peer> peers;
  for (peer_key k = 1; k <= 10; ++k) peers.push_back(peer(k, k >= 7 ? 100 : 0));
  choker_settings s;
  s.optimistic_slots = 3;
  const auto r = run_choker(peers, choker_mode::leeching, t0, s, {}, rng);
  ASSERT_EQ(r.state.optimistic.size(), 3u);
  std::set<peer_key> opt;
  for (const auto& o : r.state.optimistic) {
    opt.insert(o.key);
    EXPECT_FALSE(has(r.regular, o.key));
  }
  EXPECT_EQ(opt.size(), 3u);
  EXPECT_EQ(r.unchoked.size(), 7u);
}

TEST(Choker, NewPeersAreThreeTimesAsLikelyToBeOptimistic) {
  // Four regular peers fill the regular slots; four new and four old peers compete for the
  // optimistic one. Expected share of new peers: 4*3 / (4*3 + 4*1) = 0.75.
  std::vector<choker_peer> peers;
  for (peer_key k = 1; k <= 4; ++k) peers.push_back(peer(k, 1000));
  for (peer_key k = 10; k < 14; ++k) {
    auto p = peer(k);
    p.connected_at = t0 - 20s;  // new (< 60 s)
    peers.push_back(p);
  }
  for (peer_key k = 20; k < 24; ++k) {
    auto p = peer(k);
    p.connected_at = t0 - 61s;  // just past the new-peer age
    peers.push_back(p);
  }
  std::mt19937_64 rng(12345);
  constexpr int draws = 20'000;
  std::map<peer_key, int> count;
  int new_count = 0;
  for (int i = 0; i < draws; ++i) {
    const auto r = run_choker(peers, choker_mode::leeching, t0, {}, {}, rng);
    ASSERT_EQ(r.state.optimistic.size(), 1u);
    const auto k = r.state.optimistic[0].key;
    ASSERT_GE(k, 10u);
    ++count[k];
    if (k < 20) ++new_count;
  }
  const double share = static_cast<double>(new_count) / draws;
  EXPECT_NEAR(share, 0.75, 0.02);
  // Per peer: a new one ~3/16 of the draws, an old one ~1/16.
  for (const auto& [k, c] : count) {
    const double expected = draws * (k < 20 ? 3.0 : 1.0) / 16.0;
    EXPECT_NEAR(c, expected, expected * 0.15) << "key " << k;
  }
}

TEST(Choker, EqualAgesDrawUniformly) {
  std::vector<choker_peer> peers = {peer(1), peer(2)};
  choker_settings s;
  s.regular_slots = 0;
  std::mt19937_64 rng(99);
  int ones = 0;
  constexpr int draws = 10'000;
  for (int i = 0; i < draws; ++i) {
    const auto r = run_choker(peers, choker_mode::leeching, t0, s, {}, rng);
    ASSERT_EQ(r.unchoked.size(), 1u);
    if (r.unchoked[0] == 1) ++ones;
  }
  EXPECT_NEAR(static_cast<double>(ones) / draws, 0.5, 0.03);
}

}  // namespace
}  // namespace tessera::detail
