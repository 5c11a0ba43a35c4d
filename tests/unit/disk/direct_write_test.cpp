// Tests of the page-cache-bypassing writes: bytes land exactly (unaligned heads, tails, sources),
// the aligned middle really skips the page cache, and small writes stay buffered.
#include "disk/direct_write.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <numeric>

#include "disk/storage.hpp"
#include "disk_test_util.hpp"

namespace tessera::detail {
namespace {

namespace fs = std::filesystem;
using test::file_spec;
using test::temp_dir;

struct fd_guard {
  int fd;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

// Pages of [0, size) of the file at `fd` that are in the page cache.
int resident_pages(int fd, std::size_t size, std::size_t first_page, std::size_t pages) {
  void* m = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) return -1;
  std::vector<unsigned char> v((size + 4095) / 4096);
  int n = -1;
  if (::mincore(m, size, v.data()) == 0)
    n = static_cast<int>(std::count_if(v.begin() + first_page, v.begin() + first_page + pages,
                                       [](unsigned char c) { return c & 1; }));
  ::munmap(m, size);
  return n;
}

class DirectWrite : public ::testing::Test {
 protected:
  temp_dir dir;
  fs::path path = dir.path / "f";
  fd_guard fd{::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)};
  fd_guard dfd{::open(path.c_str(), O_RDWR | O_DIRECT | O_CLOEXEC)};
  std::atomic<bool> enabled{true};

  void SetUp() override {
    ASSERT_GE(fd.fd, 0);
    if (dfd.fd < 0) GTEST_SKIP() << "the file system under " << dir.path << " refuses O_DIRECT";
  }
};

TEST_F(DirectWrite, UnalignedOffsetAndSourceLandExactly) {
  auto content = test::make_content(3 * 1024 * 1024 + 12345, 5);
  // Written in three unaligned ranges (head, middle, tail each non-empty) from an odd address.
  std::vector<std::uint8_t> src(content.size() + 1);
  std::copy(content.begin(), content.end(), src.begin() + 1);
  const std::int64_t cuts[] = {0, 1000, 2 * 1024 * 1024 + 77, static_cast<std::int64_t>(content.size())};
  for (int i = 2; i >= 0; --i) {
    auto e = write_maybe_direct(fd.fd, dfd.fd, src.data() + 1 + cuts[i], cuts[i + 1] - cuts[i],
                                cuts[i], enabled);
    ASSERT_FALSE(e) << e.message();
  }
  EXPECT_TRUE(enabled.load());
  EXPECT_EQ(test::read_file(path), content);
}

TEST_F(DirectWrite, AlignedMiddleBypassesThePageCacheAndEdgesDoNot) {
  const std::size_t size = 1024 * 1024;
  std::vector<std::uint8_t> data(size + 200);
  std::iota(data.begin(), data.end(), 0);
  // [100, size + 300): head [100, 4096) and tail [size, size + 300) buffered, the rest direct.
  ASSERT_FALSE(write_maybe_direct(fd.fd, dfd.fd, data.data(), data.size(), 100, enabled));
  const std::size_t file_size = size + 300;
  EXPECT_EQ(resident_pages(fd.fd, file_size, 1, size / 4096 - 1), 0);
  EXPECT_EQ(resident_pages(fd.fd, file_size, 0, 1), 1);
  EXPECT_EQ(resident_pages(fd.fd, file_size, size / 4096, 1), 1);
  auto back = test::read_file(path);
  ASSERT_EQ(back.size(), file_size);
  EXPECT_TRUE(std::equal(data.begin(), data.end(), back.begin() + 100));
}

TEST_F(DirectWrite, SmallWriteGoesThroughThePageCache) {
  std::vector<std::uint8_t> data(direct_io_min_length - 1, 7);
  ASSERT_FALSE(write_maybe_direct(fd.fd, dfd.fd, data.data(), data.size(), 0, enabled));
  EXPECT_EQ(resident_pages(fd.fd, data.size(), 0, data.size() / 4096), static_cast<int>(data.size() / 4096));
}

TEST_F(DirectWrite, DisabledFlagMeansBuffered) {
  enabled = false;
  std::vector<std::uint8_t> data(1024 * 1024, 9);
  ASSERT_FALSE(write_maybe_direct(fd.fd, dfd.fd, data.data(), data.size(), 0, enabled));
  EXPECT_EQ(resident_pages(fd.fd, data.size(), 0, 256), 256);
}

// The storage with large pieces over files whose boundaries fall anywhere: every write mixes
// buffered edges and direct middles, in any order, and reads back exactly.
TEST(FileStorageDirect, LargeUnalignedFilesReadBackExactly) {
  temp_dir dir;
  const std::vector<file_spec> files = {
      {"t/a", 70001}, {"t/b", 300000}, {"t/c", 5}, {"t/d", 1000003}, {"t/e", 262144}};
  std::vector<std::uint8_t> content;
  auto ti = test::make_torrent(files, 256 * 1024, content);
  auto st = make_file_storage(ti, dir.path / "dl", 2);
  ASSERT_TRUE(st->initialize());
  for (int p : {3, 0, 6, 1, 5, 2, 4}) {
    if (p >= ti->num_pieces()) continue;
    auto bytes = test::piece_bytes(*ti, content, p);
    auto r = st->write(static_cast<std::int64_t>(p) * ti->piece_length(), bytes);
    ASSERT_TRUE(r) << r.error().message();
  }
  std::int64_t off = 0;
  for (const auto& f : files) {
    auto got = test::read_file(dir.path / "dl" / f.path);
    ASSERT_EQ(got.size(), static_cast<std::size_t>(f.size)) << f.path;
    EXPECT_TRUE(std::equal(got.begin(), got.end(), content.begin() + off)) << f.path;
    off += f.size;
  }
  std::vector<std::uint8_t> back(content.size());
  ASSERT_EQ(*st->read(0, back), content.size());
  EXPECT_EQ(back, content);
}

}  // namespace
}  // namespace tessera::detail
