// The bounded event queue (docs/hardening.md, "Event queue"): a handler blocked on its first event
// while many more are emitted. Droppable events beyond the queue size drop the oldest waiting;
// must-deliver ones all arrive, in order; an events_dropped event tells the handler how many went.
#include <condition_variable>
#include <mutex>
#include <vector>

#include "session/event_dispatcher.hpp"
#include "session_test_support.hpp"

namespace tessera {
namespace {

using namespace test;
using namespace std::chrono_literals;

info_hash_t hash_of(std::uint8_t b) {
  info_hash_t h;
  h.v1.bytes.fill(b);
  return h;
}

/// A handler that records every event and blocks in its first call until release().
struct blocked_handler {
  std::mutex mu;
  std::condition_variable cv;
  bool released = false;
  bool in_first = false;
  std::vector<event> got;

  std::function<void(const event&)> fn() {
    return [this](const event& e) {
      std::unique_lock lock(mu);
      got.push_back(e);
      if (got.size() == 1) {
        in_first = true;
        cv.notify_all();
        cv.wait(lock, [this] { return released; });
      }
    };
  }
  bool wait_blocked() {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, 5s, [this] { return in_first; });
  }
  void release() {
    std::lock_guard lock(mu);
    released = true;
    cv.notify_all();
  }
  template <class T>
  std::vector<T> all() {
    std::lock_guard lock(mu);
    std::vector<T> out;
    for (const auto& e : got) {
      if (const auto* x = std::get_if<T>(&e)) out.push_back(*x);
    }
    return out;
  }
  /// Releases the handler however the test ends, so the event thread can be joined.
  struct guard {
    blocked_handler& h;
    ~guard() { h.release(); }
  };
};

TEST(EventQueue, DroppableEventsBeyondTheQueueSizeDropTheOldest) {
  const auto ih = hash_of(1);
  detail::event_dispatcher d;  // the default queue size: 2000, as session_settings
  blocked_handler h;
  blocked_handler::guard g{h};
  d.set_handler(h.fn());
  d.push(events::torrent_added{ih});
  ASSERT_TRUE(h.wait_blocked());
  const int n = 5000;
  for (int i = 0; i < n; ++i) d.push(events::tracker_reply{ih, "http://t", i});
  d.push(events::torrent_finished{ih});
  h.release();
  d.drain();
  const auto replies = h.all<events::tracker_reply>();
  ASSERT_EQ(replies.size(), 2000u) << "droppable events kept behind a blocked handler";
  EXPECT_EQ(replies.front().peers, n - 2000) << "the oldest were dropped, the newest kept";
  EXPECT_EQ(replies.back().peers, n - 1);
  EXPECT_EQ(h.all<events::torrent_finished>().size(), 1u);
  EXPECT_EQ(d.dropped(), static_cast<std::uint64_t>(n - 2000));
}

TEST(EventQueue, MustDeliverEventsAreNeverDroppedAndKeepTheirOrder) {
  const auto ih = hash_of(2);
  detail::event_dispatcher d(1);
  blocked_handler h;
  blocked_handler::guard g{h};
  d.set_handler(h.fn());
  d.push(events::torrent_added{ih});
  ASSERT_TRUE(h.wait_blocked());
  for (int i = 0; i < 1000; ++i) {
    d.push(events::piece_verified{ih, piece_index{i}});
    d.push(events::storage_moved{ih, std::to_string(i), ""});
  }
  EXPECT_EQ(d.queued_now(), 1001u) << "1000 must-deliver events and the newest droppable one";
  h.release();
  d.drain();
  const auto moved = h.all<events::storage_moved>();
  ASSERT_EQ(moved.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(moved[static_cast<std::size_t>(i)].path, std::to_string(i));
  const auto pieces = h.all<events::piece_verified>();
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(pieces[0].piece, piece_index{999});
}

TEST(EventQueue, HandlersAreToldHowManyEventsWereDropped) {
  const auto busy = hash_of(3);
  const auto quiet = hash_of(4);
  detail::event_dispatcher d(10);
  blocked_handler all;
  blocked_handler::guard g{all};
  std::mutex mu;
  std::vector<event> busy_got;
  d.set_handler(all.fn());
  d.set_torrent_handler(busy, [&](const event& e) {
    std::lock_guard lock(mu);
    busy_got.push_back(e);
  });
  d.push(events::torrent_added{quiet});
  ASSERT_TRUE(all.wait_blocked());
  for (int i = 0; i < 15; ++i) {  // 30 droppable events, 10 kept: 10 of each torrent dropped
    d.push(events::piece_verified{busy, piece_index{i}});
    d.push(events::piece_verified{quiet, piece_index{i}});
  }
  d.push(events::torrent_error{quiet, "disk full"});
  all.release();
  d.drain();
  const auto reports = all.all<events::events_dropped>();
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].info_hash, info_hash_t{}) << "the session-wide report";
  EXPECT_EQ(reports[0].count, 20u);
  EXPECT_EQ(reports[0].total, 20u);
  {
    std::lock_guard lock(all.mu);
    ASSERT_GE(all.got.size(), 2u);
    EXPECT_TRUE(std::holds_alternative<events::events_dropped>(all.got[1])) << "reported before the events after the gap";
  }
  std::lock_guard lock(mu);
  ASSERT_FALSE(busy_got.empty());
  const auto* mine = std::get_if<events::events_dropped>(&busy_got.front());
  ASSERT_NE(mine, nullptr) << "the torrent's own handler hears of its own drops first";
  EXPECT_EQ(mine->info_hash, busy);
  EXPECT_EQ(mine->count, 10u);
  EXPECT_EQ(all.all<events::torrent_error>().size(), 1u);
  EXPECT_EQ(d.dropped(), 20u);
}

TEST(EventQueue, ASessionWhoseHandlerIsStuckKeepsDownloadingAndBoundsItsEvents) {
  // 64 pieces of 16 KiB: 64 piece_verified events, far beyond a queue of 8.
  auto t = make_torrent(97, 16 * 1024, 1'000'000, 48'575);
  temp_dir seed_dir, leech_dir;
  write_payload(t, seed_dir.path);
  session seeder(loopback_settings("127.0.0.2"));
  add_test_torrent(seeder, t, seed_dir.path);
  auto ls = loopback_settings("127.0.0.3");
  ls.event_queue_size = 8;
  session leecher(ls);
  blocked_handler h;
  blocked_handler::guard g{h};
  leecher.set_event_handler(h.fn());
  auto lh = add_test_torrent(leecher, t, leech_dir.path, {endpoint_of("127.0.0.2", seeder.listen_port())});
  ASSERT_TRUE(h.wait_blocked());
  // The engine does not wait for the handler.
  auto st = wait_for_status(lh, is_settled);
  ASSERT_TRUE(st);
  ASSERT_EQ(st->state, torrent_state::seeding);
  h.release();
  ASSERT_TRUE(eventually([&] { return !h.all<events::torrent_finished>().empty(); }, 10s));
  const auto pieces = h.all<events::piece_verified>();
  EXPECT_LE(pieces.size(), 8u);
  const auto reports = h.all<events::events_dropped>();
  ASSERT_FALSE(reports.empty());
  std::uint64_t dropped = 0;
  for (const auto& r : reports) dropped += r.count;
  EXPECT_GE(dropped, static_cast<std::uint64_t>(t.ti->num_pieces()) - 8);
  EXPECT_EQ(h.all<events::torrent_checked>().size(), 1u) << "must-deliver";
  bool seeding_seen = false;
  for (const auto& c : h.all<events::state_changed>()) seeding_seen = seeding_seen || c.to == torrent_state::seeding;
  EXPECT_TRUE(seeding_seen) << "must-deliver";
}

}  // namespace
}  // namespace tessera

namespace tessera {
namespace {

/// Records the kinds of the events it gets (index into the event variant).
struct kinds {
  std::mutex mu;
  std::vector<std::size_t> got;
  std::function<void(const event&)> fn() {
    return [this](const event& e) {
      std::lock_guard lock(mu);
      got.push_back(e.index());
    };
  }
  std::vector<std::size_t> all() {
    std::lock_guard lock(mu);
    return got;
  }
};

std::size_t kind_of(const event& e) { return e.index(); }

TEST(EventQueue, ARemovedTorrentsHandlerGoesWithItsLastEventAndSparesTheNextOnes) {
  const info_hash_t ih = hash_of(7);
  const auto added = kind_of(events::torrent_added{ih});
  const auto removed = kind_of(events::torrent_removed{ih, false});
  const auto checked = kind_of(events::torrent_checked{ih, 1, 1});
  {
    // The torrent added again registers its handler after the old torrent_removed was delivered.
    kinds old_handler, new_handler;
    detail::event_dispatcher d;
    d.set_torrent_handler(ih, old_handler.fn());
    d.push(events::torrent_added{ih});
    d.push(events::torrent_removed{ih, true});
    d.drain();
    d.set_torrent_handler(ih, new_handler.fn());
    d.push(events::torrent_added{ih});
    d.push(events::torrent_checked{ih, 1, 1});
    d.drain();
    EXPECT_EQ(old_handler.all(), (std::vector<std::size_t>{added, removed}));
    EXPECT_EQ(new_handler.all(), (std::vector<std::size_t>{added, checked})) << "not dropped by the old removal";
  }
  {
    // ... or while the old torrent_removed is still queued: that event is not the new handler's,
    // and does not drop it. (Set from the delivery thread, in the old handler's first call, once
    // the removal is queued: the order is then certain.)
    kinds new_handler;
    std::mutex mu;
    std::condition_variable cv;
    bool removal_queued = false;
    std::vector<std::size_t> old_got;
    detail::event_dispatcher d;
    d.set_torrent_handler(ih, [&](const event& e) {
      std::unique_lock lock(mu);
      old_got.push_back(e.index());
      cv.wait(lock, [&] { return removal_queued; });
      d.set_torrent_handler(ih, new_handler.fn());  // the torrent was added again
    });
    d.push(events::torrent_added{ih});
    d.push(events::torrent_removed{ih, true});
    {
      std::lock_guard lock(mu);
      removal_queued = true;
      cv.notify_all();
    }
    d.push(events::torrent_added{ih});
    d.push(events::torrent_checked{ih, 1, 1});
    d.drain();
    std::lock_guard lock(mu);
    EXPECT_EQ(old_got, (std::vector<std::size_t>{added}));
    EXPECT_EQ(new_handler.all(), (std::vector<std::size_t>{added, checked}));
  }
  // With no new handler, the removed torrent's handler gets nothing more.
  kinds gone;
  detail::event_dispatcher d;
  d.set_torrent_handler(ih, gone.fn());
  d.push(events::torrent_removed{ih, false});
  d.push(events::torrent_added{ih});
  d.drain();
  EXPECT_EQ(gone.all(), (std::vector<std::size_t>{removed}));
}

}  // namespace
}  // namespace tessera
