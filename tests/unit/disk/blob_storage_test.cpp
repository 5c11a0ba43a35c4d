// Tests of the single-blob storage: the byte layout (torrent offset = blob offset, padding
// included), lazy creation, short reads on a missing or short blob, and errors naming the path.
#include "disk/blob_storage.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <thread>

#include "disk_test_util.hpp"

namespace tessera::detail {
namespace {

namespace fs = std::filesystem;
using test::file_spec;
using test::temp_dir;

// Piece 0 = t/a [0,10) + padding [10,16) + t/b [16,32); piece 1 = t/b + t/e (empty) + t/c;
// piece 2 = 2 bytes of t/c.
const std::vector<file_spec> files = {
    {"t/a", 10}, {"t/.pad/6", 6, true}, {"t/b", 20}, {"t/e", 0}, {"t/c", 30}};

class BlobStorage : public ::testing::Test {
 protected:
  temp_dir dir;
  fs::path blob = dir.path / "sub/dir/torrent.blob";
  std::vector<std::uint8_t> content;
  std::shared_ptr<torrent_info> ti = test::make_torrent(files, 32, content);
  std::shared_ptr<storage> st = make_blob_storage(ti, blob);

  void write_piece(int p, std::vector<std::uint8_t> data = {}) {
    if (data.empty()) data = test::piece_bytes(*ti, content, p);
    auto r = st->write(p * ti->piece_length(), data);
    ASSERT_TRUE(r) << r.error().message();
  }
};

TEST_F(BlobStorage, InitializeCreatesTheDirectoryButNotTheBlob) {
  auto r = st->initialize();
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(fs::is_directory(blob.parent_path()));
  EXPECT_FALSE(fs::exists(blob));
  EXPECT_EQ(st->on_disk_sizes(), (std::vector<std::int64_t>{-1, 6, -1, -1, -1}));
}

TEST_F(BlobStorage, MissingBlobReadsShort) {
  std::vector<std::uint8_t> out(32, 0xAA);
  auto n = st->read(0, out);
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 0u);
  EXPECT_FALSE(fs::exists(blob));  // a read never creates it
  // A read that starts in padding gets the padding's zeros, then stops at the missing t/b.
  std::vector<std::uint8_t> pad(10, 0xAA);
  EXPECT_EQ(*st->read(10, pad), 6u);
}

TEST_F(BlobStorage, TheBlobIsTheTorrentByteStreamWithPaddingAsZeros) {
  for (int p = ti->num_pieces() - 1; p >= 0; --p) {
    auto data = test::piece_bytes(*ti, content, p);
    if (p == 0) std::fill(data.begin() + 10, data.begin() + 16, 0xEE);  // not stored at padding
    write_piece(p, data);
  }
  EXPECT_EQ(test::read_file(blob), content);  // byte for byte, padding included (a zero hole)
  EXPECT_FALSE(fs::exists(dir.path / "sub/dir/t"));
  std::vector<std::uint8_t> back(content.size(), 0xAA);
  auto n = st->read(0, back);
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, content.size());
  EXPECT_EQ(back, content);
  std::vector<std::uint8_t> mid(10);
  ASSERT_EQ(*st->read(30, mid), 10u);
  EXPECT_EQ(mid, std::vector<std::uint8_t>(content.begin() + 30, content.begin() + 40));
  EXPECT_EQ(st->on_disk_sizes(), (std::vector<std::int64_t>{10, 6, 20, 0, 30}));
}

TEST_F(BlobStorage, PaddingReadsAsZerosEvenIfTheBlobHoldsOtherBytes) {
  for (int p = 0; p < ti->num_pieces(); ++p) write_piece(p);
  {
    std::FILE* f = std::fopen(blob.c_str(), "r+b");
    ASSERT_NE(f, nullptr);
    std::fseek(f, 12, SEEK_SET);
    std::fputs("XX", f);
    std::fclose(f);
  }
  std::vector<std::uint8_t> back(32);
  ASSERT_EQ(*st->read(0, back), 32u);
  EXPECT_EQ(back, test::piece_bytes(*ti, content, 0));
}

TEST_F(BlobStorage, AShortBlobMakesAShortReadAndShortFileSizes) {
  write_piece(0);
  EXPECT_EQ(fs::file_size(blob), 32u);
  EXPECT_EQ(st->on_disk_sizes(), (std::vector<std::int64_t>{10, 6, 16, -1, -1}));
  std::vector<std::uint8_t> out(66);
  EXPECT_EQ(*st->read(0, out), 32u);
  std::vector<std::uint8_t> p1(32);
  EXPECT_EQ(*st->read(32, p1), 0u);
  // The last piece alone: a sparse blob with a hole where piece 1 goes.
  write_piece(2);
  EXPECT_EQ(fs::file_size(blob), 66u);
  std::vector<std::uint8_t> p2(2);
  ASSERT_EQ(*st->read(64, p2), 2u);
  EXPECT_EQ(p2, test::piece_bytes(*ti, content, 2));
}

TEST_F(BlobStorage, CloseAllThenReadAndWriteReopen) {
  write_piece(0);
  st->close_all();
  std::vector<std::uint8_t> out(32);
  ASSERT_EQ(*st->read(0, out), 32u);  // reopens read-only
  write_piece(1);                     // upgrades to read-write
  st->close_all();
  std::vector<std::uint8_t> all(64);
  ASSERT_EQ(*st->read(0, all), 64u);
  EXPECT_EQ(all, std::vector<std::uint8_t>(content.begin(), content.begin() + 64));
}

TEST_F(BlobStorage, OutOfRangeOffsetsAreInvalidArgument) {
  std::vector<std::uint8_t> data(10);
  auto w = st->write(60, data);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().ec, std::errc::invalid_argument);
  EXPECT_FALSE(st->write(-1, data));
  EXPECT_FALSE(st->read(67, data));
  EXPECT_FALSE(fs::exists(blob));
}

TEST_F(BlobStorage, FlushBeforeAnyWriteCreatesNothing) {
  ASSERT_TRUE(st->flush());
  EXPECT_FALSE(fs::exists(blob));
}

TEST_F(BlobStorage, FlushWritesTheBlobBack) {
  for (int p = 0; p < 3; ++p) write_piece(p);
  if (test::dirty_kib(blob) <= 0) GTEST_SKIP() << "dirty page-cache pages cannot be observed here";
  auto r = st->flush();
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(test::dirty_kib(blob), 0);
}

TEST_F(BlobStorage, BlobDeletedWhileOpenFailsWritesAndFlush) {
  write_piece(0);
  fs::remove(blob);
  auto w = st->write(ti->piece_length(), test::piece_bytes(*ti, content, 1));
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().op, storage_error::operation::write);
  EXPECT_EQ(w.error().ec, std::errc::no_such_file_or_directory);
  EXPECT_EQ(w.error().path, blob.string());
  auto f = st->flush();
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().op, storage_error::operation::flush);
  EXPECT_EQ(f.error().message(), "flush " + blob.string() + ": No such file or directory");
  EXPECT_FALSE(fs::exists(blob));
}

TEST(BlobStorageErrors, ParentThatIsAFileIsAMkdirErrorWithItsPath) {
  temp_dir dir;
  { std::FILE* f = std::fopen((dir.path / "file").c_str(), "w"); std::fclose(f); }
  std::vector<std::uint8_t> content;
  auto ti = test::make_torrent({{"a", 100}}, 32, content);
  auto st = make_blob_storage(ti, dir.path / "file/blob");
  auto init = st->initialize();
  ASSERT_FALSE(init);
  EXPECT_EQ(init.error().op, storage_error::operation::mkdir);
  EXPECT_EQ(init.error().path, (dir.path / "file").string());
  auto w = st->write(0, std::span(content.data(), 32));
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().op, storage_error::operation::mkdir);
  EXPECT_NE(w.error().message().find(dir.path.string()), std::string::npos);
  // Reading is not a short read: ENOTDIR (unlike ENOENT) is an open error.
  std::vector<std::uint8_t> out(32);
  auto r = st->read(0, out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().op, storage_error::operation::open);
  EXPECT_EQ(r.error().path, (dir.path / "file/blob").string());
}

TEST(BlobStorageErrors, BlobPathThatIsADirectoryIsAnOpenError) {
  temp_dir dir;
  fs::create_directories(dir.path / "blob");
  std::vector<std::uint8_t> content;
  auto ti = test::make_torrent({{"a", 100}}, 32, content);
  auto st = make_blob_storage(ti, dir.path / "blob");
  auto w = st->write(0, std::span(content.data(), 32));
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().op, storage_error::operation::open);
  EXPECT_EQ(w.error().path, (dir.path / "blob").string());
  EXPECT_EQ(w.error().message(), "open " + (dir.path / "blob").string() + ": Is a directory");
}

TEST(BlobStorageErrors, FifoAtTheBlobPathIsRefusedWithoutBlocking) {
  temp_dir dir;
  ASSERT_EQ(::mkfifo((dir.path / "blob").c_str(), 0644), 0);
  std::vector<std::uint8_t> content;
  auto ti = test::make_torrent({{"a", 100}}, 32, content);
  auto st = make_blob_storage(ti, dir.path / "blob");
  std::vector<std::uint8_t> out(32);
  auto r = st->read(0, out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().ec, std::errc::invalid_argument);
  EXPECT_FALSE(st->write(0, std::span(content.data(), 32)));
}

TEST(BlobStorageThreads, ConcurrentWritersFillTheBlob) {
  temp_dir dir;
  std::vector<file_spec> many;
  for (int i = 0; i < 8; ++i) many.push_back({"t/f" + std::to_string(i), 20'000 + i});
  std::vector<std::uint8_t> content;
  auto ti = test::make_torrent(many, 16 * 1024, content);
  auto st = make_blob_storage(ti, dir.path / "b");
  const int pieces = ti->num_pieces();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int p = t; p < pieces; p += 4) {
        if (p % 3 == 0) st->close_all();  // closing under running calls is allowed
        EXPECT_TRUE(st->write(p * ti->piece_length(), test::piece_bytes(*ti, content, p)));
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(test::read_file(dir.path / "b"), content);
}

}  // namespace
}  // namespace tessera::detail
