// The session's choker: one round over every torrent's peers, bounded by the session's slots.
#include "torrent/global_choker.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace tessera::detail {
namespace {

using namespace std::chrono_literals;
using tp = std::chrono::steady_clock::time_point;

const tp t0 = tp{} + 100'000s;

choker_peer peer(peer_key key, std::int64_t download_rate = 0, std::int64_t upload_rate = 0) {
  choker_peer p;
  p.key = key;
  p.peer_interested = true;
  p.download_rate = download_rate;
  p.upload_rate = upload_rate;
  p.connected_at = t0 - 1h;
  return p;
}

choker_settings slots(int regular, int optimistic) {
  choker_settings s;
  s.regular_slots = regular;
  s.optimistic_slots = optimistic;
  return s;
}

int unchokes(const std::vector<torrent_choke_output>& out) {
  int n = 0;
  for (const auto& o : out) n += static_cast<int>(o.to_unchoke.size());
  return n;
}

TEST(GlobalChoker, FiveHundredTorrentsShareFourRegularSlotsAndOneOptimistic) {
  std::vector<torrent_choke_input> in;
  for (std::uint64_t t = 0; t < 500; ++t) {
    torrent_choke_input i;
    i.torrent = 1000 + t;
    i.seeding = true;
    i.peers = {peer(1, 0, 100 + static_cast<std::int64_t>(t)), peer(2, 0, 1)};  // same keys in every torrent
    in.push_back(std::move(i));
  }
  global_choker c;
  auto out = c.run(in, t0, slots(4, 1));
  EXPECT_EQ(unchokes(out), 5) << "4 regular + 1 optimistic over 1,000 interested peers";
  EXPECT_EQ(c.unchoked(), 5);
  // The regular slots go to the fastest: peer 1 of the four last torrents (upload rates 596..599).
  std::set<std::uint64_t> regular;
  for (const auto& o : out)
    for (peer_key k : o.to_unchoke)
      if (k == 1 && o.torrent >= 1496) regular.insert(o.torrent);
  EXPECT_EQ(regular, (std::set<std::uint64_t>{1496, 1497, 1498, 1499}));
  ASSERT_EQ(c.optimistic().size(), 1u);
  EXPECT_TRUE(out.size() == 4 || out.size() == 5) << "only torrents with changes are listed";
}

TEST(GlobalChoker, DecisionsAreAppliedAndTheNextRoundChangesOnlyWhatMoved) {
  std::vector<torrent_choke_input> in(2);
  in[0].torrent = 7;
  in[0].peers = {peer(1, 500), peer(2, 10)};  // downloading: ranked by download rate
  in[1].torrent = 9;
  in[1].seeding = true;
  in[1].peers = {peer(1, 0, 300), peer(2, 0, 5)};  // seeding: ranked by upload rate
  global_choker c;
  auto out = c.run(in, t0, slots(2, 0));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].torrent, 7u);
  EXPECT_EQ(out[0].to_unchoke, std::vector<peer_key>{1});
  EXPECT_EQ(out[1].torrent, 9u);
  EXPECT_EQ(out[1].to_unchoke, std::vector<peer_key>{1});
  // Apply, then torrent 9's peer 2 becomes the fastest of all.
  in[0].peers[0].am_choking = false;
  in[1].peers[0].am_choking = false;
  in[1].peers[1].upload_rate = 1000;
  out = c.run(in, t0 + 10s, slots(2, 0));
  ASSERT_EQ(out.size(), 1u) << "torrent 7 keeps its slot: nothing to send there";
  EXPECT_EQ(out[0].torrent, 9u);
  EXPECT_EQ(out[0].to_unchoke, std::vector<peer_key>{2});
  EXPECT_EQ(out[0].to_choke, std::vector<peer_key>{1}) << "the slowest unchoked peer of the session lost its slot";
}

TEST(GlobalChoker, TheOptimisticUnchokeIsKeptAcrossRoundsByTorrentAndPeer) {
  std::vector<torrent_choke_input> in(3);
  for (std::uint64_t t = 0; t < 3; ++t) {
    in[t].torrent = t + 1;
    in[t].peers = {peer(5)};
  }
  global_choker c;
  auto out = c.run(in, t0, slots(0, 1));
  ASSERT_EQ(unchokes(out), 1);
  ASSERT_EQ(c.optimistic().size(), 1u);
  const auto chosen = c.optimistic()[0];
  for (auto& i : in)
    if (i.torrent == chosen.torrent) i.peers[0].am_choking = false;
  // Listed in another order (the torrents' order is not their identity): nothing changes.
  std::reverse(in.begin(), in.end());
  out = c.run(in, t0 + 10s, slots(0, 1));
  EXPECT_TRUE(out.empty());
  ASSERT_EQ(c.optimistic().size(), 1u);
  EXPECT_EQ(c.optimistic()[0].torrent, chosen.torrent);
  EXPECT_EQ(c.optimistic()[0].key, chosen.key);
  // After the optimistic interval it rotates to another torrent's peer.
  out = c.run(in, t0 + 31s, slots(0, 1));
  ASSERT_EQ(c.optimistic().size(), 1u);
  EXPECT_NE(c.optimistic()[0].torrent, chosen.torrent);
  EXPECT_EQ(unchokes(out), 1);
}

TEST(GlobalChoker, OptimisticSlotsGrowWithTheRegularOnes) {
  EXPECT_EQ(global_choker::optimistic_slots_for(0), 1);
  EXPECT_EQ(global_choker::optimistic_slots_for(4), 1);
  EXPECT_EQ(global_choker::optimistic_slots_for(20), 4);
}

}  // namespace
}  // namespace tessera::detail
