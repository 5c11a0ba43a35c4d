// Tests of the in-memory storage: read back across files and padding, file extents like sparse
// files, short reads, range errors, and concurrent writers.
#include "disk/memory_storage.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "disk_test_util.hpp"

namespace tessera::detail {
namespace {

using test::file_spec;

// Piece 0 = t/a [0,10) + padding [10,16) + t/b [16,32); piece 1 = t/b + t/e (empty) + t/c;
// piece 2 = 2 bytes of t/c.
const std::vector<file_spec> files = {
    {"t/a", 10}, {"t/.pad/6", 6, true}, {"t/b", 20}, {"t/e", 0}, {"t/c", 30}};

class MemoryStorage : public ::testing::Test {
 protected:
  std::vector<std::uint8_t> content;
  std::shared_ptr<torrent_info> ti = test::make_torrent(files, 32, content);
  std::shared_ptr<storage> st = make_memory_storage(ti);

  void write_piece(int p, std::vector<std::uint8_t> data = {}) {
    if (data.empty()) data = test::piece_bytes(*ti, content, p);
    auto r = st->write(p * ti->piece_length(), data);
    ASSERT_TRUE(r) << r.error().message();
  }
};

TEST_F(MemoryStorage, NothingExistsBeforeTheFirstWrite) {
  ASSERT_TRUE(st->initialize());
  EXPECT_EQ(st->on_disk_sizes(), (std::vector<std::int64_t>{-1, 6, -1, -1, -1}));
  std::vector<std::uint8_t> out(32, 0xAA);
  auto n = st->read(0, out);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);
}

TEST_F(MemoryStorage, EveryPieceReadsBackAndPaddingIsZeros) {
  for (int p = ti->num_pieces() - 1; p >= 0; --p) {
    auto data = test::piece_bytes(*ti, content, p);
    if (p == 0) std::fill(data.begin() + 10, data.begin() + 16, 0xEE);  // dropped at padding
    write_piece(p, data);
  }
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

TEST_F(MemoryStorage, FilesGrowLikeSparseFilesAndReadsStopAtAMissingTail) {
  write_piece(2);  // only the last 2 bytes of t/c
  EXPECT_EQ(st->on_disk_sizes(), (std::vector<std::int64_t>{-1, 6, -1, -1, 30}));
  write_piece(0);
  EXPECT_EQ(st->on_disk_sizes(), (std::vector<std::int64_t>{10, 6, 16, -1, 30}));
  // Piece 1 starts in t/b at 16, which ends there: a short read of nothing.
  std::vector<std::uint8_t> out(32);
  EXPECT_EQ(*st->read(32, out), 0u);
  // A read from 0 gets piece 0 and stops where t/b's written bytes end.
  std::vector<std::uint8_t> two(64);
  EXPECT_EQ(*st->read(0, two), 32u);
  // t/c's written tail reads back although its start was never written.
  std::vector<std::uint8_t> tail(2);
  ASSERT_EQ(*st->read(64, tail), 2u);
  EXPECT_EQ(tail, test::piece_bytes(*ti, content, 2));
}

TEST_F(MemoryStorage, ReadPastTheEndIsClampedToTheTorrent) {
  for (int p = 0; p < ti->num_pieces(); ++p) write_piece(p);
  std::vector<std::uint8_t> out(100);
  EXPECT_EQ(*st->read(60, out), 6u);
  EXPECT_EQ(*st->read(66, out), 0u);
}

TEST_F(MemoryStorage, OutOfRangeOffsetsAreInvalidArgument) {
  std::vector<std::uint8_t> data(10);
  auto w = st->write(60, data);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().ec, std::errc::invalid_argument);
  EXPECT_EQ(w.error().op, storage_error::operation::write);
  EXPECT_FALSE(st->write(-1, data));
  auto r = st->read(67, data);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().op, storage_error::operation::read);
  EXPECT_FALSE(st->read(-5, data));
}

TEST_F(MemoryStorage, CloseAllKeepsTheData) {
  write_piece(0);
  st->close_all();
  std::vector<std::uint8_t> out(32);
  ASSERT_EQ(*st->read(0, out), 32u);
  EXPECT_EQ(out, test::piece_bytes(*ti, content, 0));
}

TEST_F(MemoryStorage, FlushSucceedsAndKeepsTheData) {
  ASSERT_TRUE(st->flush());  // nothing written yet
  write_piece(1);
  ASSERT_TRUE(st->flush());
  std::vector<std::uint8_t> out(32);
  ASSERT_EQ(*st->read(ti->piece_length(), out), 32u);
  EXPECT_EQ(out, test::piece_bytes(*ti, content, 1));
}

TEST(MemoryStorageThreads, ConcurrentWritersAndReadersKeepEveryByte) {
  std::vector<file_spec> many;
  for (int i = 0; i < 16; ++i) many.push_back({"t/f" + std::to_string(i), 10'000 + i});
  std::vector<std::uint8_t> content;
  auto ti = test::make_torrent(many, 16 * 1024, content);
  auto st = make_memory_storage(ti);
  const int pieces = ti->num_pieces();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int p = t; p < pieces; p += 4) {
        auto data = test::piece_bytes(*ti, content, p);
        EXPECT_TRUE(st->write(p * ti->piece_length(), data));
        std::vector<std::uint8_t> back(data.size());
        EXPECT_EQ(*st->read(p * ti->piece_length(), back), data.size());
        EXPECT_EQ(back, data);
      }
    });
  for (auto& th : threads) th.join();
  std::vector<std::uint8_t> all(content.size());
  ASSERT_EQ(*st->read(0, all), content.size());
  EXPECT_EQ(all, content);
}

}  // namespace
}  // namespace tessera::detail
