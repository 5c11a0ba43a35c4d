// Rate limits end to end: a seeding session on 127.0.0.2 and a leeching session on 127.0.0.3
// exchange a torrent under a session upload limit, a torrent download limit set through the
// handle, and a session download limit changed at run time; the measured rate (over a couple of
// seconds after the ramp-up) is within 10% of the limit, and lifting a limit lets the download
// finish at full speed.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "fake_peers.hpp"
#include "session_test_support.hpp"
#include "tessera/session.hpp"
#include "tessera/torrent_handle.hpp"

namespace tessera {
namespace {

using namespace test;
using namespace std::chrono_literals;

constexpr const char* seed_address = "127.0.0.2";
constexpr const char* leech_address = "127.0.0.3";

struct swarm {
  test_torrent t = make_torrent(77, 256 * 1024, 4'000'000, 4'000'000);  // ~8 MB
  temp_dir seed_dir, leech_dir;
  std::unique_ptr<session> seeder;
  std::unique_ptr<session> leecher;
  torrent_handle seed_handle, leech_handle;

  explicit swarm(session_settings seed_settings, session_settings leech_settings) {
    write_payload(t, seed_dir.path);
    seeder = std::make_unique<session>(seed_settings);
    seed_handle = add_test_torrent(*seeder, t, seed_dir.path);
    auto seeding = wait_for_status(seed_handle, is_settled);
    EXPECT_TRUE(seeding && seeding->state == torrent_state::seeding);
    leecher = std::make_unique<session>(leech_settings);
    leech_handle = add_test_torrent(*leecher, t, leech_dir.path, {endpoint_of(seed_address, seeder->listen_port())});
  }

  std::int64_t downloaded() const {
    auto s = leech_handle.status();
    return s ? s->total_downloaded : -1;
  }

  /// Waits for `ramp_up` bytes, then measures the leecher's download rate (bytes/s) over `window`.
  double measure(std::int64_t ramp_up, std::chrono::milliseconds window) {
    auto started = wait_for_status(leech_handle, [&](const torrent_status& s) { return s.total_downloaded >= ramp_up; }, 15s);
    EXPECT_TRUE(started && started->total_downloaded >= ramp_up);
    const auto t0 = std::chrono::steady_clock::now();
    const std::int64_t b0 = downloaded();
    std::this_thread::sleep_for(window);
    const std::int64_t b1 = downloaded();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return double(b1 - b0) / secs;
  }

  bool finished(std::chrono::seconds limit) {
    auto s = wait_for_status(leech_handle, [](const torrent_status& st) {
      return st.state == torrent_state::seeding || st.state == torrent_state::error;
    }, limit);
    return s && s->state == torrent_state::seeding;
  }
};

TEST(RateLimit, SessionUploadLimitHoldsTheSeedersRateWithinTenPercent) {
  auto seed_settings = loopback_settings(seed_address);
  constexpr std::int64_t limit = 600'000;
  seed_settings.upload_rate_limit = limit;
  swarm s(seed_settings, loopback_settings(leech_address));
  const double rate = s.measure(300'000, 2500ms);
  EXPECT_GT(rate, limit * 0.9);
  EXPECT_LT(rate, limit * 1.1);
  // Lifting the limit at run time wakes the waiting connection: the rest comes at full speed.
  s.seeder->set_upload_rate_limit(0);
  EXPECT_TRUE(s.finished(10s));
}

TEST(RateLimit, TorrentDownloadLimitThroughTheHandleHoldsTheLeechersRate) {
  // The seeder starts slow, so that the download is still running when the limit is set.
  auto seed_settings = loopback_settings(seed_address);
  seed_settings.upload_rate_limit = 100'000;
  swarm s(seed_settings, loopback_settings(leech_address));
  constexpr std::int64_t limit = 500'000;
  auto r = s.leech_handle.set_download_limit(limit);
  ASSERT_TRUE(r) << r.error().message();
  s.seeder->set_upload_rate_limit(0);
  // The ramp-up threshold also covers what arrived before the limit was set.
  const double rate = s.measure(s.downloaded() + 300'000, 2500ms);
  EXPECT_GT(rate, limit * 0.9);
  EXPECT_LT(rate, limit * 1.1);
  ASSERT_TRUE(s.leech_handle.set_download_limit(0));
  EXPECT_TRUE(s.finished(10s));
}

TEST(RateLimit, SessionDownloadLimitChangedWhileRunningTakesTheNewRate) {
  auto leech_settings = loopback_settings(leech_address);
  leech_settings.download_rate_limit = 200'000;
  swarm s(loopback_settings(seed_address), leech_settings);
  const double slow = s.measure(100'000, 1500ms);
  EXPECT_GT(slow, 200'000 * 0.9);
  EXPECT_LT(slow, 200'000 * 1.1);
  constexpr std::int64_t raised = 800'000;
  s.leecher->set_download_rate_limit(raised);
  const double fast = s.measure(s.downloaded() + 200'000, 2000ms);
  EXPECT_GT(fast, raised * 0.9);
  EXPECT_LT(fast, raised * 1.1);
}

TEST(RateLimit, HandleOfAGoneSessionFailsWithNoSuchProcess) {
  torrent_handle h;
  {
    swarm s(loopback_settings(seed_address), loopback_settings(leech_address));
    h = s.leech_handle;
    ASSERT_TRUE(h.set_upload_limit(1000));
  }
  auto r = h.set_download_limit(1000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::no_such_process);
  EXPECT_EQ(h.set_upload_limit(0).error(), std::errc::no_such_process);
}

}  // namespace
}  // namespace tessera
