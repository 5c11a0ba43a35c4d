// What the daemon publishes on its event stream: the tick's pure diff (tick_diff), then a real
// daemon with an event hub: events at once from the RPC and the engine, ticks whose deltas, applied
// by a client, give exactly torrent-get's values, nothing while nobody listens, and the cost of a
// tick with 1,000 torrents.
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <optional>

#include "rpc/event_feed.hpp"
#include "rpc/event_hub.hpp"
#include "rpc_test_support.hpp"

namespace tessera::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using rpc::tick_diff;

json::object obj(std::string_view text) { return json::parse(text).as_object(); }

// ---- the pure diff -------------------------------------------------------------------------

TEST(TickDiff, TheFirstUpdateSendsEveryTorrentWholeAndTheSession) {
  tick_diff d;
  const std::map<std::int64_t, json::object> now{{3, obj(R"({"status":4,"percentDone":0.5,"name":"x"})")},
                                                 {1, obj(R"({"status":0,"percentDone":1.0,"name":"y"})")}};
  const auto first = d.update(now, obj(R"({"downloadSpeed":5})"));
  ASSERT_EQ(first.torrents.size(), 2u);
  EXPECT_EQ(first.torrents[0], obj(R"({"id":1,"status":0,"percentDone":1.0,"name":"y"})"));
  EXPECT_EQ(first.torrents[1], obj(R"({"id":3,"status":4,"percentDone":0.5,"name":"x"})"));
  ASSERT_TRUE(first.session);
  EXPECT_EQ(*first.session, obj(R"({"downloadSpeed":5})"));
  EXPECT_TRUE(first.states.empty());
  EXPECT_TRUE(first.errors.empty());
  EXPECT_FALSE(first.empty());

  const auto again = d.update(now, obj(R"({"downloadSpeed":5})"));
  EXPECT_TRUE(again.empty());
  EXPECT_TRUE(again.torrents.empty());
  EXPECT_FALSE(again.session);
}

TEST(TickDiff, LaterUpdatesSendOnlyWhatChangedAndTellStatusChanges) {
  tick_diff d;
  std::map<std::int64_t, json::object> now{{3, obj(R"({"status":4,"percentDone":0.5,"name":"x","labels":["a"]})")},
                                           {4, obj(R"({"status":4,"percentDone":0.1,"name":"z","labels":[]})")}};
  d.update(now, obj(R"({"downloadSpeed":5})"));
  now[3]["percentDone"] = 1.0;
  now[3]["status"] = 6;
  now[4]["labels"] = json::array{"new"};
  const auto delta = d.update(now, obj(R"({"downloadSpeed":5})"));
  ASSERT_EQ(delta.torrents.size(), 2u);
  EXPECT_EQ(delta.torrents[0], obj(R"({"id":3,"percentDone":1.0,"status":6})"));
  EXPECT_EQ(delta.torrents[1], obj(R"({"id":4,"labels":["new"]})"));
  ASSERT_EQ(delta.states.size(), 1u);
  EXPECT_EQ(delta.states[0].id, 3);
  EXPECT_EQ(delta.states[0].status, 6);
  EXPECT_EQ(delta.states[0].previous, 4);
  EXPECT_FALSE(delta.session);

  const auto session = d.update(now, obj(R"({"downloadSpeed":6})"));
  EXPECT_TRUE(session.torrents.empty());
  ASSERT_TRUE(session.session);
  EXPECT_EQ(*session.session, obj(R"({"downloadSpeed":6})"));
}

TEST(TickDiff, AnErrorIsToldWhenItAppearsOrItsTextChangesButNotWhenItClears) {
  tick_diff d;
  std::map<std::int64_t, json::object> now{{7, obj(R"({"error":0,"errorString":""})")}};
  d.update(now, {});
  now[7] = obj(R"({"error":3,"errorString":"disk full"})");
  auto delta = d.update(now, {});
  ASSERT_EQ(delta.errors.size(), 1u);
  EXPECT_EQ(delta.errors[0].id, 7);
  EXPECT_EQ(delta.errors[0].error, 3);
  EXPECT_EQ(delta.errors[0].error_string, "disk full");
  now[7] = obj(R"({"error":3,"errorString":"still full"})");
  delta = d.update(now, {});
  ASSERT_EQ(delta.errors.size(), 1u);
  EXPECT_EQ(delta.errors[0].error_string, "still full");
  now[7] = obj(R"({"error":0,"errorString":""})");
  delta = d.update(now, {});
  EXPECT_TRUE(delta.errors.empty());
  ASSERT_EQ(delta.torrents.size(), 1u);  // the tick still carries the cleared error
  EXPECT_EQ(delta.torrents[0], obj(R"({"id":7,"error":0,"errorString":""})"));
}

TEST(TickDiff, NotedForgottenAbsentAndClearedTorrents) {
  tick_diff d;
  std::map<std::int64_t, json::object> now{{1, obj(R"({"status":4})")}, {2, obj(R"({"status":4})")}};
  d.update(now, {});
  // A value told by an event is not repeated by the next tick.
  d.note(1, "status", 6);
  d.note(9, "status", 6);  // not sent yet: ignored
  EXPECT_EQ(d.sent(9, "status"), nullptr);
  ASSERT_NE(d.sent(1, "status"), nullptr);
  EXPECT_EQ(*d.sent(1, "status"), 6);
  now[1]["status"] = 6;
  EXPECT_TRUE(d.update(now, {}).torrents.empty());
  // A torrent absent from a snapshot is kept as it was; a forgotten one comes back whole.
  const std::map<std::int64_t, json::object> only_two{{2, obj(R"({"status":4})")}};
  EXPECT_TRUE(d.update(only_two, {}).torrents.empty());
  EXPECT_EQ(d.known(), (std::vector<std::int64_t>{1, 2}));
  d.forget(2);
  auto delta = d.update(only_two, {});
  ASSERT_EQ(delta.torrents.size(), 1u);
  EXPECT_EQ(delta.torrents[0], obj(R"({"id":2,"status":4})"));
  // clear(): everything whole again, the session too.
  d.clear();
  delta = d.update(now, obj(R"({"torrentCount":2})"));
  EXPECT_EQ(delta.torrents.size(), 2u);
  EXPECT_TRUE(delta.session);
}

// ---- a daemon with an event hub ------------------------------------------------------------

struct EventFeed : daemon_fixture {
  EventFeed() { events = std::make_shared<rpc::event_hub>(); }

  std::uint64_t position = 0;
  /// What a client knows of each torrent, from the events read so far.
  std::map<std::int64_t, json::object> view;
  std::vector<rpc::hub_event> seen;

  /// Reads the events published since the last read, applies them to `view`.
  std::vector<rpc::hub_event> drain() {
    auto r = events->read_after(position);
    EXPECT_FALSE(r.reset);
    position = r.position;
    for (const auto& e : r.events) apply(e);
    seen.insert(seen.end(), r.events.begin(), r.events.end());
    return r.events;
  }
  void apply(const rpc::hub_event& e) {
    json::object data = json::parse(e.data).as_object();
    if (e.name == "tick") {
      for (auto& t : data["torrents"].as_array()) {
        auto& o = view[t.as_object()["id"].as_int64()];
        for (auto& kv : t.as_object()) {
          if (kv.key() != "id") o[kv.key()] = kv.value();
        }
      }
    } else if (e.name == "torrent-state") {
      view[data["id"].as_int64()]["status"] = data["status"];
    } else if (e.name == "torrent-error") {
      auto& o = view[data["id"].as_int64()];
      o["error"] = data["error"];
      o["errorString"] = data["errorString"];
    } else if (e.name == "torrent-removed") {
      view.erase(data["id"].as_int64());
    }
  }
  /// Waits until an event named `name` was published; its data.
  std::optional<json::object> wait_event(std::string_view name) {
    std::optional<json::object> found;
    eventually([&] {
      for (const auto& e : drain()) {
        if (!found && e.name == name) found = json::parse(e.data).as_object();
      }
      return found.has_value();
    }, 20s);
    return found;
  }
  std::vector<std::string> names(const std::vector<rpc::hub_event>& es) {
    std::vector<std::string> out;
    for (const auto& e : es) out.push_back(e.name);
    return out;
  }
  /// torrent-get's values of the tick fields for `id`.
  json::object torrent_get_view(int id) {
    json::array f;
    for (const auto& x : rpc::tick_fields()) f.emplace_back(x);
    auto a = ok("torrent-get", {{"ids", id}, {"fields", f}});
    json::object o = a["torrents"].as_array().at(0).as_object();
    o.erase("id");
    return o;
  }
};

TEST_F(EventFeed, NothingIsPublishedWhileNobodyListens) {
  const int id = add(make_real_torrent(301), {{"paused", true}});
  ASSERT_GT(id, 0);
  daemon->tick();
  ok("torrent-remove", {{"ids", id}});
  daemon->tick();
  EXPECT_EQ(events->newest(), 0u);
}

TEST_F(EventFeed, EventsAtOnceAndTicksWhoseDeltasGiveTorrentGetsValues) {
  const auto subscription = events->subscribe();
  const auto t = make_real_torrent(302);
  const int id = add(t, {{"paused", true}});
  ASSERT_GT(id, 0);
  auto added = wait_event("torrent-added");
  ASSERT_TRUE(added);
  const auto fields = get_one(id, {"id", "name", "hashString"});
  EXPECT_EQ(*added, fields);

  // Once the check of the (absent) data is over nothing moves: the tick then carries the torrent
  // whole, with torrent-get's values, and the session's counts.
  wait_for(id, {"status", "recheckProgress"}, [](json::object& o) { return o["status"] == 0; });
  daemon->tick();
  auto ticks = drain();
  ASSERT_EQ(names(ticks), std::vector<std::string>{"tick"});
  const json::object tick = json::parse(ticks[0].data).as_object();
  ASSERT_EQ(tick.at("torrents").as_array().size(), 1u);
  EXPECT_EQ(tick.at("torrents").as_array()[0].as_object().size(), rpc::tick_fields().size() + 1);
  EXPECT_EQ(view.at(id), torrent_get_view(id));
  EXPECT_EQ(tick.at("session"), obj(R"({"downloadSpeed":0,"uploadSpeed":0,"torrentCount":1,)"
                                    R"("activeTorrentCount":0,"pausedTorrentCount":1})"));
  daemon->tick();
  EXPECT_TRUE(drain().empty());  // nothing changed: no tick

  // Started: torrent-state at once (the engine's resumed event), then ticks keep the view exact.
  ok("torrent-start", {{"ids", id}});
  auto state = wait_event("torrent-state");
  ASSERT_TRUE(state);
  EXPECT_EQ(state->at("id"), id);
  EXPECT_EQ(state->at("previous"), 0);
  EXPECT_NE(state->at("status"), 0);
  daemon->tick();
  drain();
  EXPECT_EQ(view.at(id), torrent_get_view(id));

  ok("torrent-stop", {{"ids", id}});
  state = wait_event("torrent-state");
  ASSERT_TRUE(state);
  EXPECT_EQ(state->at("status"), 0);
  daemon->tick();
  drain();
  EXPECT_EQ(view.at(id), torrent_get_view(id));

  ok("torrent-remove", {{"ids", id}});
  auto removed = wait_event("torrent-removed");
  ASSERT_TRUE(removed);
  EXPECT_EQ(*removed, obj(R"({"id":)" + std::to_string(id) + "}"));
  daemon->tick();
  for (const auto& e : drain()) {
    if (e.name != "tick") continue;
    const json::value later = json::parse(e.data);
    for (const auto& x : later.at("torrents").as_array()) EXPECT_NE(x.at("id"), id);
  }
  EXPECT_FALSE(view.contains(id));
}

TEST_F(EventFeed, TheFirstTickAfterSomeoneConnectsCarriesEveryTorrentWhole) {
  const int a = add(make_real_torrent(303), {{"paused", true}});
  const int b = add(make_real_torrent(304), {{"paused", true}});
  daemon->tick();
  EXPECT_EQ(events->newest(), 0u);
  {
    const auto subscription = events->subscribe();
    daemon->tick();
    auto es = drain();
    ASSERT_FALSE(es.empty());
    const json::object tick = json::parse(es.back().data).as_object();
    ASSERT_EQ(es.back().name, "tick");
    EXPECT_EQ(tick.at("torrents").as_array().size(), 2u);
    EXPECT_TRUE(view.contains(a) && view.contains(b));
  }
  daemon->tick();  // nobody listens: forgets what was sent
  const auto again = events->subscribe();
  daemon->tick();
  auto es = drain();
  ASSERT_FALSE(es.empty());
  EXPECT_EQ(json::parse(es.back().data).at("torrents").as_array().size(), 2u);
}

// The cost of the event stream in the daemon's once-a-second tick, with 1,000 torrents: the tick
// without a subscriber, the first with one (every torrent whole) and the next ones (deltas).
TEST_F(EventFeed, TickCostWithAThousandTorrents) {
  constexpr int count = 1000;
  const auto start_add = std::chrono::steady_clock::now();
  for (int i = 0; i < count; ++i) {
    const auto t = make_real_torrent(10000 + static_cast<std::uint32_t>(i), 16384, 1000, 1000);
    ASSERT_GT(add(t, {{"paused", true}}), 0);
  }
  const auto added_in = std::chrono::steady_clock::now() - start_add;
  daemon->tick();  // saves what the adds left to save
  daemon->tick();
  // Wall time, and the CPU time of this thread (which runs the tick; the engine's status visit
  // runs on the session's thread): the CPU time is the figure that holds on a busy machine.
  struct cost {
    double wall_ms, cpu_ms;
  };
  auto thread_cpu = [] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
  };
  auto time_tick = [&] {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = thread_cpu();
    daemon->tick();
    return cost{std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count(),
                thread_cpu() - c0};
  };
  auto median_of = [&](int n) {
    std::vector<double> wall, cpu;
    for (int i = 0; i < n; ++i) {
      const cost c = time_tick();
      wall.push_back(c.wall_ms);
      cpu.push_back(c.cpu_ms);
    }
    std::sort(wall.begin(), wall.end());
    std::sort(cpu.begin(), cpu.end());
    return cost{wall[wall.size() / 2], cpu[cpu.size() / 2]};
  };
  const cost idle = median_of(9);
  const auto subscription = events->subscribe();
  const cost first = time_tick();
  auto es = drain();
  ASSERT_FALSE(es.empty());
  ASSERT_EQ(es.back().name, "tick");
  const auto first_bytes = es.back().data.size();
  EXPECT_EQ(json::parse(es.back().data).at("torrents").as_array().size(), static_cast<std::size_t>(count));
  const cost steady = median_of(9);
  drain();
  std::printf("[ figures  ] %d torrents (added in %.1f s); one tick, wall / CPU of the ticking thread: "
              "without a subscriber %.2f / %.2f ms, the first with one (every torrent whole, %zu bytes of "
              "JSON) %.2f / %.2f ms, later ones (nothing changed) %.2f / %.2f ms\n",
              count, std::chrono::duration<double>(added_in).count(), idle.wall_ms, idle.cpu_ms, first_bytes,
              first.wall_ms, first.cpu_ms, steady.wall_ms, steady.cpu_ms);
  RecordProperty("tick_cpu_ms_no_subscriber", std::to_string(idle.cpu_ms));
  RecordProperty("tick_cpu_ms_first", std::to_string(first.cpu_ms));
  RecordProperty("tick_cpu_ms_steady", std::to_string(steady.cpu_ms));
  EXPECT_EQ(view.size(), static_cast<std::size_t>(count));
}

}  // namespace
}  // namespace tessera::test
