// detail::torrent driven directly (no session) against a fake seeder on loopback: the memory
// bound of piece assembly, the disk queue and the state machine.
#include "torrent/torrent.hpp"

#include <gtest/gtest.h>

#include <future>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "fake_peers.hpp"

namespace tessera::detail {
namespace {

using namespace tessera::test;
using namespace std::chrono_literals;

// Runs an io_context on its own thread; call() runs a function there and waits for its result.
struct network_thread {
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{io.get_executor()};
  std::thread thread{[this] { io.run(); }};
  ~network_thread() {
    work.reset();
    io.stop();
    thread.join();
  }
  template <class F>
  auto call(F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto fut = task.get_future();
    boost::asio::post(io, [&task] { task(); });
    return fut.get();
  }
};

// Stands in for the session's tick (session_impl::run_tick): torrent::tick once a second until
// the torrent is gone. Network thread.
void tick_every_second(boost::asio::io_context& io, std::weak_ptr<torrent> weak) {
  auto timer = std::make_shared<boost::asio::steady_timer>(io, std::chrono::seconds(1));
  timer->async_wait([&io, weak, timer](boost::system::error_code ec) {
    auto t = weak.lock();
    if (ec || !t) return;
    t->tick();
    tick_every_second(io, weak);
  });
}

TEST(TorrentSwarm, PieceMemoryStaysWithinTheAssemblyAndDiskQueueLimits) {
  constexpr std::int64_t piece = 64 * 1024;
  auto t = make_torrent(11, piece, 3 << 20, (1 << 20) + 123);  // ~4 MiB, 65 pieces
  fake_seeder seeder(t, "127.0.0.6");
  temp_dir dir;
  disk_io disk(2);
  network_thread net;
  torrent_limits limits;
  limits.max_assembling_bytes = 4 * piece;
  limits.max_disk_queue_bytes = 2 * piece;

  auto events = std::make_shared<std::vector<event>>();  // network thread only
  std::shared_ptr<torrent> tor = net.call([&] {
    torrent_context ctx;
    ctx.ex = net.io.get_executor();
    ctx.disk = &disk;
    ctx.pid = make_peer_id("TEST");
    ctx.budget = std::make_shared<connection_budget>();
    ctx.emit = [events](const event& e) { events->push_back(e); };
    auto st = make_file_storage(t.ti, dir.path);
    EXPECT_TRUE(st->initialize());
    auto tr = std::make_shared<torrent>(std::move(ctx), t.ti, st,
                                        std::vector<boost::asio::ip::tcp::endpoint>{seeder.local_endpoint()},
                                        limits);
    tr->start();
    tick_every_second(net.io, tr);
    return tr;
  });
  auto deadline = std::chrono::steady_clock::now() + 30s;
  torrent_status s;
  do {
    std::this_thread::sleep_for(20ms);
    s = net.call([&] { return tor->status(); });
  } while (s.state != torrent_state::seeding && s.state != torrent_state::error &&
           std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(s.state, torrent_state::seeding) << s.error;
  std::int64_t peak = net.call([&] { return tor->peak_buffered_bytes(); });
  EXPECT_GT(peak, 0);
  EXPECT_LE(peak, limits.max_assembling_bytes + limits.max_disk_queue_bytes + piece);
  int finished = net.call([&] {
    int n = 0;
    for (const auto& e : *events) n += std::holds_alternative<events::torrent_finished>(e);
    return n;
  });
  EXPECT_EQ(finished, 1);
  net.call([&] {
    boost::asio::co_spawn(net.io, tor->stop(), boost::asio::detached);
    return 0;
  });
  std::this_thread::sleep_for(50ms);
  expect_files_match(t, dir.path);
  net.call([&] {
    tor.reset();
    return 0;
  });
}

}  // namespace
}  // namespace tessera::detail
