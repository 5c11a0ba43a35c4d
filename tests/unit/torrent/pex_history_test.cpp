#include "torrent/pex_history.hpp"

#include <gtest/gtest.h>

namespace tessera::detail {
namespace {

peer_endpoint ep(const char* s) { return *peer_endpoint::from_string(s); }

TEST(PexHistory, FirstMessageListsEveryConnectedPeerButTheRecipient) {
  pex_history h;
  auto m = h.next({{ep("10.0.0.1:1"), pex_flags::seed}, {ep("10.0.0.2:2"), 0}, {ep("10.0.0.3:3"), 0}},
                  ep("10.0.0.2:2"));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->added, (std::vector<pex_peer>{{ep("10.0.0.1:1"), pex_flags::seed}, {ep("10.0.0.3:3"), 0}}));
  EXPECT_TRUE(m->dropped.empty());
}

TEST(PexHistory, LaterMessagesCarryOnlyTheChanges) {
  pex_history h;
  ASSERT_TRUE(h.next({{ep("10.0.0.1:1"), 0}, {ep("10.0.0.3:3"), 0}}, std::nullopt));
  EXPECT_FALSE(h.next({{ep("10.0.0.1:1"), 0}, {ep("10.0.0.3:3"), 0}}, std::nullopt))
      << "nothing changed: no message";
  auto m = h.next({{ep("10.0.0.3:3"), 0}, {ep("[::1]:4"), 0}}, std::nullopt);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->added, (std::vector<pex_peer>{{ep("[::1]:4"), 0}}));
  EXPECT_EQ(m->dropped, (std::vector<peer_endpoint>{ep("10.0.0.1:1")}));
  EXPECT_EQ(h.told(), (std::set<peer_endpoint>{ep("10.0.0.3:3"), ep("[::1]:4")}));
}

TEST(PexHistory, ListsAreBoundedAndTheRestFollowsNextTime) {
  pex_history h;
  std::vector<pex_peer> many;
  for (int i = 0; i < 250; ++i) {
    many.push_back({ep(("10.0." + std::to_string(i / 200) + "." + std::to_string(i % 200 + 1) + ":80").c_str()), 0});
  }
  auto first = h.next(many, std::nullopt);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->added.size(), max_pex_peers_per_list);
  auto second = h.next(many, std::nullopt);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->added.size(), 250 - max_pex_peers_per_list);
}

}  // namespace
}  // namespace tessera::detail
