// The user's control of torrents through the public API: pause/resume, remove (with and without
// the data), recheck, move storage, status details, handles after removal, and event delivery
// that a slow listener cannot stall. Sessions on 127.0.0.x, no DHT, no LSD.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>

#include <gtest/gtest.h>

#include "core/torrent_info_builder.hpp"
#include "session_test_support.hpp"

namespace tessera {
namespace {

using namespace test;
using namespace std::chrono_literals;

bool is_seeding(const torrent_status& s) { return s.state == torrent_state::seeding; }

struct swarm {
  test_torrent t;
  temp_dir seed_dir, leech_dir;
  session seeder{loopback_settings("127.0.0.2")};
  session leecher{loopback_settings("127.0.0.3")};
  torrent_handle seed_handle;

  explicit swarm(std::uint32_t seed, std::int64_t first = 900000, std::int64_t last = 300000)
      : t(make_torrent(seed, 32 * 1024, first, last)) {
    write_payload(t, seed_dir.path);
    add_torrent_params p;
    p.ti = t.ti;
    p.save_path = seed_dir.path;
    seed_handle = *seeder.add_torrent(p);
    EXPECT_TRUE(wait_for_status(seed_handle, is_seeding));
  }

  add_torrent_params leech_params() const {
    add_torrent_params p;
    p.ti = t.ti;
    p.save_path = leech_dir.path;
    p.peers = {endpoint_of("127.0.0.2", seeder.listen_port())};
    return p;
  }
};

/// Collects events of the leecher, thread-safe. Declare it before the swarm whose events it
/// records: the session's event thread may call it until the session is destroyed.
struct recorder {
  std::mutex mu;
  std::vector<event> all;
  std::function<void(const event&)> handler() {
    return [this](const event& e) {
      std::lock_guard lock(mu);
      all.push_back(e);
    };
  }
  template <class E>
  int count() {
    std::lock_guard lock(mu);
    return static_cast<int>(std::count_if(all.begin(), all.end(), [](const event& e) { return std::holds_alternative<E>(e); }));
  }
};

TEST(TorrentControl, PausedTorrentConnectsToNobodyUntilResumed) {
  recorder rec;  // outlives the sessions, which call it
  swarm s(61);
  s.leecher.set_event_handler(rec.handler());
  auto h = *s.leecher.add_torrent(s.leech_params());
  ASSERT_TRUE(h.pause());
  std::this_thread::sleep_for(700ms);
  auto st = h.status();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->state, torrent_state::paused);
  EXPECT_TRUE(st->is_paused);
  EXPECT_EQ(st->num_peers, 0);
  EXPECT_EQ(st->pieces_done, 0);
  ASSERT_TRUE(h.resume());
  auto done = wait_for_status(h, is_seeding);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->state, torrent_state::seeding);
  expect_files_match(s.t, s.leech_dir.path);
  s.leecher.stop();
  EXPECT_EQ(rec.count<events::torrent_paused>(), 1);
  EXPECT_EQ(rec.count<events::torrent_resumed>(), 1);
  EXPECT_GE(rec.count<events::state_changed>(), 2);  // checking -> downloading -> seeding
  EXPECT_EQ(rec.count<events::file_completed>(), 3);
}

TEST(TorrentControl, AddedPausedChecksButWaitsForResume) {
  swarm s(71);
  auto p = s.leech_params();
  p.paused = true;
  auto h = *s.leecher.add_torrent(p);
  std::this_thread::sleep_for(500ms);
  auto st = h.status();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->state, torrent_state::paused);
  EXPECT_EQ(st->num_peers, 0);
  EXPECT_EQ(st->pieces_checked, s.t.ti->num_pieces()) << "the check runs while paused";
  EXPECT_EQ(st->total_downloaded, 0);
  ASSERT_TRUE(h.resume());
  auto done = wait_for_status(h, is_seeding);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->state, torrent_state::seeding);
  EXPECT_DOUBLE_EQ(done->ratio(), 0.0) << "a leecher of a lone seed uploads nothing";
  EXPECT_EQ(s.seed_handle.status()->ratio(), 1.0) << "uploaded once the torrent's size";
}

TEST(TorrentControl, RemoveWithDataDeletesOnlyTheTorrentsFilesAndHandlesFailAfterwards) {
  recorder rec;  // outlives the sessions, which call it
  swarm s(62);
  auto h = *s.leecher.add_torrent(s.leech_params());
  ASSERT_TRUE(wait_for_status(h, is_seeding));
  // A file of someone else's in the download directory, and one outside it reached through a
  // symlink named like a directory of the torrent: neither may be touched.
  temp_dir outside;
  std::filesystem::create_directories(outside.path);
  { std::ofstream(s.leech_dir.path / "mine.txt") << "keep"; }
  { std::ofstream(outside.path / "victim.txt") << "keep"; }
  s.leecher.set_event_handler(rec.handler());
  auto removed = s.leecher.remove_torrent(h, remove_flags::delete_data);
  ASSERT_TRUE(removed) << removed.error().message();
  EXPECT_FALSE(h.is_valid()) << "detached at once";
  // The files go in the background; torrent_removed says when.
  ASSERT_TRUE(eventually([&] { return rec.count<events::torrent_removed>() == 1; }, 30s));
  EXPECT_FALSE(std::filesystem::exists(s.leech_dir.path / "multi")) << "its files and directories are gone";
  EXPECT_TRUE(std::filesystem::exists(s.leech_dir.path / "mine.txt"));
  EXPECT_TRUE(std::filesystem::exists(outside.path / "victim.txt"));
  EXPECT_FALSE(h.is_valid());
  EXPECT_EQ(h.status().error(), std::errc::no_such_process);
  EXPECT_EQ(h.pause().error(), std::errc::no_such_process);
  EXPECT_EQ(h.peers().error(), std::errc::no_such_process);
  EXPECT_EQ(h.files().error(), std::errc::no_such_process);
  EXPECT_EQ(h.move_storage("/tmp").error(), std::errc::no_such_process);
  EXPECT_EQ(s.leecher.remove_torrent(h).error(), std::errc::no_such_process);
  EXPECT_TRUE(s.leecher.torrents().empty());
  s.leecher.stop();
  ASSERT_EQ(rec.count<events::torrent_removed>(), 1);
  EXPECT_TRUE(std::get<events::torrent_removed>(rec.all.back()).data_deleted);
}

TEST(TorrentControl, RemoveWithDataNeverFollowsASymlinkOutOfTheDownloadDirectory) {
  auto t = make_torrent(63, 32 * 1024, 50000, 50000);
  temp_dir dir, outside;
  std::filesystem::create_directories(dir.path);
  // `multi` is a symlink to another directory holding files named like the torrent's.
  std::filesystem::create_directories(outside.path / "sub");
  { std::ofstream(outside.path / "a.bin") << "not yours"; }
  { std::ofstream(outside.path / "c.dat") << "not yours"; }
  std::filesystem::create_directory_symlink(outside.path, dir.path / "multi");
  session ses(loopback_settings("127.0.0.3"));
  add_torrent_params p;
  p.ti = t.ti;
  p.save_path = dir.path;
  auto h = ses.add_torrent(p);
  ASSERT_TRUE(h);
  ASSERT_TRUE(wait_for_status(*h, [](const torrent_status& st) { return st.state != torrent_state::checking; }));
  ASSERT_TRUE(remove_and_wait(ses, *h, remove_flags::delete_data));
  EXPECT_TRUE(std::filesystem::exists(outside.path / "a.bin"));
  EXPECT_TRUE(std::filesystem::exists(outside.path / "c.dat"));
}

TEST(TorrentControl, RemoveKeepingDataLeavesTheFiles) {
  swarm s(64);
  auto h = *s.leecher.add_torrent(s.leech_params());
  ASSERT_TRUE(wait_for_status(h, is_seeding));
  ASSERT_TRUE(s.leecher.remove_torrent(h));
  expect_files_match(s.t, s.leech_dir.path);
  EXPECT_FALSE(h.is_valid());
}

TEST(TorrentControl, RecheckFindsADamagedPieceAndDownloadsItAgain) {
  recorder rec;  // outlives the sessions, which call it
  swarm s(65);
  auto h = *s.leecher.add_torrent(s.leech_params());
  ASSERT_TRUE(wait_for_status(h, is_seeding));
  {
    std::fstream f(s.leech_dir.path / "multi/a.bin", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(40000);
    f.put('\x5a' ^ static_cast<char>(s.t.payload[40000]));
  }
  s.leecher.set_event_handler(rec.handler());
  ASSERT_TRUE(h.force_recheck());
  // As both seeds, the two closed their connection; once the recheck finds a piece missing the
  // seeder is dialled again (no tracker needed).
  EXPECT_EQ(h.connect_peer("not an address").error(), std::errc::invalid_argument);
  EXPECT_TRUE(h.connect_peer(endpoint_of("127.0.0.2", s.seeder.listen_port())));  // known already: fine
  auto back = wait_for_status(h, [&](const torrent_status& st) { return rec.count<events::torrent_checked>() > 0 && is_seeding(st); });
  ASSERT_TRUE(back);
  EXPECT_EQ(back->state, torrent_state::seeding);
  expect_files_match(s.t, s.leech_dir.path);
  std::lock_guard lock(rec.mu);
  for (const auto& e : rec.all) {
    if (auto* c = std::get_if<events::torrent_checked>(&e)) {
      EXPECT_EQ(c->pieces_present, s.t.ti->num_pieces() - 1);
    }
  }
}

TEST(TorrentControl, MoveStorageMovesTheFilesAndSeedingGoesOn) {
  recorder rec;  // outlives the sessions, which call it
  swarm s(66);
  auto h = *s.leecher.add_torrent(s.leech_params());
  ASSERT_TRUE(wait_for_status(h, is_seeding));
  s.leecher.set_event_handler(rec.handler());
  temp_dir target;
  const auto dest = target.path / "moved" / "here";
  ASSERT_TRUE(h.move_storage(dest));
  auto moved = wait_for_status(h, [&](const torrent_status&) { return rec.count<events::storage_moved>() > 0; });
  ASSERT_TRUE(moved);
  {
    std::lock_guard lock(rec.mu);
    auto it = std::find_if(rec.all.begin(), rec.all.end(), [](const event& e) { return std::holds_alternative<events::storage_moved>(e); });
    ASSERT_NE(it, rec.all.end());
    EXPECT_EQ(std::get<events::storage_moved>(*it).error, "");
  }
  expect_files_match(s.t, dest);
  EXPECT_FALSE(std::filesystem::exists(s.leech_dir.path / "multi"));
  auto st = h.status();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->save_path, dest);
  EXPECT_FALSE(st->is_paused);
  // It still serves: a third session downloads from it alone.
  session third(loopback_settings("127.0.0.4"));
  temp_dir third_dir;
  add_torrent_params p;
  p.ti = s.t.ti;
  p.save_path = third_dir.path;
  p.peers = {endpoint_of("127.0.0.3", s.leecher.listen_port())};
  auto h3 = third.add_torrent(p);
  ASSERT_TRUE(h3);
  ASSERT_TRUE(wait_for_status(*h3, is_seeding));
  expect_files_match(s.t, third_dir.path);
}

TEST(TorrentControl, FilePeerAndTrackerStatus) {
  swarm s(67);
  auto p = s.leech_params();
  auto ti = std::make_shared<torrent_info>(*s.t.ti);
  ti = std::make_shared<tessera::torrent_info>(tessera::detail::edited(*ti, [&](auto& tb) {
    tb.trackers = {{"http://127.0.0.1:1/announce"}, {"udp://127.0.0.1:1", "http://127.0.0.1:2/announce"}};
  }));
  p.ti = ti;
  auto h = *s.leecher.add_torrent(p);
  ASSERT_TRUE(wait_for_status(h, is_seeding));
  auto files = h.files();
  ASSERT_TRUE(files);
  ASSERT_EQ(files->size(), 3u);
  EXPECT_EQ((*files)[0].path, "multi/a.bin");
  for (const auto& f : *files) EXPECT_EQ(f.done, f.size) << f.path;
  auto trackers = h.trackers();
  ASSERT_TRUE(trackers);
  ASSERT_EQ(trackers->size(), 3u);
  EXPECT_EQ((*trackers)[0].tier, 0);
  EXPECT_EQ((*trackers)[2].tier, 1);
  // The refused HTTP tracker of tier 0 fails at once: its last announce is dated, and the next
  // round is due (every tracker shows the torrent's next round).
  const auto unix_now = [] {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  };
  const std::int64_t before = unix_now() - 60;  // the torrent was added less than a minute ago
  std::optional<tracker_status> failed;
  for (auto deadline = std::chrono::steady_clock::now() + 20s; !failed && std::chrono::steady_clock::now() < deadline;) {
    auto now_trackers = h.trackers();
    ASSERT_TRUE(now_trackers);
    for (const auto& tr : *now_trackers) {
      if (tr.url == "http://127.0.0.1:1/announce" && tr.failures > 0) failed = tr;
    }
    if (!failed) std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(failed) << "the refused tracker never failed";
  EXPECT_GE(failed->last_announce, before);
  EXPECT_LE(failed->last_announce, unix_now());
  EXPECT_GE(failed->next_announce, failed->last_announce);
  const auto snapshot = h.trackers();
  ASSERT_TRUE(snapshot);
  ASSERT_FALSE(snapshot->empty());
  for (const auto& tr : *snapshot) EXPECT_EQ(tr.next_announce, snapshot->front().next_announce) << tr.url;
  // Both are seeds now and part; during a download the seeder shows in peers().
  auto ps = s.seed_handle.peers();
  ASSERT_TRUE(ps);
}

TEST(TorrentControl, ASlowEventListenerDoesNotStallTheDownload) {
  swarm s(68);
  std::atomic<bool> release{false};
  std::atomic<int> seen{0};
  s.leecher.set_event_handler([&](const event&) {
    ++seen;
    for (int i = 0; i < 1000 && !release; ++i) std::this_thread::sleep_for(10ms);  // stuck in the first event
  });
  auto h = *s.leecher.add_torrent(s.leech_params());
  auto done = wait_for_status(h, is_seeding, 20s);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->state, torrent_state::seeding) << "the engine waited for the listener";
  EXPECT_EQ(seen.load(), 1) << "the listener is still in its first event";
  release = true;
}

TEST(TorrentControl, PerTorrentHandlersGetOnlyTheirTorrentsEvents) {
  swarm s(69);
  auto other = make_torrent(70, 32 * 1024, 1000, 1000);
  temp_dir other_dir;
  recorder mine;
  auto h = *s.leecher.add_torrent(s.leech_params());
  ASSERT_TRUE(h.set_event_handler(mine.handler()));
  add_torrent_params op;
  op.ti = other.ti;
  op.save_path = other_dir.path;
  ASSERT_TRUE(s.leecher.add_torrent(op));
  ASSERT_TRUE(wait_for_status(h, is_seeding));
  s.leecher.stop();
  std::lock_guard lock(mine.mu);
  ASSERT_FALSE(mine.all.empty());
  for (const auto& e : mine.all) {
    std::visit([&](const auto& x) { EXPECT_EQ(x.info_hash, s.t.ti->info_hash()); }, e);
  }
}

}  // namespace
}  // namespace tessera
