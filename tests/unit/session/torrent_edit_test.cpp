// Edits of a torrent at run time through the public API: replacing its tracker list.
// Sessions on 127.0.0.x, no DHT, no LSD; trackers are fake_tracker on loopback.
#include <gtest/gtest.h>

#include "session_test_support.hpp"

namespace tessera {
namespace {

using namespace test;
using namespace std::chrono_literals;

bool has_request(fake_tracker& tr, const std::string& what) {
  for (const auto& r : tr.requests()) {
    if (r.find(what) != std::string::npos) return true;
  }
  return false;
}

std::vector<std::string> urls_of(const torrent_handle& h) {
  std::vector<std::string> out;
  if (auto trs = h.trackers()) {
    for (const auto& t : *trs) out.push_back(t.url + "@" + std::to_string(t.tier));
  }
  return out;
}

TEST(TrackerUrl, AcceptsHttpHttpsUdpWithAHostOnly) {
  EXPECT_TRUE(is_valid_tracker_url("http://t.example/announce"));
  EXPECT_TRUE(is_valid_tracker_url("HTTPS://t.example:443/a?passkey=x"));
  EXPECT_TRUE(is_valid_tracker_url("udp://10.0.0.1:6969"));
  EXPECT_TRUE(is_valid_tracker_url("http://user@t.example/announce"));
  EXPECT_FALSE(is_valid_tracker_url(""));
  EXPECT_FALSE(is_valid_tracker_url("ftp://t.example/announce"));
  EXPECT_FALSE(is_valid_tracker_url("http:///announce"));
  EXPECT_FALSE(is_valid_tracker_url("http://:80/announce"));
  EXPECT_FALSE(is_valid_tracker_url("http://t.example/an nounce"));
  EXPECT_FALSE(is_valid_tracker_url("udp://t.example\n"));
  EXPECT_FALSE(is_valid_tracker_url("t.example/announce"));
  EXPECT_FALSE(is_valid_tracker_url("http://" + std::string(3000, 'a')));
}

TEST(ReplaceTrackers, AnnouncesStartedToTheNewListAndStoppedToTheOld) {
  auto t = make_torrent(71);
  fake_seeder seeder(t, "127.0.0.5");
  fake_tracker old_tracker({seeder.local_endpoint()});
  fake_tracker new_tracker({seeder.local_endpoint()});
  auto ti = std::make_shared<torrent_info>(*t.ti);
  ti->trackers = {{old_tracker.url()}};
  temp_dir dir;
  session ses(loopback_settings("127.0.0.1"));
  add_torrent_params p;
  p.ti = ti;
  p.save_path = dir.path;
  auto h = add_checked(ses, p);
  ASSERT_TRUE(eventually([&] { return has_request(old_tracker, "event=started"); }, 10s));

  ASSERT_TRUE(h.replace_trackers({{new_tracker.url()}, {}, {"udp://127.0.0.1:9", new_tracker.url()}}));
  // Empty tiers and repeated URLs are dropped.
  EXPECT_EQ(urls_of(h), (std::vector<std::string>{new_tracker.url() + "@0", "udp://127.0.0.1:9@1"}));
  EXPECT_TRUE(eventually([&] { return has_request(new_tracker, "event=started"); }, 10s));
  EXPECT_TRUE(eventually([&] { return has_request(old_tracker, "event=stopped"); }, 10s));
  // The download goes on with peers from the new tracker.
  auto s = wait_for_status(h, is_settled);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, torrent_state::seeding) << s->error;
}

TEST(ReplaceTrackers, RefusesAnInvalidUrlAndChangesNothing) {
  auto t = make_torrent(72);
  temp_dir dir;
  session ses(loopback_settings("127.0.0.1"));
  auto ti = std::make_shared<torrent_info>(*t.ti);
  ti->trackers = {{"http://127.0.0.1:1/announce"}};
  add_torrent_params p;
  p.ti = ti;
  p.save_path = dir.path;
  p.paused = true;
  auto h = add_checked(ses, p);
  auto r = h.replace_trackers({{"http://127.0.0.1:2/announce"}, {"ftp://127.0.0.1/x"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::make_error_code(std::errc::invalid_argument));
  EXPECT_EQ(urls_of(h), (std::vector<std::string>{"http://127.0.0.1:1/announce@0"}));
  // A paused torrent takes the new list without announcing; resume announces to it.
  fake_tracker tracker({});
  ASSERT_TRUE(h.replace_trackers({{tracker.url()}}));
  EXPECT_TRUE(h.replace_trackers({}));
  EXPECT_TRUE(urls_of(h).empty());
  ASSERT_TRUE(h.replace_trackers({{tracker.url()}}));
  ASSERT_TRUE(wait_for_status(h, [](const torrent_status& s) { return s.state != torrent_state::checking; }));
  EXPECT_TRUE(tracker.requests().empty());
  ASSERT_TRUE(h.resume());
  EXPECT_TRUE(eventually([&] { return has_request(tracker, "event=started"); }, 10s));
}

TEST(ReplaceTrackers, FailsOnAGoneTorrent) {
  torrent_handle none;
  auto r = none.replace_trackers({{"http://127.0.0.1:1/announce"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::make_error_code(std::errc::no_such_process));
}

}  // namespace
}  // namespace tessera
