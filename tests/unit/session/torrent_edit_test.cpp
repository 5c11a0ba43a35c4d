// Edits of a torrent at run time through the public API: replacing its tracker list, renaming
// its files and folders.
// Sessions on 127.0.0.x, no DHT, no LSD; trackers are fake_tracker on loopback.
#include <atomic>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "core/torrent_info_builder.hpp"
#include "session_test_support.hpp"

namespace tessera {
namespace {

using namespace test;
using namespace std::chrono_literals;

bool has_request(fake_tracker& tr, const std::string& what) {
  for (const auto& r : tr.requests()) {
    if (r.find(what) != std::string::npos) return true;
  }
  return false;
}

std::vector<std::string> urls_of(const torrent_handle& h) {
  std::vector<std::string> out;
  if (auto trs = h.trackers()) {
    for (const auto& t : *trs) out.push_back(t.url + "@" + std::to_string(t.tier));
  }
  return out;
}

TEST(TrackerUrl, AcceptsHttpHttpsUdpWithAHostOnly) {
  EXPECT_TRUE(is_valid_tracker_url("http://t.example/announce"));
  EXPECT_TRUE(is_valid_tracker_url("HTTPS://t.example:443/a?passkey=x"));
  EXPECT_TRUE(is_valid_tracker_url("udp://10.0.0.1:6969"));
  EXPECT_TRUE(is_valid_tracker_url("http://user@t.example/announce"));
  EXPECT_FALSE(is_valid_tracker_url(""));
  EXPECT_FALSE(is_valid_tracker_url("ftp://t.example/announce"));
  EXPECT_FALSE(is_valid_tracker_url("http:///announce"));
  EXPECT_FALSE(is_valid_tracker_url("http://:80/announce"));
  EXPECT_FALSE(is_valid_tracker_url("http://t.example/an nounce"));
  EXPECT_FALSE(is_valid_tracker_url("udp://t.example\n"));
  EXPECT_FALSE(is_valid_tracker_url("t.example/announce"));
  EXPECT_FALSE(is_valid_tracker_url("http://" + std::string(3000, 'a')));
}

TEST(ReplaceTrackers, AnnouncesStartedToTheNewListAndStoppedToTheOld) {
  auto t = make_torrent(71);
  fake_seeder seeder(t, "127.0.0.5");
  fake_tracker old_tracker({seeder.local_endpoint()});
  fake_tracker new_tracker({seeder.local_endpoint()});
  auto ti = std::make_shared<torrent_info>(*t.ti);
  ti = std::make_shared<tessera::torrent_info>(tessera::detail::edited(*ti, [&](auto& tb) {
    tb.trackers = {{old_tracker.url()}};
  }));
  temp_dir dir;
  session ses(loopback_settings("127.0.0.1"));
  add_torrent_params p;
  p.ti = ti;
  p.save_path = dir.path;
  auto h = add_checked(ses, p);
  ASSERT_TRUE(eventually([&] { return has_request(old_tracker, "event=started"); }, 10s));

  ASSERT_TRUE(h.replace_trackers({{new_tracker.url()}, {}, {"udp://127.0.0.1:9", new_tracker.url()}}));
  // Empty tiers and repeated URLs are dropped.
  EXPECT_EQ(urls_of(h), (std::vector<std::string>{new_tracker.url() + "@0", "udp://127.0.0.1:9@1"}));
  EXPECT_TRUE(eventually([&] { return has_request(new_tracker, "event=started"); }, 10s));
  EXPECT_TRUE(eventually([&] { return has_request(old_tracker, "event=stopped"); }, 10s));
  // The download goes on with peers from the new tracker.
  auto s = wait_for_status(h, is_settled);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, torrent_state::seeding) << s->error;
}

TEST(ReplaceTrackers, RefusesAnInvalidUrlAndChangesNothing) {
  auto t = make_torrent(72);
  temp_dir dir;
  session ses(loopback_settings("127.0.0.1"));
  auto ti = std::make_shared<torrent_info>(*t.ti);
  ti = std::make_shared<tessera::torrent_info>(tessera::detail::edited(*ti, [&](auto& tb) {
    tb.trackers = {{"http://127.0.0.1:1/announce"}};
  }));
  add_torrent_params p;
  p.ti = ti;
  p.save_path = dir.path;
  p.paused = true;
  auto h = add_checked(ses, p);
  auto r = h.replace_trackers({{"http://127.0.0.1:2/announce"}, {"ftp://127.0.0.1/x"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::make_error_code(std::errc::invalid_argument));
  EXPECT_EQ(urls_of(h), (std::vector<std::string>{"http://127.0.0.1:1/announce@0"}));
  // A paused torrent takes the new list without announcing; resume announces to it.
  fake_tracker tracker({});
  ASSERT_TRUE(h.replace_trackers({{tracker.url()}}));
  EXPECT_TRUE(h.replace_trackers({}));
  EXPECT_TRUE(urls_of(h).empty());
  ASSERT_TRUE(h.replace_trackers({{tracker.url()}}));
  ASSERT_TRUE(wait_for_status(h, [](const torrent_status& s) { return s.state != torrent_state::checking; }));
  EXPECT_TRUE(tracker.requests().empty());
  ASSERT_TRUE(h.resume());
  EXPECT_TRUE(eventually([&] { return has_request(tracker, "event=started"); }, 10s));
}

TEST(ReplaceTrackers, FailsOnAGoneTorrent) {
  torrent_handle none;
  auto r = none.replace_trackers({{"http://127.0.0.1:1/announce"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::make_error_code(std::errc::no_such_process));
}

}  // namespace
}  // namespace tessera

namespace tessera {
namespace {

using namespace test;
using namespace std::chrono_literals;

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(RenameTorrentPath, RenamesFilesFoldersAndTheNameInTheInfo) {
  auto t = make_torrent(73, default_piece_length, 100000, 300000, true);  // with a padding file
  torrent_info ti = *t.ti;
  // Each rename makes a new torrent_info; the one it was made from is unchanged.
  auto rename = [&](std::string_view path, std::string_view name) {
    const std::string before = ti.files()[1].path;
    auto r = rename_torrent_path(ti, path, name);
    EXPECT_EQ(ti.files()[1].path, before);
    if (r) ti = std::move(*r);
    return r.has_value();
  };
  ASSERT_TRUE(rename("multi/sub/b.txt", "b2.txt"));
  EXPECT_EQ(ti.files()[1].path, "multi/sub/b2.txt");
  ASSERT_TRUE(rename("multi/sub/", "dir"));
  EXPECT_EQ(ti.files()[1].path, "multi/dir/b2.txt");
  EXPECT_NE(ti.file_tree().find("multi/dir/b2.txt"), folder_tree::no_node);
  EXPECT_EQ(ti.file_tree().find("multi/sub"), folder_tree::no_node);
  ASSERT_TRUE(rename("multi", "top"));
  EXPECT_EQ(ti.name(), "top");
  for (const auto& f : ti.files()) EXPECT_EQ(f.path.rfind("top/", 0), 0u) << f.path;  // padding too
  EXPECT_EQ(ti.info_hash(), t.ti->info_hash());
  const auto same = rename_torrent_path(ti, "top", "top");  // no change
  ASSERT_TRUE(same);
  EXPECT_EQ(same->files()[1].path, ti.files()[1].path);
  EXPECT_EQ(same->name(), "top");
  auto err = [&](std::string_view path, std::string_view name) {
    auto r = rename_torrent_path(ti, path, name);
    return r ? std::error_code() : r.error();
  };
  EXPECT_EQ(err("top/a.bin", "x/y"), std::errc::invalid_argument);
  EXPECT_EQ(err("top/a.bin", ".."), std::errc::invalid_argument);
  EXPECT_EQ(err("top/a.bin", "."), std::errc::invalid_argument);
  EXPECT_EQ(err("top/a.bin", ""), std::errc::invalid_argument);
  EXPECT_EQ(err("top/a.bin", std::string(300, 'n')), std::errc::invalid_argument);
  EXPECT_EQ(err("", "x"), std::errc::invalid_argument);
  EXPECT_EQ(err("top/nothing", "x"), std::errc::no_such_file_or_directory);
  EXPECT_EQ(err("to", "x"), std::errc::no_such_file_or_directory);  // a prefix, not a folder
  EXPECT_EQ(err("top/a.bin", "c.dat"), std::errc::file_exists);
  EXPECT_EQ(err("top/c.dat", "dir"), std::errc::file_exists);  // a folder of the torrent is there
}

struct rename_fixture {
  test_torrent t = make_torrent(74);
  temp_dir dir;
  session ses{loopback_settings("127.0.0.1")};
  torrent_handle h;
  rename_fixture() {
    write_payload(t, dir.path);
    h = add_test_torrent(ses, t, dir.path);
    EXPECT_TRUE(wait_for_status(h, [](const torrent_status& s) { return s.state == torrent_state::seeding; }));
  }
  std::string payload(const file_entry& f) const {
    return {reinterpret_cast<const char*>(t.payload.data() + f.offset), static_cast<std::size_t>(f.size)};
  }
};

TEST(RenamePath, RenamesAFileAndTheTopFolderOnDiskAndKeepsServingThem) {
  rename_fixture f;
  ASSERT_TRUE(f.h.rename_path("multi/sub/b.txt", "renamed.txt"));
  EXPECT_FALSE(std::filesystem::exists(f.dir.path / "multi/sub/b.txt"));
  EXPECT_EQ(read_all(f.dir.path / "multi/sub/renamed.txt"), f.payload(f.t.ti->files()[1]));
  ASSERT_TRUE(f.h.rename_path("multi", "top"));
  EXPECT_FALSE(std::filesystem::exists(f.dir.path / "multi"));
  EXPECT_EQ(read_all(f.dir.path / "top/a.bin"), f.payload(f.t.ti->files()[0]));
  auto files = f.h.files();
  ASSERT_TRUE(files);
  EXPECT_EQ((*files)[1].path, "top/sub/renamed.txt");
  auto s = f.h.status();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->name, "top");
  EXPECT_EQ(s->state, torrent_state::seeding);
  // A recheck reads the renamed files: every piece still verifies.
  ASSERT_TRUE(f.h.force_recheck());
  s = wait_for_status(f.h, [](const torrent_status& x) { return x.state == torrent_state::seeding && x.total_done > 0; });
  ASSERT_TRUE(s);
  EXPECT_EQ(s->total_done, f.t.ti->total_size());
  // A leecher downloads from the renamed files.
  temp_dir leech_dir;
  session leecher(loopback_settings("127.0.0.2"));
  auto lh = add_test_torrent(leecher, f.t, leech_dir.path, {endpoint_of("127.0.0.1", f.ses.listen_port())});
  ASSERT_TRUE(wait_for_status(lh, is_settled));
  EXPECT_EQ(lh.status()->state, torrent_state::seeding);
}

TEST(RenamePath, RefusesBadNamesCollisionsAndMissingPathsWithoutTouchingTheDisk) {
  rename_fixture f;
  auto code = [&](const std::string& path, const std::string& name) {
    auto r = f.h.rename_path(path, name);
    return r ? std::error_code() : r.error();
  };
  EXPECT_EQ(code("multi/a.bin", "../escape"), std::errc::invalid_argument);
  EXPECT_EQ(code("multi/a.bin", ".."), std::errc::invalid_argument);
  EXPECT_EQ(code("multi/none", "x"), std::errc::no_such_file_or_directory);
  EXPECT_EQ(code("multi/a.bin", "c.dat"), std::errc::file_exists);
  // Something that is not the torrent's at the new name on disk: not replaced.
  { std::ofstream(f.dir.path / "multi/other.bin") << "mine"; }
  EXPECT_EQ(code("multi/a.bin", "other.bin"), make_error_code(storage_errc::target_exists));
  EXPECT_EQ(read_all(f.dir.path / "multi/other.bin"), "mine");
  EXPECT_EQ(read_all(f.dir.path / "multi/a.bin"), f.payload(f.t.ti->files()[0]));
  auto files = f.h.files();
  ASSERT_TRUE(files);
  EXPECT_EQ((*files)[0].path, "multi/a.bin");
  EXPECT_TRUE(std::filesystem::exists(f.dir.path / "multi/sub/b.txt"));
  EXPECT_EQ(f.h.status()->state, torrent_state::seeding);
}

TEST(RenamePath, RenamesBeforeTheFilesExistAndDownloadsUnderTheNewNames) {
  auto t = make_torrent(75);
  fake_seeder seeder(t, "127.0.0.5");
  temp_dir dir;
  session ses(loopback_settings("127.0.0.1"));
  std::atomic<bool> checked{false};  // a paused torrent's status hides its check: wait for the event
  ses.set_event_handler([&](const event& e) {
    if (std::holds_alternative<events::torrent_checked>(e)) checked = true;
  });
  add_torrent_params p;
  p.ti = t.ti;
  p.save_path = dir.path;
  p.paused = true;
  auto h = add_checked(ses, p);
  ASSERT_TRUE(eventually([&] { return checked.load(); }, 10s));
  ASSERT_TRUE(h.rename_path("multi", "fresh"));
  ASSERT_TRUE(h.resume());
  ASSERT_TRUE(h.connect_peer(endpoint_of("127.0.0.5", seeder.local_endpoint().port())));
  auto s = wait_for_status(h, is_settled);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, torrent_state::seeding) << s->error;
  EXPECT_FALSE(std::filesystem::exists(dir.path / "multi"));
  EXPECT_EQ(std::filesystem::file_size(dir.path / "fresh/c.dat"), static_cast<std::uintmax_t>(t.ti->files()[2].size));
}

TEST(RenamePath, ARenameDuringTheCheckWaitsForIt) {
  auto t = make_torrent(76, default_piece_length, 4 << 20, 4 << 20);  // 8 MiB to check
  temp_dir dir;
  write_payload(t, dir.path);
  session ses(loopback_settings("127.0.0.1"));
  auto h = add_test_torrent(ses, t, dir.path);
  ASSERT_TRUE(h.rename_path("multi", "after"));  // the check has just begun, or is over
  EXPECT_TRUE(std::filesystem::is_directory(dir.path / "after"));
  auto s = wait_for_status(h, [](const torrent_status& x) { return x.state == torrent_state::seeding; });
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, torrent_state::seeding) << s->error;
  EXPECT_EQ(s->total_done, t.ti->total_size());
}

}  // namespace
}  // namespace tessera
