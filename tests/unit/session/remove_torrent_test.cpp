// session::remove_torrent returns once the torrent is detached; its stop (the `stopped`
// announce, files closed or deleted) runs in the background and ends with torrent_removed.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>

#include "core/torrent_info_builder.hpp"
#include "session_test_support.hpp"
#include "tessera/session.hpp"

namespace tessera {
namespace {

using namespace test;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

/// An HTTP tracker that answers the first announce (so the torrent owes it a `stopped`) and
/// then never answers again: later connections are accepted, read and held open in silence.
class silent_tracker {
 public:
  silent_tracker() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    asio::co_spawn(io_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~silent_tracker() {
    io_.stop();
    thread_.join();
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/announce";
  }
  int answered() const { return answered_; }
  /// Requests received and left unanswered.
  int ignored() const { return ignored_; }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto sock = co_await acceptor_.async_accept(asio::use_awaitable);
      asio::co_spawn(io_, serve(std::move(sock)), asio::detached);
    }
  }
  asio::awaitable<void> serve(tcp::socket sock) {
    try {
      std::string in;
      co_await asio::async_read_until(sock, asio::dynamic_buffer(in, 64 * 1024), "\r\n\r\n", asio::use_awaitable);
      if (answered_ > 0) {
        ++ignored_;
        asio::steady_timer never(io_, 1h);  // holds the connection until the tracker goes
        co_await never.async_wait(asio::use_awaitable);
        co_return;
      }
      std::string body = "d8:intervali1800e5:peers0:e";
      std::string out = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                        "\r\nConnection: close\r\n\r\n" + body;
      co_await asio::async_write(sock, asio::buffer(out), asio::use_awaitable);
      ++answered_;
    } catch (const std::exception&) {
    }
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<int> answered_{0};
  std::atomic<int> ignored_{0};
};

/// The torrent has the tracker's answer to its first announce: it owes the tracker a `stopped`.
bool announced(const torrent_handle& h) {
  auto tr = h.trackers();
  return tr && !tr->empty() && (*tr)[0].announces >= 1;
}

struct removed_events {
  std::mutex m;
  std::condition_variable cv;
  std::optional<clock_type::time_point> at;
  bool data_deleted = false;
  void operator()(const event& e) {
    if (const auto* r = std::get_if<events::torrent_removed>(&e)) {
      std::lock_guard lock(m);
      at = clock_type::now();
      data_deleted = r->data_deleted;
      cv.notify_all();
    }
  }
  bool wait(std::chrono::seconds limit) {
    std::unique_lock lock(m);
    return cv.wait_for(lock, limit, [&] { return at.has_value(); });
  }
};

TEST(RemoveTorrent, ReturnsAtOnceWhileTheStoppedAnnounceHangsAndDeletesInTheBackground) {
  auto t = make_torrent(311, 32 * 1024, 50000, 40000);
  silent_tracker tracker;
  t.ti = std::make_shared<tessera::torrent_info>(tessera::detail::edited(*t.ti, [&](auto& tb) {
    tb.trackers = {{tracker.url()}};
  }));
  temp_dir dir;
  write_payload(t, dir.path);
  auto settings = loopback_settings("127.0.0.1");
  settings.stop_announce_timeout = 4s;  // the `stopped` announce hangs this long
  session ses(settings);
  auto events = std::make_shared<removed_events>();
  ses.set_event_handler([events](const event& e) { (*events)(e); });
  auto h = add_test_torrent(ses, t, dir.path);
  ASSERT_TRUE(wait_for_status(h, [](const torrent_status& s) { return s.state == torrent_state::seeding; }));
  ASSERT_TRUE(eventually([&] { return announced(h); }, 10s)) << "the `started` announce was answered";

  const auto before = clock_type::now();
  auto r = ses.remove_torrent(h, remove_flags::delete_data);
  const auto returned = clock_type::now();
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_LT(returned - before, 2s) << "remove_torrent waited for the silent tracker";
  // Detached at once.
  EXPECT_FALSE(h.is_valid());
  EXPECT_EQ(h.status().error(), std::errc::no_such_process);
  EXPECT_FALSE(ses.find_torrent(t.ti->info_hash()).has_value());
  EXPECT_TRUE(ses.get_torrent_status().empty());
  EXPECT_EQ(ses.remove_torrent(h).error(), std::errc::no_such_process);
  // Until torrent_removed, the same torrent cannot be added again.
  {
    std::lock_guard lock(events->m);
    if (!events->at) {
      add_torrent_params again;
      again.ti = t.ti;
      again.save_path = dir.path;
      auto a = ses.add_torrent(again);
      ASSERT_FALSE(a);
      EXPECT_EQ(a.error(), std::errc::device_or_resource_busy);
    }
  }
  // The background part: the `stopped` announce is sent (and never answered), then the files go.
  ASSERT_TRUE(events->wait(20s)) << "no torrent_removed";
  EXPECT_GE(tracker.ignored(), 1) << "the `stopped` announce was sent";
  EXPECT_GE(*events->at - before, 3s) << "torrent_removed came after the stop timed out";
  EXPECT_TRUE(events->data_deleted);
  EXPECT_FALSE(std::filesystem::exists(dir.path / "multi"));
  // Then it may be added again.
  add_torrent_params again;
  again.ti = t.ti;
  again.save_path = dir.path;
  EXPECT_TRUE(ses.add_torrent(again));
}

TEST(RemoveTorrent, StopWaitsForRemovalsStillInFlight) {
  auto t = make_torrent(312, 32 * 1024, 50000, 40000);
  silent_tracker tracker;
  t.ti = std::make_shared<tessera::torrent_info>(tessera::detail::edited(*t.ti, [&](auto& tb) {
    tb.trackers = {{tracker.url()}};
  }));
  temp_dir dir;
  write_payload(t, dir.path);
  auto settings = loopback_settings("127.0.0.1");
  settings.stop_announce_timeout = 2s;
  auto events = std::make_shared<removed_events>();
  {
    session ses(settings);
    ses.set_event_handler([events](const event& e) { (*events)(e); });
    auto h = add_test_torrent(ses, t, dir.path);
    ASSERT_TRUE(wait_for_status(h, [](const torrent_status& s) { return s.state == torrent_state::seeding; }));
    ASSERT_TRUE(eventually([&] { return announced(h); }, 10s));
    ASSERT_TRUE(ses.remove_torrent(h, remove_flags::delete_data));
    const auto before = clock_type::now();
    ses.stop();  // the removal in flight ends first, and its event is delivered
    EXPECT_GE(clock_type::now() - before, 1500ms) << "stop() waited for the `stopped` announce of the removal";
    std::lock_guard lock(events->m);
    EXPECT_TRUE(events->at.has_value()) << "stop() returned before the removal ended";
    EXPECT_TRUE(events->data_deleted);
  }
  EXPECT_FALSE(std::filesystem::exists(dir.path / "multi"));
}

}  // namespace
}  // namespace tessera
