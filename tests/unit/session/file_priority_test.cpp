// File selection end to end: two sessions on loopback, a three-file torrent whose middle file is
// skipped (not created; the shared pieces' bytes of it wait in the part file), then unskipped; and
// sequential download order.
#include <algorithm>
#include <atomic>
#include <mutex>

#include "core/torrent_info_builder.hpp"
#include "session_test_support.hpp"
#include "tessera/session.hpp"

namespace tessera {
namespace {

using namespace test;
namespace fs = std::filesystem;

constexpr std::int64_t piece = 32 * 1024;

// a [0,100000) b [100000,170000) c [170000,260000), 32 KiB pieces: piece 3 is shared by a and b,
// piece 4 lies in b alone, piece 5 is shared by b and c; 8 pieces.
test_torrent three_files(std::uint32_t seed) {
  test_torrent t;
  std::mt19937 rng(seed);
  auto ti = std::make_shared<tessera::detail::torrent_info_builder>();
  ti->name = "sel";
  ti->multi_file = true;
  ti->piece_length = piece;
  std::int64_t offset = 0;
  for (auto [path, size] : {std::pair{"sel/a.bin", 100000}, {"sel/b.bin", 70000}, {"sel/c.bin", 90000}}) {
    file_entry f;
    f.path = path;
    f.size = size;
    f.offset = offset;
    offset += size;
    ti->files.push_back(f);
  }
  ti->total_size = offset;
  t.payload.resize(static_cast<std::size_t>(offset));
  for (auto& b : t.payload) b = static_cast<std::uint8_t>(rng());
  for (std::int64_t p = 0; p < offset; p += piece) {
    auto len = std::min<std::int64_t>(piece, offset - p);
    ti->piece_hashes.push_back(sha1(t.payload.data() + p, static_cast<std::size_t>(len)));
  }
  std::string ih = "file priority torrent " + std::to_string(seed);
  ti->info_hash.v1 = sha1(reinterpret_cast<const std::uint8_t*>(ih.data()), ih.size());
  t.ti = std::make_shared<torrent_info>(std::move(*ti).build());
  return t;
}

std::vector<std::uint8_t> file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool contains(const std::vector<std::uint8_t>& hay, const std::vector<std::uint8_t>& needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

torrent_handle add(session& s, const test_torrent& t, const fs::path& dir,
                   std::vector<std::string> peers = {}, std::vector<file_priority> prios = {}) {
  add_torrent_params p;
  p.ti = t.ti;
  p.save_path = dir;
  p.peers = std::move(peers);
  p.file_priorities = std::move(prios);
  return add_checked(s, std::move(p));
}

TEST(FilePriority, SkippedMiddleFileIsNotCreatedAndUnskippingCompletesIt) {
  auto t = three_files(7);
  temp_dir seed_dir, leech_dir;
  write_payload(t, seed_dir.path);
  session seeder(loopback_settings("127.0.0.2"));
  auto sh = add(seeder, t, seed_dir.path);
  auto ss = wait_for_status(sh, is_settled);
  ASSERT_TRUE(ss);
  ASSERT_EQ(ss->state, torrent_state::seeding) << ss->error;

  session leecher(loopback_settings("127.0.0.3"));
  std::atomic<int> finished{0};
  leecher.set_event_handler([&](const event& e) {
    if (std::holds_alternative<events::torrent_finished>(e)) ++finished;
  });
  auto lh = add(leecher, t, leech_dir.path, {endpoint_of("127.0.0.2", seeder.listen_port())},
                {file_priority::normal, file_priority::skip});  // c: normal (shorter list)
  auto prios = lh.file_priorities();
  ASSERT_TRUE(prios);
  EXPECT_EQ(*prios, (std::vector{file_priority::normal, file_priority::skip, file_priority::normal}));
  auto ls = wait_for_status(lh, [](const torrent_status& s) {
    return s.is_finished || s.state == torrent_state::error;
  });
  ASSERT_TRUE(ls);
  ASSERT_TRUE(ls->is_finished) << ls->error;
  EXPECT_EQ(ls->state, torrent_state::downloading);  // finished, but not every piece is here
  EXPECT_EQ(ls->total_wanted, t.ti->total_size() - piece);  // all but piece 4
  EXPECT_EQ(ls->total_wanted_done, ls->total_wanted);
  EXPECT_EQ(ls->pieces_done, 7);
  const auto dl = leech_dir.path;
  EXPECT_FALSE(fs::exists(dl / "sel/b.bin"));
  const auto& p = t.payload;
  EXPECT_EQ(file_bytes(dl / "sel/a.bin"), std::vector<std::uint8_t>(p.begin(), p.begin() + 100000));
  EXPECT_EQ(file_bytes(dl / "sel/c.bin"), std::vector<std::uint8_t>(p.begin() + 170000, p.end()));
  const auto parts = dl / ("." + t.ti->info_hash().to_hex() + ".parts");
  auto held = file_bytes(parts);
  EXPECT_TRUE(contains(held, {p.begin() + 100000, p.begin() + 3 * piece + piece}));  // b in piece 3
  EXPECT_TRUE(contains(held, {p.begin() + 5 * piece, p.begin() + 170000}));          // b in piece 5
  // torrent_finished is emitted on the event thread shortly after.
  for (int i = 0; i < 100 && finished.load() == 0; ++i) std::this_thread::sleep_for(20ms);
  EXPECT_EQ(finished.load(), 1);

  // Errors: index out of range.
  auto bad = lh.set_file_priority(file_index{3}, file_priority::high);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), std::make_error_code(std::errc::invalid_argument));
  EXPECT_FALSE(lh.set_piece_priority(piece_index{8}, 4));
  EXPECT_FALSE(lh.set_piece_priority(piece_index{0}, 8));

  // Unskip: b is downloaded, its part-file bytes move into it, and the torrent seeds.
  ASSERT_TRUE(lh.set_file_priority(file_index{1}, file_priority::high));
  ls = wait_for_status(lh, is_settled);
  ASSERT_TRUE(ls);
  ASSERT_EQ(ls->state, torrent_state::seeding) << ls->error;
  EXPECT_TRUE(ls->is_finished);
  for (int i = 0; i < 100 && fs::exists(parts); ++i) std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(fs::exists(parts));
  leecher.stop();
  seeder.stop();
  expect_files_match(t, dl);
  EXPECT_EQ(finished.load(), 2);  // finished again after the unskip
}

TEST(FilePriority, HandleFailsOnceTheTorrentIsGone) {
  auto t = three_files(8);
  temp_dir dir;
  torrent_handle h;
  {
    session s(loopback_settings("127.0.0.2"));
    h = add(s, t, dir.path);
    ASSERT_TRUE(h.set_sequential_download(true));
    ASSERT_TRUE(h.set_first_last_pieces_first(true));
    s.stop();
  }
  const auto gone = std::make_error_code(std::errc::no_such_process);
  EXPECT_EQ(h.set_file_priority(file_index{0}, file_priority::skip).error(), gone);
  EXPECT_EQ(h.file_priorities().error(), gone);
  EXPECT_EQ(h.set_piece_priority(piece_index{0}, 1).error(), gone);
  EXPECT_EQ(h.set_sequential_download(false).error(), gone);
  EXPECT_EQ(h.set_first_last_pieces_first(false).error(), gone);
}

TEST(FilePriority, SequentialDownloadVerifiesPiecesInIncreasingOrder) {
  // 40 pieces; one disk thread on each side so that neither hashing nor the seeder's reads can
  // reorder pieces.
  auto t = make_torrent(31, piece, 600000, 700000);
  temp_dir seed_dir, leech_dir;
  write_payload(t, seed_dir.path);
  auto ls_settings = loopback_settings("127.0.0.3");
  ls_settings.disk_threads = 1;
  session leecher(ls_settings);
  std::mutex m;
  std::vector<int> order;
  leecher.set_event_handler([&](const event& e) {
    if (auto* v = std::get_if<events::piece_verified>(&e)) {
      std::lock_guard lock(m);
      order.push_back(v->piece.value);
    }
  });
  auto lh = add(leecher, t, leech_dir.path);
  ASSERT_TRUE(lh.set_sequential_download(true));
  // The seeder dials the leecher, so sequential mode is on before any request.
  auto ss_settings = loopback_settings("127.0.0.2");
  ss_settings.disk_threads = 1;  // nor the seeder's reads reorder the blocks it sends
  session seeder(ss_settings);
  auto sh = add(seeder, t, seed_dir.path, {endpoint_of("127.0.0.3", leecher.listen_port())});
  auto ls = wait_for_status(lh, is_settled);
  ASSERT_TRUE(ls);
  ASSERT_EQ(ls->state, torrent_state::seeding) << ls->error;
  leecher.stop();
  seeder.stop();
  std::lock_guard lock(m);
  ASSERT_EQ(static_cast<int>(order.size()), t.ti->num_pieces());
  std::string seen;
  for (int x : order) seen += std::to_string(x) + " ";
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end())) << seen;
  expect_files_match(t, leech_dir.path);
}

}  // namespace
}  // namespace tessera
