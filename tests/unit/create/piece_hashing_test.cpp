#include "create/piece_hashing.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>

#include "create_test_util.hpp"
#include "tessera/hasher.hpp"

namespace tessera::detail {
namespace {

using test::create_temp_dir;
using test::test_bytes;
using test::write_file;

struct fixture {
  torrent_layout layout;
  std::vector<std::string> paths;
};

fixture one_file(const std::string& path, std::int64_t size, std::int64_t piece) {
  fixture f;
  f.paths = {path};
  f.layout = *make_layout({scanned_file{{"f"}, path, size, false}}, torrent_kind::hybrid, piece);
  return f;
}

result<hash_result, create_error> run(const fixture& f, int threads = 2) {
  hash_request req;
  req.layout = &f.layout;
  req.disk_paths = &f.paths;
  req.threads = threads;
  return hash_files(req);
}

TEST(HashFiles, ReadErrorNamesTheFile) {
  create_temp_dir dir;
  std::filesystem::create_directories(dir.path / "adir");
  const auto path = (dir.path / "adir").string();
  auto r = run(one_file(path, 100, 16384));  // opens, then read(2) fails: EISDIR
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, std::errc::is_a_directory);
  EXPECT_EQ(r.error().path, path);
}

TEST(HashFiles, OpenErrorNamesTheFile) {
  create_temp_dir dir;
  const auto path = (dir.path / "gone").string();
  auto r = run(one_file(path, 100, 16384));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, std::errc::no_such_file_or_directory);
  EXPECT_EQ(r.error().path, path);
}

TEST(HashFiles, IoErrorFromTheKernel) {
  // /proc/self/mem reads at address 0 fail with EIO: a real read error, not a missing file.
  auto r = run(one_file("/proc/self/mem", 100, 16384));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, std::errc::io_error);
  EXPECT_EQ(r.error().path, "/proc/self/mem");
}

TEST(HashFiles, FileShorterThanScannedIsChanged) {
  create_temp_dir dir;
  const auto path = write_file(dir.path / "f", test_bytes(1000, 1)), p = (dir.path / "f").string();
  auto r = run(one_file(p, 50000, 16384));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, create_errc::file_changed);
  EXPECT_EQ(r.error().path, p);
}

TEST(HashFiles, V1PiecesOfAStreamWithPadding) {
  create_temp_dir dir;
  const auto a = write_file(dir.path / "a", test_bytes(20000, 2));
  const auto b = write_file(dir.path / "b", test_bytes(10, 3));
  fixture f;
  f.paths = {(dir.path / "a").string(), (dir.path / "b").string()};
  f.layout = *make_layout({scanned_file{{"a"}, f.paths[0], 20000, false}, scanned_file{{"b"}, f.paths[1], 10, false}},
                          torrent_kind::hybrid, 16384);
  for (int threads : {1, 3}) {
    auto r = run(f, threads);
    ASSERT_TRUE(r);
    const std::string stream = a + std::string(32768 - 20000, '\0') + b + std::string(16384 - 10, '\0');
    ASSERT_EQ(r->pieces.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(r->pieces[i], sha1(std::string_view(stream).substr(i * 16384, 16384)));
    ASSERT_EQ(r->files.size(), 4u);
    EXPECT_TRUE(r->files[0].piece_layer);  // 20000 > one piece
    EXPECT_EQ(r->files[0].hashes.size(), 2u);
    EXPECT_FALSE(r->files[2].piece_layer);
    ASSERT_EQ(r->files[2].hashes.size(), 1u);
    EXPECT_EQ(r->files[2].hashes[0], sha256(b));
    EXPECT_EQ(file_root(r->files[2], 10, 16384), sha256(b));  // one block: the root is its hash
  }
}

}  // namespace
}  // namespace tessera::detail
