// The session-wide pool of open files (fd_cache): least-recently-used eviction over every owner,
// reopening after eviction, descriptors in use never closed under their user, and file storages
// sharing one pool.
#include "disk/fd_cache.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "disk/storage.hpp"
#include "disk_test_util.hpp"

namespace tessera::detail {
namespace {

namespace fs = std::filesystem;
using test::file_spec;
using test::temp_dir;

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

int open_fd_count() {
  int n = 0;
  for ([[maybe_unused]] auto& e : fs::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

/// Descriptors of this process that name `dir` itself (a directory held open).
int fds_naming(const fs::path& dir) {
  int n = 0;
  std::error_code ec;
  const auto want = fs::canonical(dir, ec);
  for (auto& e : fs::directory_iterator("/proc/self/fd")) {
    auto target = fs::read_symlink(e.path(), ec);
    if (!ec && target == want) ++n;
  }
  return n;
}

/// A handle on a fresh descriptor (of /dev/null), as the pool holds them.
std::shared_ptr<file_handle> new_handle(bool writable = false) {
  int fd = ::open("/dev/null", writable ? O_RDWR : O_RDONLY);
  EXPECT_GE(fd, 0);
  return std::make_shared<file_handle>(fd, writable);
}

TEST(FdCache, EvictsTheLeastRecentlyUsedFileOfAnyOwner) {
  fd_cache pool(3);
  const auto a = pool.new_owner(), b = pool.new_owner();
  ASSERT_NE(a, b);
  pool.insert(a, 0, new_handle());
  pool.insert(b, 0, new_handle());  // same file index, another owner: another entry
  pool.insert(a, 1, new_handle());
  EXPECT_EQ(pool.size(), 3u);
  int b0 = -1;
  {
    auto h = pool.find(b, 0, false);
    ASSERT_NE(h, nullptr);
    b0 = h->fd();
  }
  // Using a's files makes b/0 the least recently used.
  ASSERT_NE(pool.find(a, 0, false), nullptr);
  ASSERT_NE(pool.find(a, 1, false), nullptr);
  pool.insert(b, 1, new_handle());
  EXPECT_EQ(pool.size(), 3u);
  EXPECT_EQ(pool.find(b, 0, false), nullptr) << "the least recently used went";
  EXPECT_FALSE(is_open(b0)) << "and its descriptor is closed (no user held it)";
  EXPECT_NE(pool.find(a, 0, false), nullptr);
  EXPECT_NE(pool.find(a, 1, false), nullptr);
  EXPECT_NE(pool.find(b, 1, false), nullptr);
  EXPECT_EQ(pool.size(a), 2u);
  EXPECT_EQ(pool.size(b), 1u);
}

TEST(FdCache, AReadOnlyDescriptorIsAMissForAWriterAndIsReplaced) {
  fd_cache pool(4);
  const auto a = pool.new_owner();
  pool.insert(a, 7, new_handle(false));
  EXPECT_NE(pool.find(a, 7, false), nullptr);
  EXPECT_EQ(pool.find(a, 7, true), nullptr);
  pool.insert(a, 7, new_handle(true));
  auto h = pool.find(a, 7, true);
  ASSERT_NE(h, nullptr);
  EXPECT_TRUE(h->writable());
  EXPECT_EQ(pool.size(), 1u);
}

TEST(FdCache, ADescriptorInUseIsNeverClosedUnderItsUser) {
  temp_dir dir;
  { std::ofstream(dir.path / "data") << "hello"; }
  fd_cache pool(1);
  const auto a = pool.new_owner(), b = pool.new_owner();
  int fd = ::open((dir.path / "data").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  pool.insert(a, 0, std::make_shared<file_handle>(fd, false));
  auto in_use = pool.find(a, 0, false);  // a disk job holds it
  ASSERT_NE(in_use, nullptr);
  pool.insert(b, 0, new_handle());  // evicts a/0 from the pool...
  EXPECT_EQ(pool.find(a, 0, false), nullptr);
  ASSERT_TRUE(is_open(fd)) << "...but its user still reads through it";
  char buf[5] = {};
  EXPECT_EQ(::pread(in_use->fd(), buf, 5, 0), 5);
  EXPECT_EQ(std::string(buf, 5), "hello");
  pool.erase_owner(a);  // also close_all of its storage: nothing to drop, nothing closed
  pool.clear();
  EXPECT_TRUE(is_open(fd));
  in_use.reset();  // the job ends: now it closes
  EXPECT_FALSE(is_open(fd));
}

TEST(FdCache, EraseOwnerDropsOnlyThatOwnersFilesAndShrinkingEvicts) {
  fd_cache pool(8);
  const auto a = pool.new_owner(), b = pool.new_owner();
  for (int f = 0; f < 3; ++f) pool.insert(a, f, new_handle());
  for (int f = 0; f < 3; ++f) pool.insert(b, f, new_handle());
  pool.erase_owner(a);
  EXPECT_EQ(pool.size(a), 0u);
  EXPECT_EQ(pool.size(b), 3u);
  pool.set_capacity(2);
  EXPECT_EQ(pool.capacity(), 2u);
  EXPECT_EQ(pool.size(), 2u);
  EXPECT_EQ(pool.find(b, 0, false), nullptr) << "the oldest went first";
  EXPECT_NE(pool.find(b, 2, false), nullptr);
}

TEST(FdCache, FileStoragesSharingAPoolKeepWithinItsBoundAndReopenEvictedFiles) {
  temp_dir dir;
  auto pool = std::make_shared<fd_cache>(2);
  struct one {
    std::vector<std::uint8_t> content;
    std::shared_ptr<torrent_info> ti;
    std::shared_ptr<storage> st;
  };
  std::vector<one> torrents(6);
  for (std::size_t i = 0; i < torrents.size(); ++i) {
    auto& t = torrents[i];
    t.content = test::make_content(300, static_cast<unsigned>(i + 1));
    t.ti = test::make_torrent({{"t" + std::to_string(i) + "/a", 100}, {"t" + std::to_string(i) + "/b", 200}}, 64,
                              t.content);
    t.st = make_file_storage(t.ti, dir.path / ("dl" + std::to_string(i)), pool);
    ASSERT_TRUE(t.st->initialize());
  }
  const int before = open_fd_count();
  // Interleaved writes and reads: every file is evicted and reopened many times.
  for (std::int64_t at = 0; at < 300; at += 64) {
    for (auto& t : torrents) {
      const auto n = std::min<std::int64_t>(64, 300 - at);
      auto w = t.st->write(at, std::span(t.content.data() + at, static_cast<std::size_t>(n)));
      ASSERT_TRUE(w) << w.error().message();
      EXPECT_LE(open_fd_count() - before, 2) << "never more files open than the pool's bound";
      EXPECT_LE(pool->size(), 2u);
    }
  }
  for (std::size_t i = 0; i < torrents.size(); ++i) {
    auto& t = torrents[i];
    std::vector<std::uint8_t> back(300);
    auto r = t.st->read(0, back);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(*r, 300u);
    EXPECT_EQ(back, t.content);
    EXPECT_EQ(fds_naming(dir.path / ("dl" + std::to_string(i))), 0) << "no download directory is held open";
  }
  torrents.clear();  // a storage's files leave the pool with it
  EXPECT_EQ(pool->size(), 0u);
  EXPECT_EQ(open_fd_count(), before);
}

TEST(FdCache, AFileDeletedAfterItsDescriptorWasEvictedIsNotRecreated) {
  temp_dir dir;
  auto pool = std::make_shared<fd_cache>(1);
  std::vector<std::uint8_t> content;
  auto ti = test::make_torrent({{"t/a", 100}, {"t/b", 100}}, 100, content);
  auto st = make_file_storage(ti, dir.path, pool);
  ASSERT_TRUE(st->initialize());
  ASSERT_TRUE(st->write(0, std::span(content.data(), 100)));  // t/a created
  ASSERT_TRUE(st->write(100, std::span(content.data() + 100, 100)));  // t/b evicts t/a
  fs::remove(dir.path / "t/a");
  auto again = st->write(0, std::span(content.data(), 100));
  ASSERT_FALSE(again) << "the verified piece there is gone: a silent re-create would hide it";
  EXPECT_EQ(again.error().ec, std::errc::no_such_file_or_directory);
  EXPECT_EQ(again.error().op, storage_error::operation::write);
  EXPECT_FALSE(fs::exists(dir.path / "t/a"));
  // The same for the whole download directory: never re-created after the first open.
  fs::remove_all(dir.path);
  auto gone = st->write(100, std::span(content.data() + 100, 100));
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().ec, std::errc::no_such_file_or_directory);
  EXPECT_FALSE(fs::exists(dir.path));
}

}  // namespace
}  // namespace tessera::detail
