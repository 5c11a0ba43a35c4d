// check_files (tessera/check.hpp): which pieces and files of a torrent's data verify.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>

#include "disk_test_util.hpp"
#include "tessera/check.hpp"

namespace tessera {
namespace {

using detail::test::file_spec;
using detail::test::make_torrent;
using detail::test::temp_dir;

// Writes every non-padding file of `ti` under `dir` with its bytes of `content`.
void write_files(const torrent_info& ti, const std::vector<std::uint8_t>& content,
                 const std::filesystem::path& dir) {
  for (const auto& f : ti.files()) {
    if (f.pad) continue;
    const auto p = dir / f.path;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary);
    out.write(reinterpret_cast<const char*>(content.data() + f.offset), f.size);
  }
}

void flip_byte(const std::filesystem::path& p, std::int64_t at) {
  std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(at);
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x5a);
  f.seekp(at);
  f.write(&c, 1);
}

check_options small_reads(int threads) {
  check_options o;
  o.threads = threads;
  o.read_bytes = 64 * 1024;  // several reads per run, runs of several pieces
  return o;
}

// Three files, 16 KiB pieces, pieces spanning files.
struct three_files {
  std::vector<std::uint8_t> content;
  std::shared_ptr<torrent_info> ti = make_torrent(
      {{"t/a.bin", 50'000}, {"t/sub/b.bin", 70'001}, {"t/c.bin", 30'000}}, 16 * 1024, content);
  temp_dir dir;
  three_files() { write_files(*ti, content, dir.path); }
};

TEST(CheckFiles, CompleteDataVerifiesEveryPieceAndFile) {
  three_files t;
  for (int threads : {1, 2, 4}) {
    auto r = check_files(*t.ti, t.dir.path, small_reads(threads));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_TRUE(r->complete());
    EXPECT_EQ(r->pieces_verified, t.ti->num_pieces());
    EXPECT_EQ(r->bytes_verified, t.ti->total_size());
    ASSERT_EQ(r->files.size(), 3u);
    for (const auto& f : r->files) {
      EXPECT_EQ(f.state, file_check_state::complete) << f.path;
      EXPECT_EQ(f.bytes_verified, f.size);
      EXPECT_EQ(f.on_disk, f.size);
      EXPECT_EQ(f.pieces_verified, f.pieces_total);
    }
    // a.bin: bytes 0..49,999 -> pieces 0..3; b.bin: 50,000..120,000 -> pieces 3..7.
    EXPECT_EQ(r->files[0].pieces_total, 4);
    EXPECT_EQ(r->files[1].pieces_total, 5);
  }
}

TEST(CheckFiles, DefaultOptionsReadWholeRunsInOneGo) {
  three_files t;
  auto r = check_files(*t.ti, t.dir.path);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->complete());
  EXPECT_GE(r->threads, 1);
}

TEST(CheckFiles, OneCorruptByteFailsExactlyItsPieceAndFile) {
  three_files t;
  // Byte 40,000 of b.bin is stream byte 90,000: piece 5 (81,920..98,303), inside b.bin only.
  flip_byte(t.dir.path / "t/sub/b.bin", 40'000);
  auto r = check_files(*t.ti, t.dir.path, small_reads(2));
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->complete());
  EXPECT_EQ(r->pieces_verified, t.ti->num_pieces() - 1);
  for (int p = 0; p < t.ti->num_pieces(); ++p) EXPECT_EQ(r->verified[p], p != 5) << p;
  EXPECT_EQ(r->files[0].state, file_check_state::complete);
  EXPECT_EQ(r->files[1].state, file_check_state::incomplete);
  EXPECT_EQ(r->files[1].pieces_verified, 4);
  EXPECT_EQ(r->files[1].bytes_verified, 70'001 - 16 * 1024);
  EXPECT_EQ(r->files[2].state, file_check_state::complete);
}

TEST(CheckFiles, ACorruptByteInASharedPieceFailsBothFiles) {
  three_files t;
  flip_byte(t.dir.path / "t/a.bin", 49'999);  // piece 3 holds the end of a.bin and start of b.bin
  auto r = check_files(*t.ti, t.dir.path, small_reads(1));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->pieces_verified, t.ti->num_pieces() - 1);
  EXPECT_FALSE(r->verified[3]);
  EXPECT_EQ(r->files[0].state, file_check_state::incomplete);
  EXPECT_EQ(r->files[1].state, file_check_state::incomplete);
  EXPECT_EQ(r->files[0].bytes_verified, 3 * 16 * 1024);
  EXPECT_EQ(r->files[2].state, file_check_state::complete);
}

TEST(CheckFiles, MissingFileFailsItsPiecesAndIsNamedMissing) {
  three_files t;
  std::filesystem::remove(t.dir.path / "t/sub/b.bin");
  auto r = check_files(*t.ti, t.dir.path, small_reads(2));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->files[1].state, file_check_state::missing);
  EXPECT_EQ(r->files[1].on_disk, -1);
  EXPECT_EQ(r->files[1].pieces_verified, 0);
  // Pieces 3..7 touch b.bin; the rest verify, including those after the gap.
  for (int p = 0; p < t.ti->num_pieces(); ++p) EXPECT_EQ(r->verified[p], p < 3 || p > 7) << p;
  EXPECT_EQ(r->files[0].state, file_check_state::incomplete);  // its last piece is shared
  EXPECT_EQ(r->files[2].state, file_check_state::incomplete);  // its first piece is shared
  EXPECT_EQ(r->files[2].pieces_verified, r->files[2].pieces_total - 1);
}

TEST(CheckFiles, ShortFileFailsThePiecesPastItsEnd) {
  three_files t;
  std::filesystem::resize_file(t.dir.path / "t/sub/b.bin", 20'000);  // stream 50,000..69,999
  auto r = check_files(*t.ti, t.dir.path, small_reads(2));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->files[1].state, file_check_state::short_file);
  EXPECT_EQ(r->files[1].on_disk, 20'000);
  // Piece 3 (49,152..65,535) is whole; piece 4 (65,536..) stops in the gap.
  EXPECT_TRUE(r->verified[3]);
  for (int p = 4; p <= 7; ++p) EXPECT_FALSE(r->verified[p]) << p;
  EXPECT_TRUE(r->verified[8]);
  EXPECT_EQ(r->files[1].pieces_verified, 1);
}

TEST(CheckFiles, LongerFileStillVerifiesItsBytes) {
  three_files t;
  {
    std::ofstream out(t.dir.path / "t/c.bin", std::ios::binary | std::ios::app);
    out << "extra";
  }
  auto r = check_files(*t.ti, t.dir.path, small_reads(1));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->complete());
  EXPECT_EQ(r->files[2].on_disk, 30'000);
}

TEST(CheckFiles, PaddingFilesAreZerosAndNeverRead) {
  std::vector<std::uint8_t> content;
  auto ti = make_torrent({{"t/a.bin", 20'000},
                          {"t/.pad/12768", 12'768, true},
                          {"t/b.bin", 40'000}},
                         16 * 1024, content);
  temp_dir dir;
  write_files(*ti, content, dir.path);
  // A file planted at the padding path is not read (it would fail piece 1 otherwise).
  std::filesystem::create_directories(dir.path / "t/.pad");
  { std::ofstream(dir.path / "t/.pad/12768") << "not zeros"; }
  auto r = check_files(*ti, dir.path, small_reads(2));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->complete());
  EXPECT_EQ(r->files[1].state, file_check_state::padding);
  EXPECT_EQ(r->files[2].state, file_check_state::complete);
}

TEST(CheckFiles, SymlinkAtAFilePathIsMissingNotFollowed) {
  three_files t;
  const auto c = t.dir.path / "t/c.bin";
  temp_dir elsewhere;
  std::filesystem::rename(c, elsewhere.path / "c.bin");
  std::filesystem::create_symlink(elsewhere.path / "c.bin", c);
  auto r = check_files(*t.ti, t.dir.path, small_reads(1));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->files[2].state, file_check_state::missing);
  EXPECT_EQ(r->files[2].pieces_verified, 0);
}

TEST(CheckFiles, UnreadableFileIsNamedWithItsError) {
  three_files t;
  // Something that is not a regular file at a file's path (root reads every mode).
  const auto c = t.dir.path / "t/c.bin";
  std::filesystem::remove(c);
  ASSERT_EQ(::mkfifo(c.c_str(), 0644), 0);
  auto r = check_files(*t.ti, t.dir.path, small_reads(1));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->files[2].state, file_check_state::unreadable);
  EXPECT_NE(r->files[2].error.find("c.bin"), std::string::npos) << r->files[2].error;
  EXPECT_EQ(r->files[2].pieces_verified, 0);
  EXPECT_EQ(r->files[1].state, file_check_state::incomplete);  // shares c.bin's first piece
  if (::geteuid() == 0) return;  // root reads files whatever their mode
  std::filesystem::remove(c);
  { std::ofstream(c) << "x"; }
  ::chmod(c.c_str(), 0);
  r = check_files(*t.ti, t.dir.path, small_reads(1));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->files[2].state, file_check_state::unreadable);
}

TEST(CheckFiles, WritesNothingIntoTheDirectory) {
  three_files t;
  std::filesystem::remove_all(t.dir.path / "t/sub");
  auto count = [&] {
    int n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::recursive_directory_iterator(t.dir.path)) ++n;
    return n;
  };
  const int before = count();
  auto r = check_files(*t.ti, t.dir.path, small_reads(2));
  ASSERT_TRUE(r);
  EXPECT_EQ(count(), before);
  EXPECT_FALSE(std::filesystem::exists(t.dir.path / "t/sub"));
}

TEST(CheckFiles, MissingDirectoryIsAnError) {
  three_files t;
  auto r = check_files(*t.ti, t.dir.path / "nope");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::no_such_file_or_directory);
  auto f = check_files(*t.ti, t.dir.path / "t/a.bin");
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error(), std::errc::not_a_directory);
}

TEST(CheckFiles, ProgressReachesTheTotalInSerialisedCalls) {
  three_files t;
  std::atomic<int> inside{0};
  int calls = 0;
  check_progress last;
  bool overlapped = false;
  auto o = small_reads(4);
  o.read_bytes = 16 * 1024;  // one piece per run: many calls
  o.progress = [&](const check_progress& p) {
    if (inside.fetch_add(1) != 0) overlapped = true;
    ++calls;
    last = p;
    inside.fetch_sub(1);
  };
  auto r = check_files(*t.ti, t.dir.path, o);
  ASSERT_TRUE(r);
  EXPECT_FALSE(overlapped);
  EXPECT_EQ(calls, t.ti->num_pieces());
  EXPECT_EQ(last.pieces_done, t.ti->num_pieces());
  EXPECT_EQ(last.bytes_done, t.ti->total_size());
}

TEST(CheckFiles, CancellationStopsTheCheck) {
  three_files t;
  std::stop_source stop;
  auto o = small_reads(2);
  o.read_bytes = 16 * 1024;
  int calls = 0;
  o.progress = [&](const check_progress&) {
    if (++calls == 2) stop.request_stop();
  };
  o.stop = stop.get_token();
  auto r = check_files(*t.ti, t.dir.path, o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::operation_canceled);
  EXPECT_LT(calls, t.ti->num_pieces());

  std::stop_source before;
  before.request_stop();
  o.progress = nullptr;
  o.stop = before.get_token();
  auto r2 = check_files(*t.ti, t.dir.path, o);
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error(), std::errc::operation_canceled);
}

// Pieces four times the read size: each is read in four reads and hashed as they arrive.
TEST(CheckFiles, PiecesLargerThanAReadAreHashedAcrossReads) {
  std::vector<std::uint8_t> content;
  auto ti = make_torrent({{"t/a.bin", 100'000}, {"t/b.bin", 100'000}}, 64 * 1024, content);
  temp_dir dir;
  write_files(*ti, content, dir.path);
  check_options o;
  o.threads = 2;
  o.read_bytes = 16 * 1024;
  auto r = check_files(*ti, dir.path, o);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->complete());
  flip_byte(dir.path / "t/b.bin", 70'000);  // stream byte 170,000: piece 2 (131,072..196,607)
  std::filesystem::resize_file(dir.path / "t/a.bin", 70'000);  // piece 1 (65,536..) stops short
  r = check_files(*ti, dir.path, o);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->verified, (std::vector<bool>{true, false, false, true}));
  EXPECT_EQ(r->files[0].state, file_check_state::short_file);
  EXPECT_EQ(r->files[1].state, file_check_state::incomplete);
}

TEST(CheckFiles, EmptyFileIsCompleteWhenPresent) {
  std::vector<std::uint8_t> content;
  auto ti = make_torrent({{"t/a.bin", 20'000}, {"t/empty", 0}, {"t/b.bin", 100}}, 16 * 1024, content);
  temp_dir dir;
  write_files(*ti, content, dir.path);
  auto r = check_files(*ti, dir.path, small_reads(1));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->files[1].state, file_check_state::complete);
  EXPECT_EQ(r->files[1].pieces_total, 0);
  std::filesystem::remove(dir.path / "t/empty");
  r = check_files(*ti, dir.path, small_reads(1));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->pieces_verified, r->pieces_total);  // no piece holds its bytes
  EXPECT_FALSE(r->complete());
  EXPECT_EQ(r->files[1].state, file_check_state::missing);
}

}  // namespace
}  // namespace tessera
