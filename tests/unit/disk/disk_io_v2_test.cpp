// The disk pool's v2 verification (BEP 52): downloaded pieces of v2-only and hybrid torrents
// checked by their SHA-256 merkle targets (hybrids by both hashes), the block hashes of a failed
// piece, and the start-up check of v2 data.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>

#include "../support/v2_test_torrent.hpp"
#include "core/torrent_info_builder.hpp"
#include "core/v2_hash_store.hpp"
#include "disk/disk_io.hpp"
#include "disk/piece_check.hpp"
#include "disk_test_util.hpp"

namespace tessera::detail {
namespace {

using test::temp_dir;
using test_support::make_v2_torrent;
using test_support::random_bytes;

template <class Pred>
bool run_until(boost::asio::io_context& ctx, Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!pred() && std::chrono::steady_clock::now() < deadline) {
    ctx.restart();
    ctx.run_for(std::chrono::milliseconds(5));
  }
  return pred();
}

constexpr std::int64_t piece = 64 * 1024;  // four blocks a piece

// Odd sizes: 2.3 pieces, an empty file, 3 blocks and a bit (one piece), 1 piece exactly.
std::vector<std::vector<std::uint8_t>> files() {
  return {random_bytes(2 * piece + 20'000, 11), {}, random_bytes(3 * block_size + 77, 12),
          random_bytes(piece, 13)};
}

class DiskIoV2 : public ::testing::TestWithParam<bool> {  // param: hybrid
 protected:
  temp_dir dir;
  boost::asio::io_context ctx;
  test_support::v2_test_torrent t = make_v2_torrent(files(), piece, GetParam());
  std::shared_ptr<const torrent_info> ti = std::make_shared<const torrent_info>(t.ti);
  v2_hash_store store{t.ti};
  std::shared_ptr<storage> st = make_file_storage(ti, dir.path);
  disk_io io{2};

  std::vector<std::uint8_t> piece_bytes(int p) const {
    const auto at = static_cast<std::size_t>(p * piece);
    const auto n = static_cast<std::size_t>(ti->piece_size(piece_index{p}));
    return {t.stream.begin() + static_cast<std::ptrdiff_t>(at), t.stream.begin() + static_cast<std::ptrdiff_t>(at + n)};
  }
  piece_write_result hash_and_write(int p, std::vector<std::uint8_t> data, std::optional<v2_piece_check> v2) {
    std::optional<piece_write_result> res;
    io.async_hash_and_write(st, ti, piece_index{p}, std::move(data), ctx.get_executor(),
                            [&](piece_write_result r) { res = std::move(r); }, false, v2);
    EXPECT_TRUE(run_until(ctx, [&] { return res.has_value(); }));
    return res ? std::move(*res) : piece_write_result{};
  }
  check_result check(std::shared_ptr<const v2_piece_targets> v2) {
    std::optional<check_result> res;
    io.async_check(st, ti, ctx.get_executor(), {}, [&](check_result r) { res = std::move(r); }, {}, {}, std::move(v2));
    EXPECT_TRUE(run_until(ctx, [&] { return res.has_value(); }));
    return res ? std::move(*res) : check_result{};
  }
};

TEST_P(DiskIoV2, EveryPiecePassesAndTheCheckFindsThemAll) {
  ASSERT_TRUE(st->initialize());
  ASSERT_EQ(ti->num_pieces(), 5);
  for (int p = 0; p < ti->num_pieces(); ++p) {
    auto r = hash_and_write(p, piece_bytes(p), store.piece_check(piece_index{p}));
    EXPECT_TRUE(r.hash_passed) << p;
    EXPECT_FALSE(r.error);
    EXPECT_TRUE(r.v2_block_hashes.empty());  // not asked for on pass
  }
  EXPECT_EQ(check(store.snapshot()).have.count(), 5);
  // Without the targets a v2-only piece cannot be verified; a hybrid's SHA-1 still can.
  EXPECT_EQ(check(nullptr).have.count(), GetParam() ? 5 : 0);
}

TEST_P(DiskIoV2, ABadBlockFailsThePieceWithItsV2BlockHashes) {
  ASSERT_TRUE(st->initialize());
  auto data = piece_bytes(2);  // the first file's tail: 20,000 bytes, then padding
  data[block_size + 5] ^= 0x40;
  auto r = hash_and_write(2, data, store.piece_check(piece_index{2}));
  EXPECT_FALSE(r.hash_passed);
  // Only the file's bytes: two blocks, the second 3,616 bytes.
  ASSERT_EQ(r.v2_block_hashes.size(), 2u);
  EXPECT_EQ(r.v2_block_hashes[0], sha256(std::as_bytes(std::span(data).first(block_size))));
  EXPECT_EQ(r.v2_block_hashes[1], sha256(std::as_bytes(std::span(data).subspan(block_size, 20'000 - block_size))));
  EXPECT_EQ(r.block_hashes.size(), 4u);  // SHA-1 of the piece's blocks, padding included (smart ban)
  EXPECT_EQ(check(store.snapshot()).have.count(), 0);  // nothing written
}

TEST_P(DiskIoV2, AV2PieceWithoutItsTargetNeverPasses) {
  ASSERT_TRUE(st->initialize());
  auto r = hash_and_write(0, piece_bytes(0), std::nullopt);
  EXPECT_EQ(r.hash_passed, GetParam());  // a hybrid's SHA-1 alone decides then
}

TEST_P(DiskIoV2, PaddingMustBeZeros) {
  ASSERT_TRUE(st->initialize());
  auto data = piece_bytes(2);
  data.back() = 1;  // padding after the first file's tail
  EXPECT_FALSE(hash_and_write(2, data, store.piece_check(piece_index{2})).hash_passed);
}

INSTANTIATE_TEST_SUITE_P(V2AndHybrid, DiskIoV2, ::testing::Bool(),
                         [](const auto& p) { return p.param ? "Hybrid" : "V2Only"; });

// A hybrid whose v1 and v2 hashes describe different data is a bad torrent: its pieces fail.
TEST(PieceCheck, AHybridPiecePassesOnlyWhenBothHashesMatch) {
  auto t = make_v2_torrent(files(), piece, true);
  auto other = make_v2_torrent({random_bytes(2 * piece + 20'000, 99)}, piece, false);
  v2_hash_store mine(t.ti), theirs(other.ti);
  auto data = std::span(t.stream).first(static_cast<std::size_t>(piece));
  EXPECT_TRUE(piece_matches(t.ti, piece_index{0}, data, mine.piece_check(piece_index{0})));
  EXPECT_FALSE(piece_matches(t.ti, piece_index{0}, data, theirs.piece_check(piece_index{0})));  // v2 disagrees
  auto wrong_v1 = t.ti;
  wrong_v1 = tessera::detail::edited(wrong_v1, [](auto& tb) { tb.piece_hashes[0].bytes[0] ^= 1; });
  EXPECT_FALSE(piece_matches(wrong_v1, piece_index{0}, data, mine.piece_check(piece_index{0})));
  EXPECT_FALSE(piece_matches(t.ti, piece_index{-1}, data, mine.piece_check(piece_index{0})));
}

}  // namespace
}  // namespace tessera::detail
