// The upload read path of a seeding torrent (torrent::read_block) against a real disk pool and an
// in-memory storage that counts what is read: what one request costs the disk, and how much the
// reads for many requests hold at most (read_cache.hpp, torrent_limits).
#include <atomic>
#include <chrono>
#include <memory>
#include <span>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include "core/torrent_info_builder.hpp"
#include "disk/memory_storage.hpp"
#include "tessera/hasher.hpp"
#include "torrent/torrent.hpp"

namespace tessera::detail {
namespace {

using namespace std::chrono_literals;

/// Passes every call to `inner`; counts the bytes and calls of read() while `counting` is set.
class counting_storage final : public storage {
 public:
  explicit counting_storage(std::shared_ptr<storage> inner) : inner_(std::move(inner)) {}
  result<bool, storage_error> initialize() override { return inner_->initialize(); }
  result<bool, storage_error> write(std::int64_t offset, std::span<const std::uint8_t> data) override {
    return inner_->write(offset, data);
  }
  result<std::size_t, storage_error> read(std::int64_t offset, std::span<std::uint8_t> out) override {
    if (counting) {
      bytes_read += static_cast<std::int64_t>(out.size());
      ++reads;
    }
    return inner_->read(offset, out);
  }
  void close_all() override { inner_->close_all(); }

  std::atomic<bool> counting{false};
  std::atomic<std::int64_t> bytes_read{0};
  std::atomic<int> reads{0};

 private:
  std::shared_ptr<storage> inner_;
};

/// One answer of read_block: its error and a copy of its bytes.
struct answer {
  std::error_code ec;
  std::vector<std::uint8_t> data;
  bool done = false;
};

/// A single-file torrent of `pieces` pieces of `piece_length` bytes held in memory, checked and
/// seeding, on an io_context the test runs by hand.
struct seeding_torrent {
  boost::asio::io_context io;
  // Keeps run_one_for from finding the context out of work (and stopped) while a disk job runs:
  // the torrent itself holds no timer (the session's tick drives it).
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{io.get_executor()};
  disk_io disk{2};  // destroyed before `io`, which it posts to
  std::shared_ptr<const torrent_info> ti;
  std::vector<std::uint8_t> payload;
  std::shared_ptr<counting_storage> st;
  std::shared_ptr<torrent> t;

  seeding_torrent(std::int64_t piece_length, int pieces, torrent_limits limits = {}) {
    const std::int64_t size = piece_length * pieces;
    payload.resize(static_cast<std::size_t>(size));
    for (std::size_t i = 0; i < payload.size(); ++i) {
      payload[i] = static_cast<std::uint8_t>((i * 2654435761u) >> 13);
    }
    auto b = std::make_shared<tessera::detail::torrent_info_builder>();
    b->name = "blob";
    b->piece_length = piece_length;
    b->total_size = size;
    file_entry f;
    f.path = "blob";
    f.size = size;
    b->files.push_back(f);
    for (std::int64_t at = 0; at < size; at += piece_length) {
      b->piece_hashes.push_back(
          sha1(std::as_bytes(std::span(payload.data() + at, static_cast<std::size_t>(piece_length)))));
    }
    b->info_hash.v1.bytes.fill(0x42);
    this->ti = std::make_shared<const torrent_info>(std::move(*b).build());
    auto mem = make_memory_storage(ti);
    EXPECT_TRUE(mem->initialize());
    EXPECT_TRUE(mem->write(0, payload));
    st = std::make_shared<counting_storage>(mem);
    torrent_context ctx;
    ctx.ex = io.get_executor();
    ctx.disk = &disk;
    t = std::make_shared<torrent>(std::move(ctx), ti, st, std::vector<torrent::endpoint>{}, limits);
    t->start();
    EXPECT_TRUE(run_until([&] { return t->state() == torrent_state::seeding; }));
    st->counting = true;  // from here on, only the upload reads count
  }

  ~seeding_torrent() {
    bool stopped = false;
    boost::asio::co_spawn(io, [](std::shared_ptr<torrent> tt, bool* flag) -> boost::asio::awaitable<void> {
      co_await tt->stop();
      *flag = true;
    }(t, &stopped), boost::asio::detached);
    run_until([&] { return stopped; });
  }

  template <class Pred>
  bool run_until(Pred pred, std::chrono::milliseconds limit = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!pred() && std::chrono::steady_clock::now() < deadline) io.run_one_for(10ms);
    return pred();
  }

  /// Calls read_block for every (piece, begin) of `requests`, all from one handler on the network
  /// thread (so no read completes in between), and runs until every answer arrived.
  std::vector<answer> read_all(const std::vector<std::pair<int, std::int32_t>>& requests) {
    std::vector<answer> answers(requests.size());
    boost::asio::post(io, [&] {
      for (std::size_t i = 0; i < requests.size(); ++i) {
        t->read_block(piece_index{requests[i].first}, requests[i].second, block_size,
                      [&answers, i](std::error_code ec, std::span<const std::uint8_t> data) {
                        answers[i].ec = ec;
                        answers[i].data.assign(data.begin(), data.end());
                        answers[i].done = true;
                      });
      }
    });
    EXPECT_TRUE(run_until([&] {
      for (const auto& a : answers) {
        if (!a.done) return false;
      }
      return true;
    }));
    for (std::size_t i = 0; i < requests.size(); ++i) {
      const auto at = static_cast<std::size_t>(requests[i].first * ti->piece_length() + requests[i].second);
      EXPECT_FALSE(answers[i].ec) << answers[i].ec.message();
      EXPECT_TRUE(std::equal(answers[i].data.begin(), answers[i].data.end(), payload.begin() + at) &&
                  answers[i].data.size() == std::size_t(block_size))
          << "request " << i << " answered with the wrong bytes";
    }
    return answers;
  }
};

TEST(UploadReads, OneRequestOfALargePieceReadsAWindowNotTheWholePiece) {
  seeding_torrent s(8 << 20, 2);
  s.read_all({{1, (3 << 20) + block_size}});
  // Before read windows, this 16 KiB request read the whole 8 MiB piece.
  EXPECT_LE(s.st->bytes_read.load(), 512 << 10);
  EXPECT_EQ(s.st->reads.load(), 1);
  // The next block of the same window comes from the cache.
  s.read_all({{1, (3 << 20) + 2 * block_size}});
  EXPECT_EQ(s.st->reads.load(), 1);
}

TEST(UploadReads, RequestsOfManyWindowsAtOnceReadNoMoreThanTheBudgetPlusTheirBlocks) {
  torrent_limits limits;
  limits.max_read_cache_bytes = 2 << 20;
  seeding_torrent s(8 << 20, 2, limits);
  // One block of each of the 32 windows of 512 KiB, all asked before any read completes: the
  // pattern of a peer asking for one block of every piece of a torrent with huge pieces.
  std::vector<std::pair<int, std::int32_t>> requests;
  for (int p = 0; p < 2; ++p) {
    for (std::int32_t w = 0; w < 16; ++w) requests.emplace_back(p, w * (512 << 10) + 7 * block_size);
  }
  s.read_all(requests);
  // 4 windows fit the 2 MiB budget; the 28 other requests read their own block. Before, every
  // request cost a whole 8 MiB piece (16 MiB for the two pieces).
  const std::int64_t bound = (2 << 20) + 28 * block_size;
  EXPECT_LE(s.st->bytes_read.load(), bound);
}

TEST(UploadReads, PeakMemoryOfTheReadsStaysWithinTheBudgetPlusTheBlocksReadAlone) {
  torrent_limits limits;
  limits.max_read_cache_bytes = 2 << 20;
  seeding_torrent s(8 << 20, 2, limits);
  std::vector<std::pair<int, std::int32_t>> requests;
  for (int round = 0; round < 3; ++round) {
    for (int p = 0; p < 2; ++p) {
      for (std::int32_t w = 0; w < 16; ++w) requests.emplace_back(p, w * (512 << 10) + round * block_size);
    }
  }
  s.read_all(requests);
  EXPECT_GT(s.t->block_reads(), 0);
  EXPECT_LE(s.t->peak_upload_read_bytes(),
            limits.max_read_cache_bytes + s.t->block_reads() * std::int64_t{block_size});
  EXPECT_GE(s.t->peak_upload_read_bytes(), limits.max_read_cache_bytes);  // the budget was used
}

TEST(UploadReads, ASmallPieceIsReadOnceForAllItsBlocks) {
  seeding_torrent s(256 << 10, 3);
  std::vector<std::pair<int, std::int32_t>> requests;
  for (std::int32_t b = 0; b < 16; ++b) requests.emplace_back(2, b * block_size);
  s.read_all(requests);
  EXPECT_EQ(s.st->reads.load(), 1);
  EXPECT_EQ(s.st->bytes_read.load(), 256 << 10);
}

}  // namespace
}  // namespace tessera::detail
