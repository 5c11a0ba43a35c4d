// Tests of the disk worker pool: hash-and-write, block reads, the start-up check, shutdown.
#include "disk/disk_io.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "disk_test_util.hpp"

namespace tessera::detail {
namespace {

namespace fs = std::filesystem;
using test::file_spec;
using test::temp_dir;

/// Wraps a storage and counts the read() calls that reach it.
struct counting_storage : storage {
  std::shared_ptr<storage> inner;
  std::atomic<int> reads{0};
  std::chrono::milliseconds read_delay{0};  // makes every read this slow
  explicit counting_storage(std::shared_ptr<storage> s) : inner(std::move(s)) {}
  result<bool, storage_error> initialize() override { return inner->initialize(); }
  result<bool, storage_error> write(std::int64_t o, std::span<const std::uint8_t> d) override {
    return inner->write(o, d);
  }
  result<std::size_t, storage_error> read(std::int64_t o, std::span<std::uint8_t> out) override {
    ++reads;
    std::this_thread::sleep_for(read_delay);
    return inner->read(o, out);
  }
  void close_all() override { inner->close_all(); }
  std::vector<std::int64_t> on_disk_sizes() override { return inner->on_disk_sizes(); }
};

/// Wraps a storage: write() waits at a gate (until open()) before it writes, and
/// remove_files()/move_files() note whether a write was in flight when they ran.
struct gated_storage : storage {
  std::shared_ptr<storage> inner;
  std::mutex mutex;
  std::condition_variable cv;
  bool gate_open = false;
  int writes_waiting = 0;               // writes stopped at the gate now
  std::atomic<int> writes_in_flight{0};
  std::atomic<bool> overlapped{false};  // remove/move ran while a write was in flight
  explicit gated_storage(std::shared_ptr<storage> s) : inner(std::move(s)) {}
  result<bool, storage_error> initialize() override { return inner->initialize(); }
  result<bool, storage_error> write(std::int64_t o, std::span<const std::uint8_t> d) override {
    ++writes_in_flight;
    {
      std::unique_lock lock(mutex);
      ++writes_waiting;
      cv.notify_all();
      cv.wait(lock, [&] { return gate_open; });
      --writes_waiting;
    }
    auto r = inner->write(o, d);
    --writes_in_flight;
    return r;
  }
  result<std::size_t, storage_error> read(std::int64_t o, std::span<std::uint8_t> out) override {
    return inner->read(o, out);
  }
  void close_all() override { inner->close_all(); }
  result<bool, storage_error> remove_files() override {
    if (writes_in_flight.load() > 0) overlapped = true;
    return inner->remove_files();
  }
  result<bool, storage_error> move_files(const std::filesystem::path& to) override {
    if (writes_in_flight.load() > 0) overlapped = true;
    return inner->move_files(to);
  }
  /// Waits (at most 10 s) until a write stands at the gate.
  bool wait_for_write() {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, std::chrono::seconds(10), [&] { return writes_waiting > 0; });
  }
  void open() {
    std::lock_guard lock(mutex);
    gate_open = true;
    cv.notify_all();
  }
};

/// Runs `ctx` until `pred` holds (or 10 s pass).
template <class Pred>
bool run_until(boost::asio::io_context& ctx, Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!pred() && std::chrono::steady_clock::now() < deadline) {
    ctx.restart();
    ctx.run_for(std::chrono::milliseconds(5));
  }
  return pred();
}

class DiskIo : public ::testing::Test {
 protected:
  temp_dir dir;
  boost::asio::io_context ctx;
  std::vector<std::uint8_t> content;
  // 7 pieces of 16 KiB (the last one 1000 bytes) over 3 files with padding in between.
  std::shared_ptr<torrent_info> ti = test::make_torrent(
      {{"t/a", 20000}, {"t/.pad/1", 500, true}, {"t/b", 40000}, {"t/c", 38804}}, 16384, content);
  std::shared_ptr<storage> st = make_file_storage(ti, dir.path);
  disk_io io{2};

  piece_write_result hash_and_write(int p, std::vector<std::uint8_t> data) {
    std::optional<piece_write_result> res;
    io.async_hash_and_write(st, ti, piece_index{p}, std::move(data), ctx.get_executor(),
                            [&](piece_write_result r) { res = r; });
    EXPECT_TRUE(run_until(ctx, [&] { return res.has_value(); }));
    return res.value_or(piece_write_result{});
  }

  check_result check(std::shared_ptr<storage> s) {
    std::optional<check_result> res;
    io.async_check(s, ti, ctx.get_executor(), {}, [&](check_result r) { res = std::move(r); });
    EXPECT_TRUE(run_until(ctx, [&] { return res.has_value(); }));
    return res.value_or(check_result{});
  }
};

TEST_F(DiskIo, MatchingPieceIsWrittenAtItsOffset) {
  ASSERT_EQ(ti->num_pieces(), 7);
  auto r = hash_and_write(1, test::piece_bytes(*ti, content, 1));
  EXPECT_EQ(r.piece, piece_index{1});
  EXPECT_TRUE(r.hash_passed);
  EXPECT_FALSE(r.error);
  std::vector<std::uint8_t> back(16384);
  ASSERT_EQ(*st->read(16384, back), back.size());
  EXPECT_EQ(back, test::piece_bytes(*ti, content, 1));
}

TEST_F(DiskIo, PieceBufferComesBackForReuseWhetherTheHashPassesOrNot) {
  for (bool corrupt : {false, true}) {
    auto data = test::piece_bytes(*ti, content, 1);
    if (corrupt) data[5] ^= 1;
    const std::uint8_t* memory = data.data();
    const std::size_t size = data.size();
    std::optional<piece_write_result> res;
    io.async_hash_and_write(st, ti, piece_index{1}, std::move(data), ctx.get_executor(),
                            [&](piece_write_result r) { res = std::move(r); });
    ASSERT_TRUE(run_until(ctx, [&] { return res.has_value(); }));
    EXPECT_EQ(res->hash_passed, !corrupt);
    EXPECT_EQ(res->buffer.data(), memory);  // the same allocation, not a copy
    EXPECT_EQ(res->buffer.size(), size);
  }
}

TEST_F(DiskIo, BlockHashesComeBackForAFailedPieceAndOnRequestForAPassedOne) {
  // Pieces of two blocks and 1000 bytes: the last block of each is short.
  std::vector<std::uint8_t> bytes;
  auto t = test::make_torrent({{"u/a", 100000}}, 2 * block_size + 1000, bytes);
  auto s = make_file_storage(t, dir.path);
  auto good = test::piece_bytes(*t, bytes, 1);
  auto sha1 = [](std::span<const std::uint8_t> d) { return tessera::sha1(std::as_bytes(d)); };
  const std::vector<sha1_hash> good_hashes = {
      sha1(std::span(good).subspan(0, block_size)), sha1(std::span(good).subspan(block_size, block_size)),
      sha1(std::span(good).subspan(2 * block_size))};
  auto run = [&](std::vector<std::uint8_t> data, bool on_pass) {
    std::optional<piece_write_result> res;
    io.async_hash_and_write(s, t, piece_index{1}, std::move(data), ctx.get_executor(),
                            [&](piece_write_result r) { res = std::move(r); }, on_pass);
    EXPECT_TRUE(run_until(ctx, [&] { return res.has_value(); }));
    return res.value_or(piece_write_result{});
  };
  auto bad = good;
  bad[block_size + 7] ^= 0x40;  // block 1 is a lie
  auto failed = run(bad, false);
  EXPECT_FALSE(failed.hash_passed);
  ASSERT_EQ(failed.block_hashes.size(), 3u);
  EXPECT_EQ(failed.block_hashes[0], good_hashes[0]);
  EXPECT_NE(failed.block_hashes[1], good_hashes[1]);
  EXPECT_EQ(failed.block_hashes[1], sha1(std::span(bad).subspan(block_size, block_size)));
  EXPECT_EQ(failed.block_hashes[2], good_hashes[2]);

  auto passed = run(good, false);
  EXPECT_TRUE(passed.hash_passed);
  EXPECT_TRUE(passed.block_hashes.empty());  // not asked for: no second pass over the piece
  auto asked = run(good, true);
  EXPECT_TRUE(asked.hash_passed);
  EXPECT_EQ(asked.block_hashes, good_hashes);
}

TEST_F(DiskIo, HashMismatchWritesNothing) {
  auto data = test::piece_bytes(*ti, content, 0);
  data[100] ^= 1;
  auto r = hash_and_write(0, data);
  EXPECT_FALSE(r.hash_passed);
  EXPECT_FALSE(r.error);
  EXPECT_FALSE(fs::exists(dir.path / "t"));
}

TEST_F(DiskIo, WrongSizeOrIndexFailsTheHash) {
  auto data = test::piece_bytes(*ti, content, 6);
  data.push_back(0);
  EXPECT_FALSE(hash_and_write(6, data).hash_passed);
  EXPECT_FALSE(hash_and_write(7, test::piece_bytes(*ti, content, 6)).hash_passed);
  EXPECT_FALSE(hash_and_write(-1, test::piece_bytes(*ti, content, 6)).hash_passed);
  EXPECT_FALSE(fs::exists(dir.path / "t"));
}

TEST_F(DiskIo, WriteFailureIsReportedWithHashPassed) {
  std::ofstream(dir.path / "t") << "a file where the folder should be";
  auto r = hash_and_write(0, test::piece_bytes(*ti, content, 0));
  EXPECT_TRUE(r.hash_passed);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->ec, std::errc::not_a_directory);
}

TEST_F(DiskIo, ReadReturnsTheBlockAndRefusesBadRanges) {
  ASSERT_TRUE(hash_and_write(2, test::piece_bytes(*ti, content, 2)).hash_passed);
  auto read = [&](int p, int begin, int length) {
    std::optional<result<std::vector<std::uint8_t>, storage_error>> res;
    io.async_read(st, ti, piece_index{p}, begin, length, ctx.get_executor(),
                  [&](result<std::vector<std::uint8_t>, storage_error> r) { res = std::move(r); });
    EXPECT_TRUE(run_until(ctx, [&] { return res.has_value(); }));
    return std::move(*res);
  };
  auto ok = read(2, 16000, 384);
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, std::vector<std::uint8_t>(content.begin() + 2 * 16384 + 16000,
                                           content.begin() + 3 * 16384));
  auto past_end = read(2, 16000, 385);
  ASSERT_FALSE(past_end);
  EXPECT_EQ(past_end.error().ec, std::errc::invalid_argument);
  EXPECT_FALSE(read(9, 0, 16));
  EXPECT_FALSE(read(2, -1, 16));
  EXPECT_FALSE(read(2, 0, 0));
  auto missing = read(5, 0, 16384);  // never written
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().ec, std::errc::no_message_available);
  EXPECT_EQ(missing.error().op, storage_error::operation::read);
}

TEST_F(DiskIo, CheckFindsExactlyTheWrittenPiecesIncludingTheShortLastOne) {
  for (int p : {0, 3, 6})
    ASSERT_TRUE(hash_and_write(p, test::piece_bytes(*ti, content, p)).hash_passed);
  // Piece 4 is on disk but corrupt; piece 5's file range is then complete except for its bytes.
  auto bad = test::piece_bytes(*ti, content, 4);
  bad[0] ^= 0xff;
  ASSERT_TRUE(st->write(4 * 16384, bad));
  auto res = check(st);
  EXPECT_FALSE(res.error);
  ASSERT_EQ(res.have.size(), 7);
  for (int p = 0; p < 7; ++p) EXPECT_EQ(res.have.get(p), p == 0 || p == 3 || p == 6) << p;
}

TEST_F(DiskIo, CheckOfAFullDownloadHasEveryPiece) {
  for (int p = 0; p < 7; ++p)
    ASSERT_TRUE(hash_and_write(p, test::piece_bytes(*ti, content, p)).hash_passed);
  st->close_all();
  auto fresh = make_file_storage(ti, dir.path);  // as after a restart
  auto res = check(fresh);
  EXPECT_TRUE(res.have.all());
}

TEST_F(DiskIo, CheckSkipsPiecesOfMissingAndShortFilesWithoutReading) {
  auto counting = std::make_shared<counting_storage>(st);
  auto res = check(counting);
  EXPECT_TRUE(res.have.none());
  EXPECT_EQ(counting->reads.load(), 0);
  // Piece 0 written: t/a is complete, t/b holds only its first bytes, t/c is missing. Piece 1
  // lies in a/b where t/b is now short: skipped too.
  ASSERT_TRUE(hash_and_write(0, test::piece_bytes(*ti, content, 0)).hash_passed);
  res = check(counting);
  EXPECT_EQ(counting->reads.load(), 1);
  EXPECT_TRUE(res.have.get(0));
  EXPECT_EQ(res.have.count(), 1);
}

TEST_F(DiskIo, CheckReportsRisingProgressAboutEvery100Milliseconds) {
  for (int p = 0; p < 7; ++p)
    ASSERT_TRUE(hash_and_write(p, test::piece_bytes(*ti, content, p)).hash_passed);
  auto slow = std::make_shared<counting_storage>(st);
  slow->read_delay = std::chrono::milliseconds(60);  // 7 reads on 2 workers: >= 240 ms
  std::vector<int> progress;
  std::optional<check_result> res;
  auto start = std::chrono::steady_clock::now();
  io.async_check(
      slow, ti, ctx.get_executor(), [&](int n) { progress.push_back(n); },
      [&](check_result r) { res = std::move(r); });
  ASSERT_TRUE(run_until(ctx, [&] { return res.has_value(); }));
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(res->have.all());
  ASSERT_GE(progress.size(), 1u);
  EXPECT_LE(progress.size(),
            static_cast<std::size_t>(elapsed / std::chrono::milliseconds(100)) + 1);
  EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));
  EXPECT_GE(progress.front(), 1);
  EXPECT_LE(progress.back(), 7);
}

// Issue 9, item 9: remove_files was queued while a write of the same torrent still ran on the
// other disk thread, which then re-created the file after it was deleted.
TEST_F(DiskIo, RemoveWaitsForTheStoragesWriteInFlightAndOtherStoragesDoNotWait) {
  auto gated = std::make_shared<gated_storage>(st);
  std::optional<piece_write_result> written;
  io.async_hash_and_write(gated, ti, piece_index{0}, test::piece_bytes(*ti, content, 0),
                          ctx.get_executor(), [&](piece_write_result r) { written = std::move(r); });
  ASSERT_TRUE(gated->wait_for_write());  // one worker holds the write at the gate
  std::optional<result<bool, storage_error>> removed;
  io.async_storage_job(gated, storage_access::exclusive, [gated] { return gated->remove_files(); },
                       ctx.get_executor(), [&](result<bool, storage_error> r) { removed = r; });
  // A job of no storage queued after the remove runs on the other worker: by FIFO that worker
  // took the remove first, unless the remove waits for the write.
  bool other_ran = false;
  io.async_storage_job(nullptr, storage_access::shared, [] { return result<bool, storage_error>(true); },
                       ctx.get_executor(), [&](result<bool, storage_error>) { other_ran = true; });
  ASSERT_TRUE(run_until(ctx, [&] { return other_ran; }));
  EXPECT_FALSE(removed.has_value()) << "the remove ran beside the write";
  gated->open();
  ASSERT_TRUE(run_until(ctx, [&] { return written.has_value() && removed.has_value(); }));
  EXPECT_TRUE(written->hash_passed);
  EXPECT_FALSE(written->error);
  EXPECT_TRUE(*removed);
  EXPECT_FALSE(gated->overlapped.load());
  EXPECT_FALSE(fs::exists(dir.path / "t/a")) << "the write re-created the file after the remove";
}

// The same for move_files, which also let go of the download directory's descriptor that the
// write was about to use: the write then landed in the old directory.
TEST_F(DiskIo, MoveWaitsForTheStoragesWriteInFlight) {
  auto gated = std::make_shared<gated_storage>(st);
  std::optional<piece_write_result> written;
  io.async_hash_and_write(gated, ti, piece_index{0}, test::piece_bytes(*ti, content, 0),
                          ctx.get_executor(), [&](piece_write_result r) { written = std::move(r); });
  ASSERT_TRUE(gated->wait_for_write());
  const fs::path target = dir.path / "moved";
  std::optional<result<bool, storage_error>> moved;
  io.async_storage_job(gated, storage_access::exclusive,
                       [gated, target] { return gated->move_files(target); }, ctx.get_executor(),
                       [&](result<bool, storage_error> r) { moved = r; });
  bool other_ran = false;
  io.async_storage_job(nullptr, storage_access::shared, [] { return result<bool, storage_error>(true); },
                       ctx.get_executor(), [&](result<bool, storage_error>) { other_ran = true; });
  ASSERT_TRUE(run_until(ctx, [&] { return other_ran; }));
  gated->open();
  ASSERT_TRUE(run_until(ctx, [&] { return written.has_value() && moved.has_value(); }));
  EXPECT_TRUE(*moved);
  EXPECT_FALSE(gated->overlapped.load());
  EXPECT_TRUE(fs::exists(target / "t/a")) << "the piece was written after the move";
  EXPECT_FALSE(fs::exists(dir.path / "t/a"));
}

TEST_F(DiskIo, JobsOfAStorageQueuedAfterAnExclusiveJobWaitForIt) {
  ASSERT_TRUE(st->write(0, test::piece_bytes(*ti, content, 0)));
  auto gated = std::make_shared<gated_storage>(st);
  std::optional<piece_write_result> written;
  io.async_hash_and_write(gated, ti, piece_index{2}, test::piece_bytes(*ti, content, 2),
                          ctx.get_executor(), [&](piece_write_result r) { written = std::move(r); });
  ASSERT_TRUE(gated->wait_for_write());
  std::optional<result<bool, storage_error>> removed;
  io.async_storage_job(gated, storage_access::exclusive, [gated] { return gated->remove_files(); },
                       ctx.get_executor(), [&](result<bool, storage_error> r) { removed = r; });
  std::optional<result<std::vector<std::uint8_t>, storage_error>> read;
  io.async_read(gated, ti, piece_index{0}, 0, 100, ctx.get_executor(),
                [&](result<std::vector<std::uint8_t>, storage_error> r) { read = std::move(r); });
  bool other_ran = false;
  io.async_storage_job(nullptr, storage_access::shared, [] { return result<bool, storage_error>(true); },
                       ctx.get_executor(), [&](result<bool, storage_error>) { other_ran = true; });
  ASSERT_TRUE(run_until(ctx, [&] { return other_ran; }));
  EXPECT_FALSE(read.has_value()) << "the read overtook the remove queued before it";
  gated->open();
  ASSERT_TRUE(run_until(ctx, [&] { return read.has_value() && removed.has_value(); }));
  ASSERT_FALSE(*read);
  EXPECT_EQ(read->error().ec, std::errc::no_message_available);  // removed before it ran
}

TEST(DiskIoShutdown, QueuedWritesFinishBeforeTheDestructorReturns) {
  temp_dir dir;
  boost::asio::io_context ctx;
  std::vector<std::uint8_t> content;
  auto ti = test::make_torrent({{"f", 64 * 16384}}, 16384, content);
  auto st = make_file_storage(ti, dir.path);
  int done = 0;
  {
    disk_io io(2);
    for (int p = 0; p < ti->num_pieces(); ++p)
      io.async_hash_and_write(st, ti, piece_index{p}, test::piece_bytes(*ti, content, p),
                              ctx.get_executor(),
                              [&](piece_write_result r) { done += r.hash_passed; });
  }
  EXPECT_EQ(fs::file_size(dir.path / "f"), content.size());
  ctx.run();  // every callback was posted
  EXPECT_EQ(done, 64);
}

TEST(DiskIoShutdown, CheckInProgressIsDroppedAndItsDoneNeverRuns) {
  temp_dir dir;
  std::vector<std::uint8_t> content(64 << 20, 7);  // 64 MiB of 1 MiB pieces: far from instant
  auto ti = test::make_torrent({{"f", 64 << 20}}, 1 << 20, content);
  auto st = make_file_storage(ti, dir.path);
  ASSERT_TRUE(st->write(0, content));
  boost::asio::io_context ctx;
  bool done_called = false;
  {
    disk_io io(2);
    io.async_check(
        st, ti, ctx.get_executor(), [](int) {}, [&](check_result) { done_called = true; });
  }
  ctx.run();
  EXPECT_FALSE(done_called);
}

TEST(DiskIoShutdown, CallbacksPostedToAStoppedContextAreDestroyedNotRun) {
  temp_dir dir;
  std::vector<std::uint8_t> content;
  auto ti = test::make_torrent({{"f", 4 * 16384}}, 16384, content);
  auto st = make_file_storage(ti, dir.path);
  int calls = 0;
  auto token = std::make_shared<int>(0);  // owned by the callbacks: tells when they are gone
  {
    boost::asio::io_context ctx;
    ctx.stop();
    disk_io io(2);
    for (int p = 0; p < 4; ++p)
      io.async_hash_and_write(st, ti, piece_index{p}, test::piece_bytes(*ti, content, p),
                              ctx.get_executor(), [&, token](piece_write_result) { ++calls; });
    io.async_read(st, ti, piece_index{0}, 0, 16, ctx.get_executor(),
                  [&, token](result<std::vector<std::uint8_t>, storage_error>) { ++calls; });
    EXPECT_GT(token.use_count(), 1);
  }  // disk_io first (jobs finish and post), then the stopped context destroys the handlers
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(token.use_count(), 1);
  EXPECT_EQ(fs::file_size(dir.path / "f"), content.size());
}

}  // namespace
}  // namespace tessera::detail
