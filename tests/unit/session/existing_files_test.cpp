// Files that were there before (issue 9, item 8), end to end: a torrent whose download directory
// already holds a file at one of its paths that is not its own stops with an error naming it
// before writing a byte; overwriting is allowed per torrent or per session; files of an earlier
// partial download resume; remove-with-data deletes only the torrent's own files; the resume
// data remembers which files are the torrent's own. Sessions on 127.0.0.x, DHT and LSD off.
#include <sys/stat.h>

#include <fstream>
#include <mutex>

#include "session_test_support.hpp"
#include "tessera/storage.hpp"

namespace tessera {
namespace {

using namespace test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void put(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << bytes;
}

timespec mtime_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st.st_mtim;
}

bool same_time(timespec a, timespec b) { return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec; }

bool is_seeding(const torrent_status& s) { return s.state == torrent_state::seeding; }

/// A seeding session on 127.0.0.2 with `t` complete.
struct seed_session {
  temp_dir dir;
  session ses{loopback_settings("127.0.0.2")};
  explicit seed_session(const test_torrent& t) {
    write_payload(t, dir.path);
    auto h = add_test_torrent(ses, t, dir.path);
    EXPECT_TRUE(wait_for_status(h, is_seeding));
  }
  std::string endpoint() const { return endpoint_of("127.0.0.2", ses.listen_port()); }
};

add_torrent_params params_for(const test_torrent& t, const fs::path& dir, std::vector<std::string> peers = {}) {
  add_torrent_params p;
  p.ti = t.ti;
  p.save_path = dir;
  p.peers = std::move(peers);
  return p;
}

void expect_payload(const test_torrent& t, const fs::path& dir) {
  for (const auto& f : t.ti->files()) {
    if (f.pad) continue;
    EXPECT_EQ(slurp(dir / f.path),
              std::string(t.payload.begin() + f.offset, t.payload.begin() + f.offset + f.size))
        << f.path;
  }
}

TEST(ExistingFiles, AnUnrelatedFileAtATorrentPathStopsTheTorrentBeforeAnyWrite) {
  test_torrent t = make_torrent(91);
  temp_dir dir;
  put(dir.path / "multi/c.dat", "export PATH=$HOME/bin:$PATH\n");
  const auto before = mtime_of(dir.path / "multi/c.dat");
  session ses(loopback_settings("127.0.0.3"));
  std::mutex mu;
  std::string error_event;
  ses.set_event_handler([&](const event& e) {
    if (auto* err = std::get_if<events::torrent_error>(&e)) {
      std::lock_guard lock(mu);
      error_event = err->message;
    }
  });
  auto h = add_checked(ses, params_for(t, dir.path));
  auto st = wait_for_status(h, [](const torrent_status& s) { return s.state == torrent_state::error; }, 10s);
  ASSERT_TRUE(st);
  ASSERT_EQ(st->state, torrent_state::error) << "state " << to_string(st->state);
  const std::string expected = "write " + (dir.path / "multi/c.dat").string() +
                               ": exists and is not part of this download (no piece of it verifies)";
  EXPECT_EQ(st->error, expected);
  ses.stop();
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(error_event, expected);
  }
  EXPECT_EQ(slurp(dir.path / "multi/c.dat"), "export PATH=$HOME/bin:$PATH\n");
  EXPECT_TRUE(same_time(mtime_of(dir.path / "multi/c.dat"), before));
  EXPECT_FALSE(fs::exists(dir.path / "multi/a.bin")) << "nothing was written";
}

TEST(ExistingFiles, WithOverwritingAllowedTheDownloadReplacesTheFile) {
  test_torrent t = make_torrent(92);
  seed_session seeder(t);
  for (bool per_session : {false, true}) {
    temp_dir dir;
    put(dir.path / "multi/c.dat", std::string(1000, 'u'));
    auto settings = loopback_settings("127.0.0.3");
    settings.overwrite_existing_files = per_session;
    session ses(settings);
    auto p = params_for(t, dir.path, {seeder.endpoint()});
    if (!per_session) p.overwrite_existing_files = true;
    auto h = add_checked(ses, std::move(p));
    auto st = wait_for_status(h, is_settled);
    ASSERT_TRUE(st);
    EXPECT_EQ(st->state, torrent_state::seeding) << st->error;
    ses.stop();
    expect_payload(t, dir.path);
  }
}

TEST(ExistingFiles, AnExplicitFalseWinsOverTheSessionSetting) {
  test_torrent t = make_torrent(93);
  temp_dir dir;
  put(dir.path / "multi/a.bin", "mine");
  auto settings = loopback_settings("127.0.0.3");
  settings.overwrite_existing_files = true;
  session ses(settings);
  auto p = params_for(t, dir.path);
  p.overwrite_existing_files = false;
  auto st = wait_for_status(add_checked(ses, std::move(p)),
                            [](const torrent_status& s) { return s.state == torrent_state::error; }, 10s);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->state, torrent_state::error);
  ses.stop();
  EXPECT_EQ(slurp(dir.path / "multi/a.bin"), "mine");
}

TEST(ExistingFiles, FilesOfAnEarlierPartialDownloadResume) {
  test_torrent t = make_torrent(94, 32 * 1024, 200000, 300000);
  seed_session seeder(t);
  temp_dir dir;
  // a.bin complete, c.dat with its first 100000 bytes (a few whole pieces) and a torn tail.
  write_payload(t, dir.path);
  const auto& c = t.ti->files()[2];
  fs::resize_file(dir.path / c.path, 100000);
  fs::remove(dir.path / "multi/sub/b.txt");
  session ses(loopback_settings("127.0.0.3"));
  auto h = add_checked(ses, params_for(t, dir.path, {seeder.endpoint()}));
  auto st = wait_for_status(h, is_settled);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->state, torrent_state::seeding) << st->error;
  ses.stop();
  expect_payload(t, dir.path);
}

TEST(ExistingFiles, RemoveWithDataDeletesOnlyTheTorrentsOwnFiles) {
  test_torrent t = make_torrent(95);
  seed_session seeder(t);
  temp_dir dir;
  put(dir.path / "multi/sub/b.txt", "the user's own b.txt");  // b.txt is skipped: not an error
  session ses(loopback_settings("127.0.0.3"));
  auto p = params_for(t, dir.path, {seeder.endpoint()});
  p.file_priorities = {file_priority::normal, file_priority::skip, file_priority::normal};
  auto h = add_checked(ses, std::move(p));
  auto st = wait_for_status(h, [](const torrent_status& s) {
    return s.is_finished || s.state == torrent_state::error;
  });
  ASSERT_TRUE(st);
  ASSERT_TRUE(st->is_finished) << st->error;
  ASSERT_TRUE(fs::exists(dir.path / "multi/a.bin"));
  {
    auto removed = remove_and_wait(ses, h, remove_flags::delete_data);
    ASSERT_TRUE(removed) << removed.error().message();
    EXPECT_TRUE(*removed) << "the files were deleted";
  }
  EXPECT_FALSE(fs::exists(dir.path / "multi/a.bin"));
  EXPECT_FALSE(fs::exists(dir.path / "multi/c.dat"));
  EXPECT_EQ(slurp(dir.path / "multi/sub/b.txt"), "the user's own b.txt");
}

TEST(ExistingFiles, RemoveWithDataDeletesFilesAdoptedByTheCheck) {
  test_torrent t = make_torrent(96);
  temp_dir dir;
  write_payload(t, dir.path);  // all of it verifies: every file is the torrent's
  session ses(loopback_settings("127.0.0.3"));
  auto h = add_checked(ses, params_for(t, dir.path));
  ASSERT_TRUE(wait_for_status(h, is_seeding));
  {
    auto removed = remove_and_wait(ses, h, remove_flags::delete_data);
    ASSERT_TRUE(removed) << removed.error().message();
    EXPECT_TRUE(*removed) << "the files were deleted";
  }
  EXPECT_FALSE(fs::exists(dir.path / "multi"));
}

TEST(ExistingFiles, TheResumeDataRemembersTheTorrentsOwnFiles) {
  test_torrent t = make_torrent(97);
  seed_session seeder(t);
  temp_dir dir, state;
  auto settings = loopback_settings("127.0.0.3");
  settings.state_dir = state.path.string();
  {
    session ses(settings);
    ASSERT_TRUE(wait_for_status(add_checked(ses, params_for(t, dir.path, {seeder.endpoint()})), is_seeding));
    ses.stop();
  }
  // c.dat gets damaged throughout: none of its pieces verifies any more, but it is ours.
  put(dir.path / "multi/c.dat", std::string(300000, 'x'));
  {
    session ses(settings);
    auto st = wait_for_status(add_checked(ses, params_for(t, dir.path, {seeder.endpoint()})), is_settled);
    ASSERT_TRUE(st);
    EXPECT_EQ(st->state, torrent_state::seeding) << st->error;
    ses.stop();
  }
  expect_payload(t, dir.path);
  // Without the record (no state_dir) the same file would be someone else's.
  put(dir.path / "multi/c.dat", std::string(300000, 'x'));
  session ses(loopback_settings("127.0.0.3"));
  auto st = wait_for_status(add_checked(ses, params_for(t, dir.path)),
                            [](const torrent_status& s) { return s.state == torrent_state::error; }, 10s);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->state, torrent_state::error);
}

TEST(ExistingFiles, MoveStorageMovesOnlyTheTorrentsFilesAndReplacesNothingAtTheTarget) {
  test_torrent t = make_torrent(100);
  seed_session seeder(t);
  temp_dir dir, target;
  put(dir.path / "multi/sub/b.txt", "the user's own b.txt");  // skipped: not the torrent's
  put(target.path / "multi/c.dat", "already at the target");
  session ses(loopback_settings("127.0.0.3"));
  std::mutex mu;
  std::vector<std::string> moves;  // storage_moved errors, in order
  ses.set_event_handler([&](const event& e) {
    if (auto* m = std::get_if<events::storage_moved>(&e)) {
      std::lock_guard lock(mu);
      moves.push_back(m->error);
    }
  });
  auto p = params_for(t, dir.path, {seeder.endpoint()});
  p.file_priorities = {file_priority::normal, file_priority::skip, file_priority::normal};
  auto h = add_checked(ses, std::move(p));
  ASSERT_TRUE(wait_for_status(h, [](const torrent_status& s) { return s.is_finished; }));
  auto moved = [&](std::size_t n) {
    return eventually([&] {
      std::lock_guard lock(mu);
      return moves.size() >= n;
    }, 10s);
  };
  ASSERT_TRUE(h.move_storage(target.path));
  ASSERT_TRUE(moved(1));
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(moves[0], "rename " + (target.path / "multi/c.dat").string() +
                            ": already exists at the new place (not replaced)");
  }
  EXPECT_EQ(slurp(target.path / "multi/c.dat"), "already at the target");
  EXPECT_TRUE(fs::exists(dir.path / "multi/a.bin")) << "nothing moved";
  fs::remove(target.path / "multi/c.dat");
  ASSERT_TRUE(h.move_storage(target.path));
  ASSERT_TRUE(moved(2));
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(moves[1], "");
  }
  EXPECT_TRUE(fs::exists(target.path / "multi/a.bin"));
  EXPECT_TRUE(fs::exists(target.path / "multi/c.dat"));
  EXPECT_FALSE(fs::exists(target.path / "multi/sub/b.txt"));
  EXPECT_EQ(slurp(dir.path / "multi/sub/b.txt"), "the user's own b.txt");
  // Still the torrent's own in their new place: remove-with-data deletes them.
  {
    auto removed = remove_and_wait(ses, h, remove_flags::delete_data);
    ASSERT_TRUE(removed) << removed.error().message();
    EXPECT_TRUE(*removed) << "the files were deleted";
  }
  EXPECT_FALSE(fs::exists(target.path / "multi/a.bin"));
  EXPECT_FALSE(fs::exists(target.path / "multi/c.dat"));
}

TEST(ExistingFiles, ASymlinkAtATorrentPathIsRefusedOrReplacedButNeverFollowed) {
  test_torrent t = make_torrent(98);
  seed_session seeder(t);
  temp_dir dir, outside;
  put(outside.path / "target", "outside the download");
  const auto before = mtime_of(outside.path / "target");
  fs::create_directories(dir.path / "multi");
  fs::create_symlink(outside.path / "target", dir.path / "multi/a.bin");
  {
    session ses(loopback_settings("127.0.0.3"));
    auto st = wait_for_status(add_checked(ses, params_for(t, dir.path, {seeder.endpoint()})),
                              [](const torrent_status& s) { return s.state == torrent_state::error; }, 10s);
    ASSERT_TRUE(st);
    ASSERT_EQ(st->state, torrent_state::error);
    EXPECT_EQ(st->error, "write " + (dir.path / "multi/a.bin").string() + ": is a symbolic link (never followed)");
  }
  EXPECT_TRUE(fs::is_symlink(dir.path / "multi/a.bin"));
  {
    session ses(loopback_settings("127.0.0.3"));
    auto p = params_for(t, dir.path, {seeder.endpoint()});
    p.overwrite_existing_files = true;
    auto st = wait_for_status(add_checked(ses, std::move(p)), is_settled);
    ASSERT_TRUE(st);
    EXPECT_EQ(st->state, torrent_state::seeding) << st->error;
  }
  EXPECT_FALSE(fs::is_symlink(dir.path / "multi/a.bin"));
  expect_payload(t, dir.path);
  EXPECT_EQ(slurp(outside.path / "target"), "outside the download");
  EXPECT_TRUE(same_time(mtime_of(outside.path / "target"), before));
}

TEST(ExistingFiles, AHardLinkedFileIsRefusedEvenWithOverwritingAllowed) {
  test_torrent t = make_torrent(99);
  temp_dir dir, library;
  put(library.path / "copy", std::string(300000, 'l'));
  fs::create_directories(dir.path / "multi");
  fs::create_hard_link(library.path / "copy", dir.path / "multi/c.dat");
  session ses(loopback_settings("127.0.0.3"));
  auto p = params_for(t, dir.path);
  p.overwrite_existing_files = true;
  auto st = wait_for_status(add_checked(ses, std::move(p)),
                            [](const torrent_status& s) { return s.state == torrent_state::error; }, 10s);
  ASSERT_TRUE(st);
  ASSERT_EQ(st->state, torrent_state::error);
  EXPECT_EQ(st->error, "write " + (dir.path / "multi/c.dat").string() +
                           ": has other hard links (writing would change them too)");
  ses.stop();
  EXPECT_EQ(slurp(library.path / "copy"), std::string(300000, 'l'));
}

}  // namespace
}  // namespace tessera
