// The smart ban end to end: a session downloads from an honest fake seeder and lying ones that
// corrupt every block they send, so pieces are assembled from both kinds and fail again and again.
// Only liars may be banned; the honest seeder never is, and the download completes.
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "session_test_support.hpp"

namespace tessera {
namespace {

using namespace test;
using namespace std::chrono_literals;

/// The peer_disconnected events of a session.
struct disconnect_log {
  std::mutex m;
  std::vector<events::peer_disconnected> events;
  void operator()(const event& e) {
    if (auto* d = std::get_if<events::peer_disconnected>(&e)) {
      std::lock_guard l(m);
      events.push_back(*d);
    }
  }
  /// Disconnects of `endpoint` whose reason is a ban (the connection closed with EACCES).
  int bans_of(const std::string& endpoint) {
    const std::string banned = std::make_error_code(std::errc::permission_denied).message();
    std::lock_guard l(m);
    int n = 0;
    for (const auto& d : events) n += (d.endpoint == endpoint && d.reason == banned) ? 1 : 0;
    return n;
  }
};

TEST(SmartBanSession, OnlyTheLiarsAreBannedAndTheDownloadCompletesFromTheHonestSeeder) {
  // The attack the smart ban stops: liars on several addresses, each corrupting every block it
  // sends, slip blocks into pieces the honest seeder also serves. With 16 blocks per piece and
  // small request pipelines at the start, most pieces get blocks from several seeders and fail.
  // Striking every sender of a failed piece (three strikes, a ban) banned the honest seeder after
  // its third shared failure, and with every seeder banned the download stalled.
  auto t = make_torrent(77, 256 * 1024, 2'000'000, 2'200'000);
  fake_seeder honest(t, "127.0.0.21");
  std::vector<std::unique_ptr<fake_seeder>> liars;
  for (const char* ip : {"127.0.0.22", "127.0.0.23", "127.0.0.24"}) {
    liars.push_back(std::make_unique<fake_seeder>(t, ip, fake_seeder::corrupt_every_piece));
  }
  temp_dir dir;
  auto log = std::make_shared<disconnect_log>();
  session ses(loopback_settings("127.0.0.1"));
  ses.set_event_handler([log](const event& e) { (*log)(e); });
  std::vector<std::string> peers = {honest.endpoint()};
  for (const auto& l : liars) peers.push_back(l->endpoint());
  auto h = add_test_torrent(ses, t, dir.path, peers);
  auto s = wait_for_status(h, is_settled, 60s);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, torrent_state::seeding) << s->error;
  ses.stop();  // delivers every event
  EXPECT_GE(s->total_wasted, 3 * t.ti->piece_length()) << "fewer than 3 pieces failed: the test proves nothing";
  EXPECT_EQ(log->bans_of(honest.endpoint()), 0) << "the honest seeder was banned";
  EXPECT_EQ(honest.connections(), 1) << "the honest seeder's connection was dropped";
  for (const auto& l : liars) {
    if (l->bytes_served() == 0) continue;  // never got to send a block: nothing to ban it for
    EXPECT_EQ(log->bans_of(l->endpoint()), 1) << "liar " << l->endpoint() << " was not banned";
    EXPECT_EQ(l->connections(), 1) << "liar " << l->endpoint() << " was dialled again after its ban";
  }
  if (s->state == torrent_state::seeding) expect_files_match(t, dir.path);
}

TEST(SmartBanSession, ALiarThatNeverSendsAWholePieceIsCaughtWhenThePiecePasses) {
  // The liar sends at most one (corrupt) block of each piece and chokes after every request: it
  // is never the single sender of a piece, so every failure is of a piece it shares with the
  // honest seeder, and only the comparison with the verified piece can name it. Before, the
  // honest seeder shared every one of these failures and was banned at its third.
  auto t = make_torrent(78, 256 * 1024, 1'500'000, 1'500'000);
  fake_seeder honest(t, "127.0.0.25");
  fake_seeder liar(t, "127.0.0.26", fake_seeder::corrupt_every_piece);
  liar.choke_after_each_block(30ms);
  temp_dir dir;
  auto log = std::make_shared<disconnect_log>();
  // ~1 s for the 3 MB: time for the liar to slip a block into several pieces.
  auto settings = loopback_settings("127.0.0.1");
  settings.download_rate_limit = 3'000'000;
  session ses(settings);
  ses.set_event_handler([log](const event& e) { (*log)(e); });
  auto h = add_test_torrent(ses, t, dir.path, {liar.endpoint(), honest.endpoint()});
  auto s = wait_for_status(h, is_settled, 60s);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, torrent_state::seeding) << s->error;
  ses.stop();
  EXPECT_GT(liar.bytes_served(), 0) << "the liar served nothing: the test proves nothing";
  EXPECT_GE(s->total_wasted, t.ti->piece_length()) << "no piece failed: the test proves nothing";
  EXPECT_EQ(log->bans_of(honest.endpoint()), 0) << "the honest seeder was banned";
  EXPECT_EQ(honest.connections(), 1);
  EXPECT_EQ(log->bans_of(liar.endpoint()), 1) << "the liar was not banned";
  EXPECT_EQ(liar.connections(), 1) << "the liar was dialled again after its ban";
  EXPECT_LE(liar.bytes_served(), std::int64_t{block_size} * t.ti->num_pieces());  // one block a piece
  if (s->state == torrent_state::seeding) expect_files_match(t, dir.path);
}

}  // namespace
}  // namespace tessera
