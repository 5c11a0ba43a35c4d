// The session's choker: session_settings::unchoke_slots bound the upload slots of the whole
// session, however many torrents share it (libtorrent's model), not an even share per torrent.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "raw_peer.hpp"
#include "session_test_support.hpp"
#include "tessera/session.hpp"

namespace tessera {
namespace {

using namespace test;
using namespace std::chrono_literals;

TEST(GlobalChoke, SixTorrentsWithTwelveInterestedPeersUnchokeTheSessionsTwoSlotsPlusOne) {
  constexpr int torrents = 6, peers_each = 2;
  auto settings = loopback_settings("127.0.0.1");
  settings.unchoke_slots = 2;
  session ses(settings);
  std::vector<test_torrent> ts;
  std::vector<std::unique_ptr<temp_dir>> dirs;
  std::vector<torrent_handle> handles;
  for (int i = 0; i < torrents; ++i) {
    ts.push_back(make_torrent(330 + i, 32 * 1024, 20000, 10000));
    dirs.push_back(std::make_unique<temp_dir>());
    write_payload(ts.back(), dirs.back()->path);
    handles.push_back(add_test_torrent(ses, ts.back(), dirs.back()->path));
  }
  for (const auto& h : handles)
    ASSERT_TRUE(wait_for_status(h, [](const torrent_status& s) { return s.state == torrent_state::seeding; }));
  std::vector<std::unique_ptr<raw_leecher>> peers;
  for (int i = 0; i < torrents; ++i) {
    for (int j = 0; j < peers_each; ++j) {
      peers.push_back(std::make_unique<raw_leecher>());
      const std::string id = "RAW" + std::to_string(i) + "-" + std::to_string(j);
      // Each from its own address: within the per-host caps.
      const std::string from = "127.0.2." + std::to_string(10 + i * peers_each + j);
      ASSERT_TRUE(peers.back()->connect(ses.listen_port(), ts[static_cast<std::size_t>(i)].ti->info_hash(), id.c_str(),
                                        from.c_str()));
    }
  }
  auto count = [&](int& connected, int& unchoked) {
    connected = unchoked = 0;
    for (const auto& h : handles) {
      auto ps = h.peers();
      if (!ps) continue;
      for (const auto& p : *ps) {
        ++connected;
        unchoked += p.am_choking ? 0 : 1;
      }
    }
  };
  int connected = 0, unchoked = 0;
  // Interested peers and free slots: unchoked well before the 10 s round.
  ASSERT_TRUE(eventually(
      [&] {
        for (auto& p : peers) p->pump(5ms);
        count(connected, unchoked);
        return connected == torrents * peers_each && unchoked == 3;
      },
      10s))
      << connected << " connected, " << unchoked << " unchoked";
  // Each peer's interest asked for a round; none unchokes more (an even share per torrent would
  // have unchoked two peers in each of the six torrents).
  const bool exceeded = eventually(
      [&] {
        count(connected, unchoked);
        return unchoked > 3;
      },
      1s);
  EXPECT_FALSE(exceeded) << unchoked << " unchoked";
  int told = 0;
  for (auto& p : peers) {
    p->pump(5ms);
    told += p->unchoked ? 1 : 0;
  }
  EXPECT_EQ(told, 3) << "the peers were told: 2 regular slots + 1 optimistic for the session";

  // More slots at run time (session::apply_settings): a round runs at once and fills them.
  auto more = ses.current_settings();
  more.unchoke_slots = 5;
  ses.apply_settings(more);
  EXPECT_TRUE(eventually(
      [&] {
        count(connected, unchoked);
        return unchoked == 6;
      },
      5s))
      << unchoked << " unchoked; want 5 regular + 1 optimistic";
}

}  // namespace
}  // namespace tessera
