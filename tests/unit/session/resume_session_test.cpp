// Resume data end to end: written by one session, used by the next one with the same state_dir.
// The start-up check trusts claimed pieces whose files kept their size, mtime, inode and ctime,
// re-hashes files that changed, survives a corrupt resume file, and brings a magnet's metadata back.
#include <fcntl.h>
#include <sys/stat.h>

#include <fstream>
#include <mutex>

#include <gtest/gtest.h>

#include "session_test_support.hpp"

namespace tessera {
namespace {

using namespace test;
using namespace std::chrono_literals;

bool is_seeding(const torrent_status& s) { return s.state == torrent_state::seeding; }

/// Runs a session on 127.0.0.3 with `state_dir`, adds `t` at `dir` (peers optional), and
/// returns the pieces its start-up check reported present (-1 when no check ended in 20 s).
int checked_pieces(const test_torrent& t, const std::filesystem::path& dir, const std::filesystem::path& state_dir,
                   std::vector<std::string> peers = {}, bool wait_seeding = false) {
  auto settings = loopback_settings("127.0.0.3");
  settings.state_dir = state_dir.string();
  session ses(settings);
  std::mutex mu;
  int present = -1;
  ses.set_event_handler([&](const event& e) {
    if (auto* c = std::get_if<events::torrent_checked>(&e)) {
      std::lock_guard lock(mu);
      present = c->pieces_present;
    }
  });
  auto h = add_test_torrent(ses, t, dir, std::move(peers));
  // The caller checks `present` (-1 when no check ended in time), not the status.
  (void)wait_for_status(h, [&](const torrent_status& s) {
    std::lock_guard lock(mu);
    return present >= 0 && (!wait_seeding || is_seeding(s));
  }, 20s);
  ses.stop();
  std::lock_guard lock(mu);
  return present;
}

/// Flips one byte of `file` at `offset`, keeping its mtime (a change the stamps cannot see).
void corrupt_keeping_mtime(const std::filesystem::path& file, std::int64_t offset) {
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(offset);
    char c = 0;
    f.get(c);
    f.seekp(offset);
    f.put(static_cast<char>(c ^ 0x5a));
  }
  const struct timespec times[2] = {st.st_atim, st.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, file.c_str(), times, 0), 0);
}

/// Waits until the file system's clock (which stamps ctimes, in ticks of a few ms) has moved
/// past `file`'s ctime, so that the next change to it gets another ctime.
void wait_for_ctime_tick(const std::filesystem::path& file) {
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  const auto tick = file.parent_path() / ".tick";
  for (;;) {
    std::ofstream(tick) << 'x';
    struct stat ts {};
    ASSERT_EQ(::stat(tick.c_str(), &ts), 0);
    if (ts.st_ctim.tv_sec != st.st_ctim.tv_sec || ts.st_ctim.tv_nsec != st.st_ctim.tv_nsec) break;
  }
  std::filesystem::remove(tick);
}

struct seeded {
  test_torrent t = make_real_torrent(81, 32 * 1024, 400000, 200000);
  temp_dir seed_dir, dir, state;
  session seeder{loopback_settings("127.0.0.2")};
  seeded() {
    write_payload(t, seed_dir.path);
    EXPECT_TRUE(wait_for_status(add_test_torrent(seeder, t, seed_dir.path), is_seeding));
  }
  std::vector<std::string> peers() const { return {endpoint_of("127.0.0.2", seeder.listen_port())}; }
};

TEST(ResumeSession, ClaimedPiecesOfUnchangedFilesAreTrusted) {
  seeded s;
  const int n = s.t.ti->num_pieces();
  EXPECT_EQ(checked_pieces(s.t, s.dir.path, s.state.path, s.peers(), true), 0);
  ASSERT_TRUE(std::filesystem::exists(s.state.path / (s.t.ti->info_hash().to_hex() + ".resume")));
  EXPECT_EQ(checked_pieces(s.t, s.dir.path, s.state.path), n);
}

// Issue 9, item 11: a byte changed in place with the mtime put back used to pass for unchanged
// (size and mtime matched); the ctime, which cannot be put back, now tells.
TEST(ResumeSession, AByteChangedBehindOurBackKeepingTheMtimeIsFound) {
  seeded s;
  const int n = s.t.ti->num_pieces();
  EXPECT_EQ(checked_pieces(s.t, s.dir.path, s.state.path, s.peers(), true), 0);
  wait_for_ctime_tick(s.dir.path / "multi/a.bin");
  corrupt_keeping_mtime(s.dir.path / "multi/a.bin", 1000);
  EXPECT_EQ(checked_pieces(s.t, s.dir.path, s.state.path), n - 1);
}

// Issue 9, item 11: another file of the same size given the same mtime (touch -r) in its place.
TEST(ResumeSession, AFileReplacedByAnotherOfTheSameSizeAndMtimeIsHashed) {
  seeded s;
  const int n = s.t.ti->num_pieces();
  EXPECT_EQ(checked_pieces(s.t, s.dir.path, s.state.path, s.peers(), true), 0);
  const auto a = s.dir.path / "multi/a.bin";
  const auto other = s.dir.path / "multi/a.bin.other";
  std::filesystem::copy_file(a, other);
  corrupt_keeping_mtime(other, 1000);  // one byte differs
  struct stat st {};
  ASSERT_EQ(::stat(a.c_str(), &st), 0);
  const struct timespec times[2] = {st.st_atim, st.st_mtim};  // touch -r a.bin a.bin.other
  ASSERT_EQ(::utimensat(AT_FDCWD, other.c_str(), times, 0), 0);
  std::filesystem::rename(other, a);
  EXPECT_EQ(checked_pieces(s.t, s.dir.path, s.state.path), n - 1);
}

TEST(ResumeSession, AFileWhoseStampChangedIsHashedAgain) {
  seeded s;
  const int n = s.t.ti->num_pieces();
  EXPECT_EQ(checked_pieces(s.t, s.dir.path, s.state.path, s.peers(), true), 0);
  {
    std::fstream f(s.dir.path / "multi/c.dat", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put(static_cast<char>(s.t.payload[s.t.ti->files()[2].offset + 100] ^ 0x33));
  }
  // The write changed the mtime: c.dat's pieces are re-verified and the damaged one is missing.
  EXPECT_EQ(checked_pieces(s.t, s.dir.path, s.state.path), n - 1);
}

TEST(ResumeSession, ACorruptResumeFileMeansAFullCheckNotACrash) {
  seeded s;
  const int n = s.t.ti->num_pieces();
  EXPECT_EQ(checked_pieces(s.t, s.dir.path, s.state.path, s.peers(), true), 0);
  const auto rf = s.state.path / (s.t.ti->info_hash().to_hex() + ".resume");
  for (std::string junk : {std::string("d8:file-format"), std::string(5000, '\xff'), std::string()}) {
    { std::ofstream(rf, std::ios::binary | std::ios::trunc) << junk; }
    corrupt_keeping_mtime(s.dir.path / "multi/a.bin", 2000);
    EXPECT_EQ(checked_pieces(s.t, s.dir.path, s.state.path), n - 1) << "junk of " << junk.size() << " bytes";
    corrupt_keeping_mtime(s.dir.path / "multi/a.bin", 2000);  // undo
  }
}

TEST(ResumeSession, AMagnetComesBackWithItsMetadataFromTheResumeFile) {
  seeded s;
  EXPECT_EQ(checked_pieces(s.t, s.dir.path, s.state.path, s.peers(), true), 0);
  // Next run: only the info-hash, no peer at all.
  auto settings = loopback_settings("127.0.0.3");
  settings.state_dir = s.state.path.string();
  session ses(settings);
  add_torrent_params p;
  p.info_hash = s.t.ti->info_hash();
  p.save_path = s.dir.path;
  auto h = ses.add_torrent(p);
  ASSERT_TRUE(h);
  auto st = wait_for_status(*h, is_seeding, 10s);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->state, torrent_state::seeding);
  EXPECT_EQ(st->name, "multi");
}

TEST(ResumeSession, ResumeDataForAnotherDirectoryIsIgnored) {
  seeded s;
  EXPECT_EQ(checked_pieces(s.t, s.dir.path, s.state.path, s.peers(), true), 0);
  temp_dir other;
  std::filesystem::create_directories(other.path);
  EXPECT_EQ(checked_pieces(s.t, other.path, s.state.path), 0) << "the pieces are in another directory";
}

}  // namespace
}  // namespace tessera
