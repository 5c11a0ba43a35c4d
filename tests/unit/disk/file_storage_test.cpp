// Tests of the files-on-disk storage: byte-range mapping, padding, lazy creation, errors, and
// the defences that keep files inside the download directory.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <thread>

#include "core/torrent_info_builder.hpp"
#include "disk/storage.hpp"
#include "disk_test_util.hpp"

namespace tessera::detail {
namespace {

namespace fs = std::filesystem;
using test::file_spec;
using test::temp_dir;

// Piece 0 = t/a [0,10) + padding [10,16) + t/b [16,32); piece 1 = t/b + t/c; piece 2 = 2 bytes of
// t/c.
const std::vector<file_spec> three_files = {
    {"t/a", 10}, {"t/.pad/6", 6, true}, {"t/b", 20}, {"t/c", 30}};

class FileStorage : public ::testing::Test {
 protected:
  temp_dir dir;
  std::vector<std::uint8_t> content;
  std::shared_ptr<torrent_info> ti = test::make_torrent(three_files, 32, content);
  std::shared_ptr<storage> st = make_file_storage(ti, dir.path / "dl");

  void write_piece(int p, std::vector<std::uint8_t> data = {}) {
    if (data.empty()) data = test::piece_bytes(*ti, content, p);
    auto r = st->write(p * ti->piece_length(), data);
    ASSERT_TRUE(r) << r.error().message();
  }
};

int open_fd_count() {
  int n = 0;
  for ([[maybe_unused]] auto& e : fs::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

TEST_F(FileStorage, PieceSpanningThreeFilesIsSplitAndPaddingIsNeverCreated) {
  ASSERT_EQ(ti->num_pieces(), 3);
  auto data = test::piece_bytes(*ti, content, 0);
  std::fill(data.begin() + 10, data.begin() + 16, 0xEE);  // whatever is at padding is dropped
  write_piece(0, data);
  EXPECT_EQ(test::read_file(dir.path / "dl/t/a"),
            std::vector<std::uint8_t>(content.begin(), content.begin() + 10));
  EXPECT_EQ(test::read_file(dir.path / "dl/t/b"),
            std::vector<std::uint8_t>(content.begin() + 16, content.begin() + 32));
  EXPECT_FALSE(fs::exists(dir.path / "dl/t/.pad"));

  std::vector<std::uint8_t> back(32, 0xAA);
  auto n = st->read(0, back);
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 32u);
  EXPECT_EQ(back, test::piece_bytes(*ti, content, 0));  // padding read back as zeros
}

TEST_F(FileStorage, AllPiecesReadBackAndFilesHaveTheirFinalSize) {
  for (int p = ti->num_pieces() - 1; p >= 0; --p) write_piece(p);
  EXPECT_EQ(fs::file_size(dir.path / "dl/t/a"), 10u);
  EXPECT_EQ(fs::file_size(dir.path / "dl/t/b"), 20u);
  EXPECT_EQ(fs::file_size(dir.path / "dl/t/c"), 30u);
  std::vector<std::uint8_t> back(content.size());
  auto n = st->read(0, back);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, content.size());
  EXPECT_EQ(back, content);
  // An unaligned read across a file boundary.
  std::vector<std::uint8_t> mid(10);
  ASSERT_EQ(*st->read(30, mid), 10u);
  EXPECT_EQ(mid, std::vector<std::uint8_t>(content.begin() + 30, content.begin() + 40));
}

TEST_F(FileStorage, FileNeverWrittenIsNotCreated) {
  write_piece(2);
  EXPECT_TRUE(fs::exists(dir.path / "dl/t/c"));
  EXPECT_FALSE(fs::exists(dir.path / "dl/t/a"));
  EXPECT_FALSE(fs::exists(dir.path / "dl/t/b"));
  EXPECT_EQ(fs::file_size(dir.path / "dl/t/c"), 30u);  // its last bytes are in piece 2
}

TEST_F(FileStorage, ReadOfMissingFileIsAShortCountNotAnError) {
  std::vector<std::uint8_t> buf(66);
  auto n = st->read(0, buf);
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 0u);
  write_piece(0);  // t/b now holds 16 of its 20 bytes, t/c is missing
  n = st->read(0, buf);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 32u);
  n = st->read(40, std::span(buf.data(), 10));  // entirely inside missing t/c
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);
}

TEST_F(FileStorage, OnDiskSizesReportMissingShortAndPaddingFiles) {
  write_piece(0);
  auto sizes = st->on_disk_sizes();
  EXPECT_EQ(sizes, (std::vector<std::int64_t>{10, 6, 16, -1}));
}

// Issue 9, item 9: only writes create directories. A read (the check, a peer's request), the
// sizes the check starts with, or a flush must not bring back a download directory that is gone.
TEST_F(FileStorage, ReadsSizesAndFlushesCreateNoDirectory) {
  std::vector<std::uint8_t> buf(66);
  auto n = st->read(0, buf);
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 0u);
  EXPECT_EQ(st->on_disk_sizes(), (std::vector<std::int64_t>{-1, 6, -1, -1}));
  EXPECT_TRUE(st->flush());
  EXPECT_FALSE(fs::exists(dir.path / "dl"));
  write_piece(0);  // a write does create it
  EXPECT_TRUE(fs::is_regular_file(dir.path / "dl/t/a"));
}

TEST_F(FileStorage, RangesOutsideTheTorrentAreRefused) {
  std::vector<std::uint8_t> buf(8);
  EXPECT_FALSE(st->write(60, buf));  // 60 + 8 > 66
  EXPECT_FALSE(st->write(-1, buf));
  EXPECT_FALSE(st->read(-1, buf));
  auto n = st->read(62, buf);  // reading past the end is just short
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);
}

TEST(FileStorageLayout, ZeroLengthFileIsCreatedWhenAWriteReachesIt) {
  temp_dir dir;
  std::vector<std::uint8_t> content;
  auto ti =
      test::make_torrent({{"t/a", 8}, {"t/empty", 0}, {"t/b", 8}, {"t/never", 0}}, 8, content);
  ti = std::make_shared<tessera::torrent_info>(tessera::detail::edited(*ti, [&](auto& tb) {
    tb.files.push_back({"t/z", 8, 16});
    tb.files.back().offset = 16;  // t/never (offset 16) sits between piece 1 and t/z
    tb.total_size = 24;
    tb.piece_hashes.resize(3);  // piece 2 (t/z) is never checked here
  }));
  auto st = make_file_storage(ti, dir.path);
  ASSERT_TRUE(st->write(0, std::span(content.data(), 8)));
  EXPECT_TRUE(fs::exists(dir.path / "t/empty"));
  EXPECT_EQ(fs::file_size(dir.path / "t/empty"), 0u);
  EXPECT_FALSE(fs::exists(dir.path / "t/never"));
  EXPECT_FALSE(fs::exists(dir.path / "t/b"));
}

TEST(FileStorageInit, CreatesMissingNestedSavePath) {
  temp_dir dir;
  std::vector<std::uint8_t> content;
  auto st = make_file_storage(test::make_torrent(three_files, 32, content), dir.path / "x/y/z");
  auto r = st->initialize();
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(fs::is_directory(dir.path / "x/y/z"));
  EXPECT_TRUE(fs::is_empty(dir.path / "x/y/z"));  // no file created before a write
}

TEST(FileStorageInit, SavePathUnderARegularFileGivesAClearError) {
  temp_dir dir;
  std::ofstream(dir.path / "file.txt") << "x";
  std::vector<std::uint8_t> content;
  auto ti = test::make_torrent(three_files, 32, content);
  auto bad = dir.path / "file.txt" / "sub";
  auto st = make_file_storage(ti, bad);
  auto r = st->initialize();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().op, storage_error::operation::mkdir);
  EXPECT_EQ(r.error().ec, std::errc::not_a_directory);
  EXPECT_EQ(r.error().message(), "mkdir " + bad.string() + ": Not a directory");
  // A write without initialize() reports the same problem instead of writing anywhere else.
  auto w = st->write(0, std::span(content.data(), 32));
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().op, storage_error::operation::mkdir);
}

TEST(FileStorageInit, SavePathThatIsAFileIsNotADirectory) {
  temp_dir dir;
  std::ofstream(dir.path / "file.txt") << "x";
  std::vector<std::uint8_t> content;
  auto st = make_file_storage(test::make_torrent(three_files, 32, content), dir.path / "file.txt");
  auto r = st->initialize();
  ASSERT_FALSE(r);
  EXPECT_FALSE(r.error().message().empty());
  EXPECT_NE(r.error().message().find((dir.path / "file.txt").string()), std::string::npos);
}

TEST(FileStorageInit, ParentDirectoryBlockedByAFileIsAMkdirError) {
  temp_dir dir;
  std::vector<std::uint8_t> content;
  auto ti = test::make_torrent(three_files, 32, content);
  auto st = make_file_storage(ti, dir.path);
  std::ofstream(dir.path / "t") << "a file where the folder should be";
  auto w = st->write(0, std::span(content.data(), 32));
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().ec, std::errc::not_a_directory);
  EXPECT_EQ(w.error().path, (dir.path / "t/a").string());
}

// --- defence in depth: nothing is written outside save_path --------------------------------

TEST(FileStorageEscape, DotDotComponentIsRefused) {
  temp_dir dir;
  std::vector<std::uint8_t> content;
  auto ti = test::make_torrent({{"t/../../escaped", 16}}, 16, content);
  auto st = make_file_storage(ti, dir.path / "dl");
  auto r = st->initialize();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().ec, std::errc::invalid_argument);
  EXPECT_EQ(r.error().op, storage_error::operation::open);
  EXPECT_FALSE(st->write(0, content));
  std::vector<std::uint8_t> buf(16);
  EXPECT_FALSE(st->read(0, buf));
  EXPECT_FALSE(fs::exists(dir.path / "escaped"));
  EXPECT_FALSE(fs::exists(dir.path.parent_path() / "escaped"));
}

TEST(FileStorageEscape, AbsoluteAndEmptyComponentPathsAreRefused) {
  temp_dir dir;
  for (std::string path :
       {(dir.path / "abs").string(), std::string("t//x"), std::string("t/./x"), std::string("")}) {
    std::vector<std::uint8_t> content;
    auto ti = test::make_torrent({{path, 16}}, 16, content);
    auto st = make_file_storage(ti, dir.path / "dl");
    auto w = st->write(0, content);
    ASSERT_FALSE(w) << path;
    EXPECT_EQ(w.error().ec, std::errc::invalid_argument) << path;
  }
  EXPECT_FALSE(fs::exists(dir.path / "abs"));
}

TEST(FileStorageEscape, SymlinkPointingOutsideIsNotFollowed) {
  temp_dir dir;
  fs::create_directories(dir.path / "dl");
  fs::create_directories(dir.path / "outside");
  std::ofstream(dir.path / "outside/secret") << "secret!!";
  fs::create_directory_symlink(dir.path / "outside", dir.path / "dl/t");
  std::vector<std::uint8_t> content;
  auto ti = test::make_torrent({{"t/x", 8}, {"t/secret", 8}}, 8, content);
  auto st = make_file_storage(ti, dir.path / "dl");
  ASSERT_TRUE(st->initialize());

  auto w = st->write(0, std::span(content.data(), 8));
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().ec, storage_errc::symlinked_directory);
  EXPECT_EQ(w.error().message(), "write " + (dir.path / "dl/t/x").string() +
                                     ": lies under a symbolic link to a directory (never followed)");
  EXPECT_FALSE(fs::exists(dir.path / "outside/x"));

  std::vector<std::uint8_t> buf(8);
  auto r = st->read(8, buf);
  EXPECT_TRUE(!r || *r == 0);  // never the bytes of outside/secret
  EXPECT_NE(buf, std::vector<std::uint8_t>({'s', 'e', 'c', 'r', 'e', 't', '!', '!'}));
}

TEST(FileStorageEscape, FifoInTheDownloadDirectoryIsRefusedWithoutBlocking) {
  temp_dir dir;
  fs::create_directories(dir.path / "t");
  ASSERT_EQ(::mkfifo((dir.path / "t/a").c_str(), 0644), 0);
  std::vector<std::uint8_t> content;
  auto ti = test::make_torrent({{"t/a", 8}}, 8, content);
  auto st = make_file_storage(ti, dir.path);
  std::vector<std::uint8_t> buf(8);
  auto r = st->read(0, buf);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().ec, std::errc::invalid_argument);
  EXPECT_FALSE(st->write(0, content));
}

// --- errors and concurrency ------------------------------------------------------------------

// Disk full: a 64 KiB tmpfs in a private mount namespace of a child process. Needs
// CAP_SYS_ADMIN (the tests run as root); skipped where mounting is not allowed.
TEST(FileStorageErrors, DiskFullIsAWriteErrorWithTheFilePath) {
  temp_dir dir;
  std::vector<std::uint8_t> content;
  auto ti = test::make_torrent({{"big", 256 * 1024}}, 256 * 1024, content);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::unshare(CLONE_NEWNS) != 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount("tmpfs", dir.path.c_str(), "tmpfs", 0, "size=64k") != 0)
      ::_exit(77);
    auto st = make_file_storage(ti, dir.path);
    auto w = st->write(0, content);
    if (w) ::_exit(1);
    if (w.error().op != storage_error::operation::write) ::_exit(2);
    if (w.error().ec != std::errc::no_space_on_device) ::_exit(3);
    if (w.error().message() != "write " + (dir.path / "big").string() + ": No space left on device")
      ::_exit(4);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 77) GTEST_SKIP() << "cannot mount a tmpfs here";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: no error, 2: wrong op, 3: wrong errno, 4: wrong message";
}

TEST(FileStorageCache, OpenDescriptorsStayWithinTheBound) {
  temp_dir dir;
  std::vector<file_spec> files;
  for (int i = 0; i < 12; ++i) files.push_back({"t/f" + std::to_string(i), 100});
  std::vector<std::uint8_t> content;
  auto ti = test::make_torrent(files, 100, content);
  auto st = make_file_storage(ti, dir.path, 3);
  ASSERT_TRUE(st->initialize());
  int before = open_fd_count();
  for (int p = 0; p < ti->num_pieces(); ++p)
    ASSERT_TRUE(st->write(p * 100, std::span(content.data() + p * 100, 100)));
  EXPECT_LE(open_fd_count() - before, 3);
  std::vector<std::uint8_t> back(content.size());
  ASSERT_EQ(*st->read(0, back), content.size());
  EXPECT_EQ(back, content);
  st->close_all();
  EXPECT_EQ(open_fd_count(), before);
  ASSERT_TRUE(st->write(0, std::span(content.data(), 100)));  // reopens after close_all
}

TEST(FileStorageCache, ConcurrentWritersAndReadersWithATinyCache) {
  temp_dir dir;
  std::vector<file_spec> files;
  for (int i = 0; i < 16; ++i) files.push_back({"t/f" + std::to_string(i), 1000 + i});
  std::vector<std::uint8_t> content;
  auto ti = test::make_torrent(files, 512, content);
  auto st = make_file_storage(ti, dir.path, 2);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int p = t; p < ti->num_pieces(); p += 4) {
        auto data = test::piece_bytes(*ti, content, p);
        if (!st->write(p * 512, data)) ++failures;
        std::vector<std::uint8_t> back(data.size());
        auto n = st->read(p * 512, back);
        if (!n || *n != data.size() || back != data) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  std::vector<std::uint8_t> back(content.size());
  ASSERT_EQ(*st->read(0, back), content.size());
  EXPECT_EQ(back, content);
}

// --- flush, and files deleted under the storage ----------------------------------------------

TEST_F(FileStorage, FlushWritesBackEveryFileWrittenSinceTheLastFlush) {
  for (int p = 0; p < 3; ++p) write_piece(p);
  const fs::path dl = dir.path / "dl";
  for (const char* f : {"t/a", "t/b", "t/c"}) {
    long d = test::dirty_kib(dl / f);
    if (d <= 0) GTEST_SKIP() << "dirty page-cache pages cannot be observed here (" << f << ")";
  }
  auto r = st->flush();
  ASSERT_TRUE(r) << r.error().message();
  for (const char* f : {"t/a", "t/b", "t/c"}) EXPECT_EQ(test::dirty_kib(dl / f), 0) << f;
}

TEST_F(FileStorage, FlushWithNothingWrittenCreatesNothing) {
  ASSERT_TRUE(st->initialize());
  ASSERT_TRUE(st->flush());
  EXPECT_TRUE(fs::is_empty(dir.path / "dl"));
}

TEST_F(FileStorage, FlushOfAWrittenFileThatWasDeletedIsAFlushError) {
  write_piece(0);
  ASSERT_TRUE(st->flush());
  write_piece(1);  // t/b and t/c
  fs::remove(dir.path / "dl/t/c");
  auto r = st->flush();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().op, storage_error::operation::flush);
  EXPECT_EQ(r.error().ec, std::errc::no_such_file_or_directory);
  EXPECT_EQ(r.error().message(),
            "flush " + (dir.path / "dl/t/c").string() + ": No such file or directory");
  st->close_all();  // and with the descriptor gone too
  EXPECT_EQ(st->flush().error().op, storage_error::operation::flush);
}

TEST_F(FileStorage, WriteToAFileDeletedWhileOpenFailsAndDoesNotRecreateIt) {
  write_piece(0);  // t/a and t/b open now
  fs::remove(dir.path / "dl/t/b");
  auto r = st->write(ti->piece_length(), test::piece_bytes(*ti, content, 1));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().op, storage_error::operation::write);
  EXPECT_EQ(r.error().ec, std::errc::no_such_file_or_directory);
  EXPECT_EQ(r.error().path, (dir.path / "dl/t/b").string());
  EXPECT_FALSE(fs::exists(dir.path / "dl/t/b"));
}

TEST_F(FileStorage, WritesAfterTheDownloadDirectoryIsRemovedFailAndRecreateNothing) {
  write_piece(0);
  fs::remove_all(dir.path / "dl");
  // t/b was open: the write finds it unlinked.
  auto open_file = st->write(ti->piece_length(), test::piece_bytes(*ti, content, 1));
  ASSERT_FALSE(open_file);
  EXPECT_EQ(open_file.error().ec, std::errc::no_such_file_or_directory);
  EXPECT_EQ(open_file.error().path, (dir.path / "dl/t/b").string());
  // t/c was never opened: creating it inside the removed directory fails.
  auto new_file = st->write(2 * ti->piece_length(), test::piece_bytes(*ti, content, 2));
  ASSERT_FALSE(new_file);
  EXPECT_EQ(new_file.error().ec, std::errc::no_such_file_or_directory);
  EXPECT_EQ(new_file.error().path, (dir.path / "dl/t/c").string());
  EXPECT_FALSE(fs::exists(dir.path / "dl"));
}

TEST(StorageError, MessageNamesOperationPathAndReason) {
  storage_error e{std::make_error_code(std::errc::permission_denied),
                  storage_error::operation::mkdir, "/x"};
  EXPECT_EQ(e.message(), "mkdir /x: Permission denied");
  e.path.clear();
  e.op = storage_error::operation::read;
  EXPECT_EQ(e.message(), "read: Permission denied");
  e.op = storage_error::operation::flush;
  EXPECT_EQ(e.message(), "flush: Permission denied");
}

}  // namespace
}  // namespace tessera::detail
