// Tracker scrapes through the public API (BEP 48): after the first successful announce every
// scrapable tracker is asked for every swarm of the torrent in one request, the figures land in
// tracker_status, a tracker URL without `announce` is never scraped, and scrape_tracker() forces
// another.
#include "session_test_support.hpp"

#include "discovery/tracker_parse.hpp"
#include "tessera/hasher.hpp"

namespace tessera {
namespace {

using namespace test;
using namespace std::chrono_literals;

std::string hash_param(const sha1_hash& h) { return "info_hash=" + detail::percent_encode(h.to_bytes()); }

std::optional<tracker_status> status_of(const torrent_handle& h, const std::string& url) {
  auto trs = h.trackers();
  if (!trs) return std::nullopt;
  for (const auto& tr : *trs) {
    if (tr.url == url) return tr;
  }
  return std::nullopt;
}

TEST(ScrapeSession, EverySwarmIsScrapedAfterTheFirstAnnounceAndOnDemand) {
  auto t = make_torrent(91);
  const std::string v2_seed = "scrape v2 91";
  t.ti->info_hash.v2 = sha256(std::string_view(v2_seed));  // a hybrid: two swarms
  const sha1_hash v1 = t.ti->info_hash.v1, v2 = t.ti->info_hash.v2_truncated();
  fake_tracker tracker({});
  tracker.scrape_figures(v1, 5, 9, 2);
  tracker.scrape_figures(v2, 1, 0, 4);
  fake_tracker other({});  // announced to at a path without `announce`: never scraped
  const std::string unscrapable = other.url().substr(0, other.url().size() - 9) + "/tracker";
  auto ti = std::make_shared<torrent_info>(*t.ti);
  ti->trackers = {{tracker.url()}, {unscrapable}};
  temp_dir dir;
  session ses(loopback_settings("127.0.0.1"));
  add_torrent_params p;
  p.ti = ti;
  p.save_path = dir.path;
  auto h = ses.add_torrent(p);
  ASSERT_TRUE(h);

  ASSERT_TRUE(eventually([&] { auto s = status_of(*h, tracker.url()); return s && s->scrapes == 1; }, 20s));
  auto s = *status_of(*h, tracker.url());
  EXPECT_EQ(s.scrape, (scrape_figures{.complete = 5, .incomplete = 2, .downloaded = 9}));
  EXPECT_EQ(s.scrape_v2, (scrape_figures{.complete = 1, .incomplete = 4, .downloaded = 0}));
  EXPECT_TRUE(s.scrape_succeeded);
  EXPECT_FALSE(s.scrape_timed_out);
  EXPECT_EQ(s.scrape_error, "");
  EXPECT_EQ(s.scrape_url, tracker.url().substr(0, tracker.url().size() - 8) + "scrape");
  EXPECT_GT(s.last_scrape_start, 0);
  EXPECT_GE(s.last_scrape, s.last_scrape_start);
  EXPECT_NEAR(static_cast<double>(s.next_scrape), static_cast<double>(s.last_scrape + 1800), 2.0);
  EXPECT_EQ(s.scrape_state, tracker_scrape_state::waiting);
  // One request for both swarms, after an announce.
  const auto scrapes = tracker.scrapes();
  ASSERT_EQ(scrapes.size(), 1u);
  EXPECT_NE(scrapes[0].find("GET /scrape?" + hash_param(v1) + "&" + hash_param(v2) + " "), std::string::npos) << scrapes[0];
  EXPECT_FALSE(tracker.requests().empty());

  // The unscrapable tracker (a second tier, so never announced to while the first answers; a
  // scrape is planned for every tracker with a scrape URL, announced to or not): never scraped.
  auto u = *status_of(*h, unscrapable);
  EXPECT_EQ(u.scrape_url, "");
  EXPECT_EQ(u.scrape_state, tracker_scrape_state::inactive);
  EXPECT_EQ(u.last_scrape, 0);
  EXPECT_EQ(u.next_scrape, 0);
  EXPECT_TRUE(other.scrapes().empty());

  // On demand: new figures, a forced scrape of tracker 0 (no sooner than 10 s after the last).
  tracker.scrape_figures(v1, 6, 10, 1);
  EXPECT_TRUE(h->scrape_tracker(0));
  EXPECT_EQ(h->scrape_tracker(2).error(), std::make_error_code(std::errc::invalid_argument));
  ASSERT_TRUE(eventually([&] { auto st = status_of(*h, tracker.url()); return st && st->scrapes == 2; }, 20s));
  s = *status_of(*h, tracker.url());
  EXPECT_EQ(s.scrape, (scrape_figures{.complete = 6, .incomplete = 1, .downloaded = 10}));
  EXPECT_EQ(tracker.scrapes().size(), 2u);
  EXPECT_TRUE(other.scrapes().empty());

  // Paused: no scraper runs, so the trackers show inactive and scrape_tracker does nothing.
  ASSERT_TRUE(h->pause());
  s = *status_of(*h, tracker.url());
  EXPECT_EQ(s.scrape_state, tracker_scrape_state::inactive);
  EXPECT_EQ(s.next_scrape, 0);
  EXPECT_EQ(s.scrape.complete, 6);  // the last figures are kept
  ses.stop();
}

TEST(ScrapeSession, PublicScrapeUrlFollowsBep48) {
  EXPECT_EQ(tracker_scrape_url("http://t.example/x/announce.php?pk=1"), "http://t.example/x/scrape.php?pk=1");
  EXPECT_EQ(tracker_scrape_url("https://t.example/tracker"), "");
  EXPECT_EQ(tracker_scrape_url("udp://t.example:1337"), "udp://t.example:1337");
  EXPECT_EQ(tracker_scrape_url("udp://t.example:1337/announce"), "udp://t.example:1337/scrape");
}

}  // namespace
}  // namespace tessera
