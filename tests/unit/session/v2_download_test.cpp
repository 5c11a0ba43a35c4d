// BEP 52 in the engine: v2-only and hybrid torrents downloaded by a session (pieces verified by
// their SHA-256 merkle targets, hybrids by both hashes), a bad piece of a v2 torrent failing,
// tessera seeding a v2 torrent to tessera, the start-up check and resume data of v2 torrents,
// and pieces without a known piece-layer entry never requested.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <mutex>

#include "../support/v2_test_torrent.hpp"
#include "disk/resume_data.hpp"
#include "session_test_support.hpp"

namespace tessera {
namespace {

using namespace test;
using namespace std::chrono_literals;
using test_support::make_v2_torrent;
using test_support::random_bytes;

constexpr std::int64_t piece = 32 * 1024;

/// Multi-file, odd sizes: 5.3 pieces, an empty file, 700 bytes, 2 pieces exactly, 1 block + 1.
test_torrent make_test(bool hybrid, bool with_layers = true, unsigned seed = 40) {
  auto t = make_v2_torrent({random_bytes(5 * piece + 9'000, seed), {}, random_bytes(700, seed + 1),
                            random_bytes(2 * piece, seed + 2), random_bytes(block_size + 1, seed + 3)},
                           piece, hybrid, with_layers);
  return test_torrent{std::make_shared<torrent_info>(std::move(t.ti)), std::move(t.stream)};
}

class V2Download : public ::testing::TestWithParam<bool> {};  // param: hybrid

TEST_P(V2Download, DownloadsFromASeederAndFindsEveryPieceOnRestart) {
  auto t = make_test(GetParam());
  fake_seeder seeder(t, "127.0.0.2");
  temp_dir dir;
  {
    session ses(loopback_settings("127.0.0.1"));
    auto h = add_test_torrent(ses, t, dir.path, {seeder.endpoint()});
    auto s = wait_for_status(h, is_settled);
    ASSERT_TRUE(s);
    ASSERT_EQ(s->state, torrent_state::seeding) << s->error;
    EXPECT_EQ(s->pieces_done, t.ti->num_pieces());
    EXPECT_EQ(s->total_wasted, 0);
    ses.stop();
  }
  expect_files_match(t, dir.path);
  session ses(loopback_settings("127.0.0.1"));
  auto h = add_test_torrent(ses, t, dir.path);
  auto s = wait_for_status(h, is_settled);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, torrent_state::seeding) << s->error;
  EXPECT_EQ(s->pieces_done, t.ti->num_pieces());
  EXPECT_EQ(s->total_downloaded, 0);
}

TEST_P(V2Download, ACorruptPieceFailsAndIsFetchedAgain) {
  auto t = make_test(GetParam());
  fake_seeder liar(t, "127.0.0.3", 5);  // the first file's tail, before padding
  fake_seeder honest(t, "127.0.0.4", -1, 300ms);
  temp_dir dir;
  session ses(loopback_settings("127.0.0.1"));
  auto h = add_test_torrent(ses, t, dir.path, {liar.endpoint(), honest.endpoint()});
  auto s = wait_for_status(h, is_settled);
  ASSERT_TRUE(s);
  ASSERT_EQ(s->state, torrent_state::seeding) << s->error;
  EXPECT_GT(liar.bytes_served(), 0);
  EXPECT_GE(s->total_wasted, piece);
  ses.stop();
  expect_files_match(t, dir.path);
}

TEST_P(V2Download, TesseraSeedsAV2TorrentToTessera) {
  auto t = make_test(GetParam());
  temp_dir seed_dir, leech_dir;
  write_payload(t, seed_dir.path);
  session seed(loopback_settings("127.0.0.5"));
  auto hs = add_test_torrent(seed, t, seed_dir.path);
  auto ss = wait_for_status(hs, is_settled);
  ASSERT_TRUE(ss);
  ASSERT_EQ(ss->state, torrent_state::seeding) << ss->error;  // the check verified every v2 piece
  session leech(loopback_settings("127.0.0.6"));
  auto hl = add_test_torrent(leech, t, leech_dir.path, {endpoint_of("127.0.0.5", seed.listen_port())});
  auto sl = wait_for_status(hl, is_settled);
  ASSERT_TRUE(sl);
  ASSERT_EQ(sl->state, torrent_state::seeding) << sl->error;
  leech.stop();
  seed.stop();
  expect_files_match(t, leech_dir.path);
}

INSTANTIATE_TEST_SUITE_P(V2AndHybrid, V2Download, ::testing::Bool(),
                         [](const auto& p) { return p.param ? "Hybrid" : "V2Only"; });

/// Writes resume data for `t` at `dir` claiming no piece, with `layers`.
void write_resume(const test_torrent& t, const std::filesystem::path& dir, const std::filesystem::path& state,
                  std::map<sha256_hash, std::vector<sha256_hash>> layers) {
  detail::resume_data rd;
  rd.info_hash = t.ti->info_hash();
  rd.pieces = detail::bitfield(t.ti->num_pieces());
  rd.save_path = dir.string();
  rd.piece_layers = std::move(layers);
  std::filesystem::create_directories(state);
  ASSERT_TRUE(detail::write_file_atomically(state / (t.ti->info_hash().to_hex() + ".resume"),
                                            detail::encode_resume_data(rd)));
}

// A v2 torrent without its piece layers (as a magnet's bare info dictionary): only the pieces of
// one-piece files, whose target is the pieces root, are requested; layers from resume data (as
// saved after peers sent them) make the rest downloadable; a corrupt layer there is dropped
// alone.
TEST(V2DownloadLayers, PiecesWithoutALayerEntryAreNotRequestedUntilResumeDataGivesTheLayers) {
  auto full = make_test(false);
  auto bare = make_test(false, false);
  ASSERT_EQ(bare.ti->info_hash(), full.ti->info_hash());
  ASSERT_TRUE(bare.ti->piece_layers().empty());
  fake_seeder seeder(bare, "127.0.0.7");
  // The two files larger than a piece: 6 and 2 pieces; the others are one piece each.
  ASSERT_EQ(full.ti->piece_layers().size(), 2u);
  const int one_piece_files = bare.ti->num_pieces() - 8;
  {
    temp_dir dir;
    session ses(loopback_settings("127.0.0.1"));
    auto h = add_test_torrent(ses, bare, dir.path, {seeder.endpoint()});
    auto s = wait_for_status(h, [&](const torrent_status& st) { return st.pieces_done == one_piece_files; });
    ASSERT_TRUE(s);
    EXPECT_EQ(s->pieces_done, one_piece_files);
    EXPECT_EQ(s->state, torrent_state::downloading);
    // Only those pieces were asked for (blocks of the others would have gone out beside them).
    EXPECT_EQ(seeder.bytes_served(), piece + block_size + 1);  // a whole piece, padding included, and the short last one
  }
  // Resume data with both layers, the second one corrupt: the first file downloads, the
  // 2-piece file does not.
  temp_dir dir, state;
  auto layers = full.ti->piece_layers();
  sha256_hash two_piece_root;
  for (const auto& f : full.ti->files())
    if (f.size == 2 * piece) two_piece_root = f.pieces_root;
  layers.at(two_piece_root)[1].bytes[3] ^= 1;
  write_resume(bare, dir.path, state.path, layers);
  auto settings = loopback_settings("127.0.0.1");
  settings.state_dir = state.path.string();
  session ses(settings);
  auto h = add_test_torrent(ses, bare, dir.path, {seeder.endpoint()});
  auto s = wait_for_status(h, [&](const torrent_status& st) { return st.pieces_done == bare.ti->num_pieces() - 2; });
  ASSERT_TRUE(s);
  EXPECT_EQ(s->pieces_done, bare.ti->num_pieces() - 2);
  EXPECT_EQ(s->state, torrent_state::downloading);
}

// Layers a v2 torrent learnt are saved in its resume data; its pieces restore from it as v1's do.
TEST(V2DownloadLayers, ResumeDataOfAV2TorrentKeepsItsPiecesAndLayers) {
  auto full = make_test(false);
  auto bare = make_test(false, false);
  temp_dir dir, state;
  write_payload(full, dir.path);
  write_resume(bare, dir.path, state.path, full.ti->piece_layers());
  auto settings = loopback_settings("127.0.0.1");
  settings.state_dir = state.path.string();
  {
    session ses(settings);
    auto h = add_test_torrent(ses, bare, dir.path);
    auto s = wait_for_status(h, is_settled);
    ASSERT_TRUE(s);
    ASSERT_EQ(s->state, torrent_state::seeding) << s->error;  // the check verified every piece
    ses.stop();  // saves the resume data
  }
  auto bytes = detail::read_small_file(state.path / (bare.ti->info_hash().to_hex() + ".resume"));
  ASSERT_TRUE(bytes);
  auto rd = detail::decode_resume_data(*bytes, *bare.ti);
  ASSERT_TRUE(rd) << rd.error().message();
  EXPECT_EQ(rd->pieces.count(), bare.ti->num_pieces());
  EXPECT_EQ(rd->piece_layers, full.ti->piece_layers());
  // A third run restores them (trusted by the file stamps): seeding, nothing downloaded.
  session ses(settings);
  std::mutex mu;
  int present = -1;
  ses.set_event_handler([&](const event& e) {
    if (auto* c = std::get_if<events::torrent_checked>(&e)) {
      std::lock_guard lock(mu);
      present = c->pieces_present;
    }
  });
  auto h = add_test_torrent(ses, bare, dir.path);
  auto s = wait_for_status(h, is_settled);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, torrent_state::seeding) << s->error;
  ses.stop();
  std::lock_guard lock(mu);
  EXPECT_EQ(present, bare.ti->num_pieces());
}

}  // namespace
}  // namespace tessera
