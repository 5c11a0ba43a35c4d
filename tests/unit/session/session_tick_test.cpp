// The session's tick (session/session_tick.cpp): one session timer drives every torrent's
// once-a-second work (torrent::tick), and paces the resume-data saves of dirty torrents.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "core/torrent_info_builder.hpp"
#include "session/session_impl.hpp"
#include "session_test_support.hpp"
#include "tessera/session.hpp"

namespace tessera {
namespace {

using namespace test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

/// A one-piece torrent of 1,000 bytes whose data is not on disk: after its check it downloads
/// (from nobody), and its resume data is dirty.
std::shared_ptr<torrent_info> missing_torrent(int i) {
  auto ti = std::make_shared<tessera::detail::torrent_info_builder>();
  ti->name = "tick-" + std::to_string(i) + ".bin";
  ti->multi_file = false;
  ti->piece_length = 16 * 1024;
  file_entry f;
  f.path = ti->name;
  f.size = 1000;
  ti->files.push_back(f);
  ti->total_size = f.size;
  std::vector<std::uint8_t> payload(1000, static_cast<std::uint8_t>(i));
  ti->piece_hashes.push_back(sha1(payload.data(), payload.size()));
  const std::string seed = "session tick " + std::to_string(i);
  ti->info_hash.v1 = sha1(reinterpret_cast<const std::uint8_t*>(seed.data()), seed.size());
  return std::make_shared<torrent_info>(std::move(*ti).build());
}

std::vector<torrent_handle> add_missing_torrents(session& ses, int count, const fs::path& dir) {
  std::vector<torrent_handle> hs;
  for (int i = 0; i < count; ++i) {
    add_torrent_params p;
    p.ti = missing_torrent(i);
    p.save_path = dir;
    hs.push_back(add_checked(ses, std::move(p)));
  }
  return hs;
}

TEST(SessionTick, OneSessionTickDrivesEveryOneOf200Torrents) {
  temp_dir dir;
  session ses(loopback_settings("127.0.0.1"));
  auto hs = add_missing_torrents(ses, 200, dir.path);
  auto& impl = detail::session_access::impl(ses);
  const auto first = impl.tick_stats().ticks;
  // Every torrent ticks at every session tick: after three more session ticks each has ticked
  // at least twice (the tick it was added in may have passed it by).
  ASSERT_TRUE(eventually([&] { return impl.tick_stats().ticks >= first + 3; }, 10s));
  const auto ticks = impl.torrent_ticks();
  ASSERT_EQ(ticks.size(), 200u);
  for (const auto& [ih, n] : ticks) EXPECT_GE(n, 2u) << ih.to_hex();
  const auto stats = impl.tick_stats();
  // One torrent::tick per torrent and session tick: never more (there is no second timer).
  std::uint64_t sum = 0;
  for (const auto& [ih, n] : ticks) sum += n;
  EXPECT_EQ(sum, stats.torrent_ticks);
  for (const auto& [ih, n] : ticks) EXPECT_LE(n, stats.ticks) << ih.to_hex();
}

TEST(SessionTick, ResumeSavesOfManyDirtyTorrentsAreSpreadOverTicks) {
  temp_dir dir;
  temp_dir state;
  auto settings = loopback_settings("127.0.0.1");
  settings.state_dir = state.path.string();
  settings.resume_save_interval = 1s;
  settings.resume_saves_per_tick = 4;
  session ses(settings);
  auto& impl = detail::session_access::impl(ses);
  // 20 torrents whose check finds nothing: each is dirty once checked (downloading from nobody).
  auto hs = add_missing_torrents(ses, 20, dir.path);
  auto resume_files = [&] {
    int n = 0;
    std::error_code ec;  // the session creates the directory with the first save
    for (fs::directory_iterator it(state.path, ec), end; !ec && it != end; it.increment(ec))
      n += it->path().extension() == ".resume" ? 1 : 0;
    return n;
  };
  ASSERT_TRUE(eventually([&] { return resume_files() == 20; }, 20s)) << resume_files() << " resume files";
  const auto stats = impl.tick_stats();
  EXPECT_GE(stats.resume_saves, 20u);
  EXPECT_LE(stats.most_resume_saves_in_a_tick, 4);
  // Nothing changed since: no torrent is saved again, however many ticks pass.
  const auto ticks = stats.ticks;
  ASSERT_TRUE(eventually([&] { return impl.tick_stats().ticks >= ticks + 3; }, 10s));
  EXPECT_EQ(impl.tick_stats().resume_saves, stats.resume_saves);
}

TEST(SessionTick, ADirtyTorrentIsNotSavedAgainWithinTheInterval) {
  temp_dir dir;
  temp_dir state;
  auto settings = loopback_settings("127.0.0.1");
  settings.state_dir = state.path.string();
  settings.resume_save_interval = 3600s;
  session ses(settings);
  auto& impl = detail::session_access::impl(ses);
  auto hs = add_missing_torrents(ses, 3, dir.path);
  // The first save comes at once (never saved before)...
  ASSERT_TRUE(eventually([&] { return impl.tick_stats().resume_saves == 3; }, 10s));
  // ...a change made after it waits for the interval.
  ASSERT_TRUE(hs[0].set_file_priority(file_index{0}, file_priority::high));
  const auto ticks = impl.tick_stats().ticks;
  ASSERT_TRUE(eventually([&] { return impl.tick_stats().ticks >= ticks + 3; }, 10s));
  EXPECT_EQ(impl.tick_stats().resume_saves, 3u);
}

}  // namespace
}  // namespace tessera
