// A v2-only torrent whose piece layers are not known (a magnet's bare info dictionary): the
// pieces of files larger than one piece are not requested until their layer entries are added to
// the torrent's hash store and on_piece_layers_known names them (what the BEP 52 `hashes`
// exchange does); then the download completes, every piece verified by its merkle target.
#include <chrono>
#include <memory>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "../session/fake_peers.hpp"
#include "../support/v2_test_torrent.hpp"
#include "core/torrent_info_builder.hpp"
#include "tessera/storage.hpp"
#include "torrent/torrent.hpp"

namespace tessera::detail {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t piece = 32 * 1024;

TEST(TorrentV2Layers, PiecesBecomePickableWhenTheirLayerEntriesArrive) {
  auto full = test_support::make_v2_torrent(
      {test_support::random_bytes(3 * piece + 5, 60), test_support::random_bytes(900, 61),
       test_support::random_bytes(2 * piece, 62)},
      piece, false, true);
  auto bare_ti = std::make_shared<torrent_info>(
      tessera::detail::edited(full.ti, [](auto& tb) { tb.piece_layers.clear(); }));
  test::test_torrent served{bare_ti, full.stream};
  test::fake_seeder seeder(served, "127.0.0.2");

  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  disk_io disk{2};
  std::shared_ptr<storage> st = memory_storage_factory()(bare_ti, "");
  ASSERT_TRUE(st);
  ASSERT_TRUE(st->initialize());
  torrent_context ctx;
  ctx.ex = io.get_executor();
  ctx.disk = &disk;
  auto t = std::make_shared<torrent>(std::move(ctx), bare_ti, st,
                                     std::vector<torrent::endpoint>{seeder.local_endpoint()});
  auto run_until = [&](auto pred) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!pred() && std::chrono::steady_clock::now() < deadline) io.run_one_for(10ms);
    return pred();
  };
  ASSERT_FALSE(t->v2_hashes().all_layers_known());
  EXPECT_FALSE(t->piece_hash_known(piece_index{0}));
  EXPECT_TRUE(t->piece_hash_known(piece_index{4}));  // the one-piece file
  t->start();
  // Only the one-piece file's piece: the others have no target.
  ASSERT_TRUE(run_until([&] { return t->status().pieces_done == 1; }));
  EXPECT_EQ(seeder.bytes_served(), piece);
  // The first file's layer, in two ranges (as `hashes` replies bring it).
  const auto& root0 = t->v2_hashes().files()[0].pieces_root;
  const auto& layer0 = full.ti.piece_layers().at(root0);
  auto fresh = t->v2_hashes().add_piece_layer(root0, 0, std::span(layer0).first(2));
  t->on_piece_layers_known(fresh);
  ASSERT_TRUE(run_until([&] { return t->status().pieces_done == 3; }));
  fresh = t->v2_hashes().add_piece_layer(root0, 2, std::span(layer0).subspan(2));
  t->on_piece_layers_known(fresh);
  ASSERT_TRUE(run_until([&] { return t->status().pieces_done == 5; }));
  EXPECT_NE(t->state(), torrent_state::seeding);
  const auto& root2 = t->v2_hashes().files()[2].pieces_root;
  t->on_piece_layers_known(t->v2_hashes().add_piece_layer(root2, 0, full.ti.piece_layers().at(root2)));
  ASSERT_TRUE(run_until([&] { return t->state() == torrent_state::seeding; }));
  EXPECT_TRUE(t->v2_hashes().all_layers_known());
  EXPECT_EQ(t->v2_hashes().layers_to_save().size(), 2u);  // what its resume data will keep
  EXPECT_EQ(t->status().total_wasted, 0);
  std::vector<std::uint8_t> got(full.stream.size());
  auto r = st->read(0, got);
  ASSERT_TRUE(r);
  for (const auto& f : full.ti.files()) {
    if (f.pad) continue;
    EXPECT_TRUE(std::equal(got.begin() + f.offset, got.begin() + f.offset + f.size, full.stream.begin() + f.offset))
        << f.path;
  }
  bool stopped = false;
  boost::asio::co_spawn(io, [](std::shared_ptr<torrent> tt, bool* flag) -> boost::asio::awaitable<void> {
    co_await tt->stop();
    *flag = true;
  }(t, &stopped), boost::asio::detached);
  run_until([&] { return stopped; });
}

}  // namespace
}  // namespace tessera::detail
