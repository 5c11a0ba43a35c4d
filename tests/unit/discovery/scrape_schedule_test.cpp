// The scrape schedule: first scrape after the first announce, every 30 minutes after, back-off
// after failures, forced scrapes bounded by the last one and the tracker's min_request_interval.
#include <gtest/gtest.h>

#include "discovery/scrape_schedule.hpp"

namespace tessera::detail {
namespace {

using namespace std::chrono_literals;
using tp = scrape_schedule::time_point;

const tp t0 = tp{} + 1000h;

TEST(ScrapeSchedule, NothingIsDueBeforeTheFirstAnnounce) {
  scrape_schedule s(2, {});
  EXPECT_FALSE(s.next_due());
  EXPECT_TRUE(s.take_due(t0 + 10h).empty());
}

TEST(ScrapeSchedule, FirstAnnounceMakesEveryTrackerDueShortlyAfter) {
  scrape_timing t;
  t.after_announce = 5s;
  scrape_schedule s(3, t);
  s.announced(t0);
  EXPECT_EQ(s.next_due(), t0 + 5s);
  EXPECT_TRUE(s.take_due(t0 + 4s).empty());
  EXPECT_EQ(s.take_due(t0 + 5s), (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_TRUE(s.in_flight(1));
  EXPECT_FALSE(s.due(1));
  EXPECT_FALSE(s.next_due());
  // In flight: not taken again.
  EXPECT_TRUE(s.take_due(t0 + 1h).empty());
}

TEST(ScrapeSchedule, SuccessPlansTheNextAfterThirtyMinutesOrTheTrackersMinimum) {
  scrape_schedule s(2, {});
  s.announced(t0);
  ASSERT_EQ(s.take_due(t0 + 5s).size(), 2u);
  s.succeeded(0, t0 + 6s, 0s);
  s.succeeded(1, t0 + 6s, 2h);
  EXPECT_EQ(s.due(0), t0 + 6s + 30min);
  EXPECT_EQ(s.due(1), t0 + 6s + 2h);
  EXPECT_FALSE(s.in_flight(0));
  // Later announces do not bring a scrape forward.
  s.announced(t0 + 10min);
  EXPECT_EQ(s.due(0), t0 + 6s + 30min);
  EXPECT_EQ(s.take_due(t0 + 6s + 30min), (std::vector<std::size_t>{0}));
}

TEST(ScrapeSchedule, FailuresBackOffDoublingUpToTheMaximum) {
  scrape_timing t;
  t.first_retry = 60s;
  t.max_retry = 10min;
  scrape_schedule s(1, t);
  s.announced(t0);
  auto now = t0 + 5s;
  const std::chrono::seconds expected[] = {60s, 120s, 240s, 480s, 600s, 600s};
  for (auto delay : expected) {
    ASSERT_EQ(s.take_due(now).size(), 1u);
    s.failed(0, now);
    ASSERT_EQ(s.due(0), now + delay);
    now += delay;
  }
  EXPECT_EQ(s.failures(0), 6);
  ASSERT_EQ(s.take_due(now).size(), 1u);
  s.succeeded(0, now, 0s);
  EXPECT_EQ(s.failures(0), 0);
  EXPECT_EQ(s.due(0), now + 30min);
}

TEST(ScrapeSchedule, ForceIsNowButNotSoonerThanTheGapOrMinRequestInterval) {
  scrape_timing t;
  t.min_forced_gap = 10s;
  scrape_schedule s(2, t);
  // Never scraped: at once, even before any announce.
  s.force(t0, 1);
  EXPECT_EQ(s.due(1), t0);
  EXPECT_FALSE(s.due(0));
  ASSERT_EQ(s.take_due(t0), (std::vector<std::size_t>{1}));
  s.succeeded(1, t0 + 1s, 0s);
  s.force(t0 + 2s, 1);
  EXPECT_EQ(s.due(1), t0 + 10s);  // 10 s after the last start
  s.force(t0 + 60s);               // every tracker
  EXPECT_EQ(s.due(0), t0 + 60s);
  EXPECT_EQ(s.due(1), t0 + 10s);   // an earlier due time is kept
  ASSERT_EQ(s.take_due(t0 + 60s).size(), 2u);
  s.succeeded(1, t0 + 61s, 1h);    // the tracker asks for an hour between scrapes
  s.force(t0 + 70s, 1);
  EXPECT_EQ(s.due(1), t0 + 60s + 1h);
  // In flight: left alone; out of range: ignored.
  s.force(t0 + 70s, 0);
  EXPECT_FALSE(s.due(0));
  s.force(t0 + 70s, 7);
}

TEST(ScrapeSchedule, AfterNextAnnounceRescrapesEveryTrackerOnce) {
  scrape_timing t;
  t.after_announce = 3s;
  scrape_schedule s(2, t);
  s.announced(t0);
  ASSERT_EQ(s.take_due(t0 + 3s).size(), 2u);
  s.succeeded(0, t0 + 4s, 0s);
  s.succeeded(1, t0 + 4s, 0s);
  s.after_next_announce();
  EXPECT_EQ(s.due(0), t0 + 4s + 30min);  // nothing until the announce
  s.announced(t0 + 5min);
  EXPECT_EQ(s.due(0), t0 + 5min + 3s);
  EXPECT_EQ(s.due(1), t0 + 5min + 3s);
  ASSERT_EQ(s.take_due(t0 + 5min + 3s).size(), 2u);
  s.succeeded(0, t0 + 6min, 0s);
  s.succeeded(1, t0 + 6min, 0s);
  s.announced(t0 + 10min);  // the request was used up
  EXPECT_EQ(s.due(0), t0 + 36min);
}

}  // namespace
}  // namespace tessera::detail
