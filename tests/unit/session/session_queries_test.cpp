// session::get_torrent_status (every torrent in one call), session::find_torrent, and the
// torrent_status fields a Transmission RPC client reads: peers sending to us / getting from us,
// bytes of pieces that failed the hash, checking progress.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "core/torrent_info_builder.hpp"
#include "session_test_support.hpp"
#include "tessera/hasher.hpp"
#include "tessera/session.hpp"

namespace tessera {
namespace {

using namespace test;
using namespace std::chrono_literals;

bool is_seeding(const torrent_status& s) { return s.state == torrent_state::seeding; }

TEST(SessionQueries, GetTorrentStatusReturnsEveryTorrentAndFindTorrentLooksThemUpByInfoHash) {
  auto seeded_a = make_torrent(301, 32 * 1024, 50000, 40000);
  auto seeded_b = make_torrent(302, 32 * 1024, 60000, 30000);
  auto missing = make_torrent(303, 32 * 1024, 70000, 20000);
  temp_dir dir_a, dir_b, dir_c;
  write_payload(seeded_a, dir_a.path);
  write_payload(seeded_b, dir_b.path);
  session ses(loopback_settings("127.0.0.1"));
  EXPECT_TRUE(ses.get_torrent_status().empty());
  auto ha = add_test_torrent(ses, seeded_a, dir_a.path);
  auto hb = add_test_torrent(ses, seeded_b, dir_b.path);
  auto hc = add_test_torrent(ses, missing, dir_c.path);
  ASSERT_TRUE(wait_for_status(ha, is_seeding));
  ASSERT_TRUE(wait_for_status(hb, is_seeding));
  ASSERT_TRUE(wait_for_status(hc, [](const torrent_status& s) { return s.state == torrent_state::downloading; }));

  auto all = ses.get_torrent_status();
  ASSERT_EQ(all.size(), 3u);
  auto of = [&](const info_hash_t& ih) {
    auto it = std::find_if(all.begin(), all.end(), [&](const torrent_status& s) { return s.info_hash == ih; });
    EXPECT_NE(it, all.end());
    return it == all.end() ? torrent_status{} : *it;
  };
  EXPECT_EQ(of(seeded_a.ti->info_hash()).state, torrent_state::seeding);
  EXPECT_EQ(of(seeded_a.ti->info_hash()).total_done, seeded_a.ti->total_size());
  EXPECT_EQ(of(seeded_b.ti->info_hash()).state, torrent_state::seeding);
  EXPECT_EQ(of(seeded_b.ti->info_hash()).save_path, dir_b.path);
  EXPECT_EQ(of(missing.ti->info_hash()).state, torrent_state::downloading);
  EXPECT_EQ(of(missing.ti->info_hash()).total_done, 0);

  // find_torrent: a handle to the same torrent; unknown info-hashes find nothing.
  for (const auto* t : {&seeded_a, &seeded_b, &missing}) {
    auto h = ses.find_torrent(t->ti->info_hash());
    ASSERT_TRUE(h.has_value());
    auto st = h->status();
    ASSERT_TRUE(st);
    EXPECT_EQ(st->info_hash, t->ti->info_hash());
    EXPECT_EQ(h->info_hash(), t->ti->info_hash());
  }
  EXPECT_FALSE(ses.find_torrent(make_torrent(304).ti->info_hash()).has_value());

  // A removed torrent is gone from both.
  ASSERT_TRUE(ses.remove_torrent(hb));
  EXPECT_FALSE(ses.find_torrent(seeded_b.ti->info_hash()).has_value());
  all = ses.get_torrent_status();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_TRUE(std::none_of(all.begin(), all.end(),
                           [&](const torrent_status& s) { return s.info_hash == seeded_b.ti->info_hash(); }));

  // A stopped session has none.
  ses.stop();
  EXPECT_TRUE(ses.get_torrent_status().empty());
  EXPECT_FALSE(ses.find_torrent(seeded_a.ti->info_hash()).has_value());
}

TEST(SessionQueries, FindTorrentFindsHybridAndV2TorrentsByTheirTruncatedV2Hash) {
  // Hand-built: a hybrid (v1 + a v2 info-hash) and a v2-only torrent (its v1 cleared). The
  // engine names both by info_hash.best(); find_torrent also takes the truncated v2 form.
  auto hybrid = make_torrent(306, 32 * 1024, 50000, 40000);
  auto v2_only = make_torrent(307, 32 * 1024, 50000, 40000);
  hybrid.ti = std::make_shared<tessera::torrent_info>(tessera::detail::edited(*hybrid.ti, [&](auto& tb) {
    tb.info_hash.v2 = sha256("hybrid info dictionary");
  }));
  v2_only.ti = std::make_shared<tessera::torrent_info>(tessera::detail::edited(*v2_only.ti, [&](auto& tb) {
    tb.info_hash.v2 = sha256("v2 info dictionary");
    tb.info_hash.v1 = {};
  }));
  temp_dir dir_a, dir_b;
  session ses(loopback_settings("127.0.0.1"));
  auto ha = add_test_torrent(ses, hybrid, dir_a.path);
  auto hb = add_test_torrent(ses, v2_only, dir_b.path);
  EXPECT_EQ(ha.info_hash(), hybrid.ti->info_hash());
  EXPECT_EQ(hb.info_hash(), v2_only.ti->info_hash());

  const info_hash_t hy = hybrid.ti->info_hash(), v2 = v2_only.ti->info_hash();
  for (const auto& found : {ses.find_torrent(hy.v1), ses.find_torrent(hy.v2_truncated()), ses.find_torrent(hy),
                            ses.find_torrent(info_hash_t{hy.v1, {}}), ses.find_torrent(info_hash_t{{}, hy.v2})}) {
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->info_hash(), hy);
  }
  for (const auto& found : {ses.find_torrent(v2.v2_truncated()), ses.find_torrent(v2)}) {
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->info_hash(), v2);
    auto st = found->status();
    ASSERT_TRUE(st);
    EXPECT_EQ(st->info_hash, v2);
  }
  info_hash_t wrong = hy;
  wrong.v2.bytes[0] ^= 1;
  EXPECT_FALSE(ses.find_torrent(wrong).has_value());  // right v1, another v2
  EXPECT_FALSE(ses.find_torrent(sha1_hash{}).has_value());
  EXPECT_FALSE(ses.find_torrent(info_hash_t{}).has_value());

  // The same torrent is not added twice under another form of its hashes.
  add_torrent_params again;
  again.info_hash = info_hash_t{{}, hy.v2};  // a v2 magnet of the hybrid
  again.save_path = dir_a.path;
  auto dup = ses.add_torrent(again);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error(), std::make_error_code(std::errc::file_exists));

  // Removed: gone by every form.
  ASSERT_TRUE(ses.remove_torrent(ha));
  EXPECT_FALSE(ses.find_torrent(hy.v1).has_value());
  EXPECT_FALSE(ses.find_torrent(hy.v2_truncated()).has_value());
}

TEST(SessionQueries, PeersSendingAndGettingPayloadAreCountedWhileBytesFlow) {
  auto t = make_torrent(305, 32 * 1024, 400000, 300000);
  temp_dir seed_dir, leech_dir;
  write_payload(t, seed_dir.path);
  // Limited to about 3 s for the whole torrent: the two seeds part as soon as it is done.
  auto seeder_settings = loopback_settings("127.0.0.2");
  seeder_settings.upload_rate_limit = 256 * 1024;
  session seeder(seeder_settings);
  auto sh = add_test_torrent(seeder, t, seed_dir.path);
  ASSERT_TRUE(wait_for_status(sh, is_seeding));
  auto idle = sh.status();
  ASSERT_TRUE(idle);
  EXPECT_EQ(idle->peers_getting_from_us, 0);
  EXPECT_EQ(idle->peers_sending_to_us, 0);

  session leecher(loopback_settings("127.0.0.3"));
  auto lh = add_test_torrent(leecher, t, leech_dir.path, {endpoint_of("127.0.0.2", seeder.listen_port())});
  auto up = wait_for_status(sh, [](const torrent_status& s) { return s.peers_getting_from_us > 0; }, 20s);
  ASSERT_TRUE(up);
  EXPECT_EQ(up->peers_getting_from_us, 1);
  EXPECT_EQ(up->peers_sending_to_us, 0) << "a leecher sends the seed no payload";
  auto down = wait_for_status(lh, [](const torrent_status& s) { return s.peers_sending_to_us > 0; }, 20s);
  ASSERT_TRUE(down);
  EXPECT_EQ(down->peers_sending_to_us, 1);
  EXPECT_LE(down->peers_sending_to_us, down->num_peers);
  auto done = wait_for_status(lh, is_seeding);
  ASSERT_TRUE(done);
  ASSERT_EQ(done->state, torrent_state::seeding) << done->error;
  EXPECT_EQ(done->total_failed_bytes, 0) << "nothing failed the hash";
  // Two seeds part, and the counts fall back with the connections.
  auto after = wait_for_status(sh, [](const torrent_status& s) { return s.peers_getting_from_us == 0; }, 20s);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->peers_getting_from_us, 0);
}

TEST(SessionQueries, BytesOfPiecesThatFailTheHashAreCounted) {
  auto t = make_torrent(306);
  constexpr int bad_piece = 3;
  fake_seeder liar(t, "127.0.0.4", bad_piece);
  fake_seeder honest(t, "127.0.0.5", -1, 300ms);  // unchokes late: the liar serves first
  temp_dir dir;
  session ses(loopback_settings("127.0.0.1"));
  auto h = add_test_torrent(ses, t, dir.path, {liar.endpoint(), honest.endpoint()});
  auto s = wait_for_status(h, is_settled);
  ASSERT_TRUE(s);
  ASSERT_EQ(s->state, torrent_state::seeding) << s->error;
  const std::int64_t piece = t.ti->piece_size(piece_index{bad_piece});
  EXPECT_GE(s->total_failed_bytes, piece) << "the corrupt piece failed at least once";
  EXPECT_EQ(s->total_failed_bytes % piece, 0) << "whole pieces only";
  EXPECT_LE(s->total_failed_bytes, s->total_wasted);
}

/// Reads wait for a permit; a test hands them out one at a time.
struct read_permits {
  std::mutex m;
  std::condition_variable cv;
  int permits = 0;
  int waiting = 0;
  bool open = false;  // every read passes
  void pass() {
    std::unique_lock lock(m);
    ++waiting;
    cv.notify_all();
    cv.wait(lock, [&] { return open || permits > 0; });
    if (!open) --permits;
    --waiting;
  }
  void grant() {
    std::lock_guard lock(m);
    ++permits;
    cv.notify_all();
  }
  void open_all() {
    std::lock_guard lock(m);
    open = true;
    cv.notify_all();
  }
  bool someone_waits() {
    std::lock_guard lock(m);
    return waiting > 0 && permits == 0;
  }
};

class permit_storage final : public storage {
 public:
  permit_storage(std::shared_ptr<storage> inner, read_permits& gate) : inner_(std::move(inner)), gate_(gate) {}
  result<bool, storage_error> initialize() override { return inner_->initialize(); }
  result<bool, storage_error> write(std::int64_t offset, std::span<const std::uint8_t> data) override {
    return inner_->write(offset, data);
  }
  result<std::size_t, storage_error> read(std::int64_t offset, std::span<std::uint8_t> out) override {
    gate_.pass();
    return inner_->read(offset, out);
  }
  result<bool, storage_error> flush() override { return inner_->flush(); }
  void close_all() override { inner_->close_all(); }
  std::vector<std::int64_t> on_disk_sizes() override { return inner_->on_disk_sizes(); }

 private:
  std::shared_ptr<storage> inner_;
  read_permits& gate_;
};

TEST(SessionQueries, CheckingProgressIsTheFractionOfPiecesHashed) {
  auto t = make_torrent(307, 16 * 1024, 400000, 300000);  // 43 pieces
  temp_dir dir;
  write_payload(t, dir.path);
  read_permits gate;
  struct gate_guard {  // never leave a disk thread blocked, whatever fails
    read_permits& g;
    ~gate_guard() { g.open_all(); }
  } guard{gate};
  session ses(loopback_settings("127.0.0.1"));
  add_torrent_params p;
  p.ti = t.ti;
  p.save_path = dir.path;
  p.storage = [&gate](std::shared_ptr<const torrent_info> ti, const std::filesystem::path& d) {
    return std::make_shared<permit_storage>(make_file_storage(std::move(ti), d), gate);
  };
  auto h = add_checked(ses, std::move(p));
  ASSERT_TRUE(eventually([&] { return gate.someone_waits(); }, 10s)) << "the check never read";
  auto first = h.status();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->state, torrent_state::checking);
  EXPECT_DOUBLE_EQ(first->checking_progress, 0.0);
  // One piece at a time until a progress report (at most one per 100 ms) arrived.
  std::optional<torrent_status> mid;
  const int n = t.ti->num_pieces();
  for (int granted = 0; granted < n - 2 && !mid; ++granted) {
    gate.grant();
    ASSERT_TRUE(eventually([&] { return gate.someone_waits(); }, 10s));
    eventually(
        [&] {
          auto s = h.status();
          if (s && s->checking_progress > 0) mid = *s;
          return mid.has_value();
        },
        50ms);
  }
  ASSERT_TRUE(mid) << "no progress while pieces were hashed";
  EXPECT_EQ(mid->state, torrent_state::checking);
  EXPECT_GT(mid->checking_progress, 0.0);
  EXPECT_LT(mid->checking_progress, 1.0);
  EXPECT_DOUBLE_EQ(mid->checking_progress, double(mid->pieces_checked) / double(n));
  gate.open_all();
  auto done = wait_for_status(h, is_seeding);
  ASSERT_TRUE(done);
  ASSERT_EQ(done->state, torrent_state::seeding) << done->error;
  EXPECT_DOUBLE_EQ(done->checking_progress, 0.0) << "0 outside the check";
}

}  // namespace
}  // namespace tessera
