// End-to-end: a session downloads a hand-built 3-file torrent from in-process fake seeders on
// loopback (raw Asio, BEP 3 wire codec), into a temporary directory.
#include "tessera/session.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "core/torrent_info_builder.hpp"
#include "session_test_support.hpp"
#include "session/session_impl.hpp"

namespace tessera {
namespace {

using namespace test;
using namespace std::chrono_literals;

struct event_log {
  std::mutex m;
  std::vector<event> events;
  void operator()(const event& e) {
    std::lock_guard l(m);
    events.push_back(e);
  }
  template <class E>
  int count() {
    std::lock_guard l(m);
    int n = 0;
    for (const auto& e : events) n += std::holds_alternative<E>(e) ? 1 : 0;
    return n;
  }
};

/// loopback_settings on 127.0.0.1 with the DHT left on, as in a default session (these tests
/// download as a user's session would; the DHT has no bootstrap nodes, so it stays on loopback).
session_settings test_settings() {
  auto s = loopback_settings("127.0.0.1");
  s.enable_dht = true;
  return s;
}

TEST(Session, DownloadsThreeFileTorrentFromSeederThenFindsItVerifiedOnRestart) {
  auto t = make_torrent(1);
  fake_seeder seeder(t, "127.0.0.2");
  temp_dir dir;
  {
    session ses(test_settings());
    auto log = std::make_shared<event_log>();
    ses.set_event_handler([log](const event& e) { (*log)(e); });
    add_torrent_params p;
    p.ti = t.ti;
    p.save_path = dir.path;
    p.peers = {seeder.endpoint()};
    auto h = ses.add_torrent(p);
    ASSERT_TRUE(h) << h.error().message();
    auto s = wait_for_status(*h, is_settled);
    ASSERT_TRUE(s);
    ASSERT_EQ(s->state, torrent_state::seeding) << s->error;
    EXPECT_EQ(s->total_size, t.ti->total_size());
    EXPECT_EQ(s->total_done, t.ti->total_size());
    EXPECT_EQ(s->pieces_done, t.ti->num_pieces());
    EXPECT_GE(s->total_downloaded, t.ti->total_size());
    EXPECT_EQ(s->total_wasted, 0);
    EXPECT_DOUBLE_EQ(s->progress(), 1.0);
    ses.stop();  // events are delivered on their own thread: stop() waits for all of them
    EXPECT_EQ(log->count<events::torrent_added>(), 1);
    EXPECT_EQ(log->count<events::torrent_finished>(), 1);
    EXPECT_EQ(log->count<events::piece_verified>(), t.ti->num_pieces());
    EXPECT_EQ(log->count<events::peer_connected>(), 1);
  }
  expect_files_match(t, dir.path);
  const auto served = seeder.bytes_served();

  // Second run on the same directory: everything is verified by the check, nothing downloaded.
  session ses(test_settings());
  auto log = std::make_shared<event_log>();
  ses.set_event_handler([log](const event& e) { (*log)(e); });
  add_torrent_params p;
  p.ti = t.ti;
  p.save_path = dir.path;
  p.peers = {seeder.endpoint()};
  auto h = ses.add_torrent(p);
  ASSERT_TRUE(h);
  auto s = wait_for_status(*h, is_settled);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, torrent_state::seeding);
  EXPECT_EQ(s->pieces_checked, t.ti->num_pieces());
  EXPECT_EQ(s->total_done, t.ti->total_size());
  EXPECT_EQ(s->total_downloaded, 0);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(seeder.bytes_served(), served);
  ses.stop();
  EXPECT_EQ(log->count<events::torrent_finished>(), 1);
}

TEST(Session, CorruptPieceFailsTheHashAndIsFetchedAgainFromAnHonestSeeder) {
  auto t = make_torrent(2);
  constexpr int bad_piece = 3;
  fake_seeder liar(t, "127.0.0.3", bad_piece);
  // The honest seeder unchokes late so the liar serves the first requests.
  fake_seeder honest(t, "127.0.0.4", -1, 300ms);
  temp_dir dir;
  session ses(test_settings());
  add_torrent_params p;
  p.ti = t.ti;
  p.save_path = dir.path;
  p.peers = {liar.endpoint(), honest.endpoint()};
  auto h = ses.add_torrent(p);
  ASSERT_TRUE(h);
  auto s = wait_for_status(*h, is_settled);
  ASSERT_TRUE(s);
  ASSERT_EQ(s->state, torrent_state::seeding) << s->error;
  EXPECT_GT(liar.bytes_served(), 0);
  EXPECT_GE(s->total_wasted, t.ti->piece_length());  // at least the corrupt piece was thrown away
  ses.stop();
  expect_files_match(t, dir.path);
}

TEST(Session, PaddingFilesAreNeitherWrittenNorCountedInSizes) {
  auto t = make_torrent(9, default_piece_length, 50000, 70000, true);
  ASSERT_EQ(t.ti->files().size(), 4u);
  ASSERT_TRUE(t.ti->files()[2].pad);
  const std::int64_t payload = t.ti->total_size() - t.ti->files()[2].size;
  fake_seeder seeder(t, "127.0.0.7");
  temp_dir dir;
  session ses(test_settings());
  add_torrent_params p;
  p.ti = t.ti;
  p.save_path = dir.path;
  p.peers = {seeder.endpoint()};
  auto h = ses.add_torrent(p);
  ASSERT_TRUE(h);
  auto s = h->status();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->total_size, payload);
  s = wait_for_status(*h, is_settled);
  ASSERT_TRUE(s);
  ASSERT_EQ(s->state, torrent_state::seeding) << s->error;
  EXPECT_EQ(s->total_size, payload);
  EXPECT_EQ(s->total_done, payload);
  ses.stop();
  expect_files_match(t, dir.path);
}

TEST(Session, RejectsConnectionsToItselfAndDuplicatePeerIds) {
  auto t = make_torrent(10);
  fake_seeder mirror(t, "127.0.0.8", -1, 0ms, {}, true);  // answers with our own peer id
  const peer_id same = make_peer_id("SAME");
  fake_seeder first(t, "127.0.0.9", -1, 0ms, same);
  fake_seeder second(t, "127.0.0.10", -1, 0ms, same);
  temp_dir dir;
  session ses(test_settings());
  auto log = std::make_shared<event_log>();
  ses.set_event_handler([log](const event& e) { (*log)(e); });
  add_torrent_params p;
  p.ti = t.ti;
  p.save_path = dir.path;
  p.peers = {mirror.endpoint(), first.endpoint(), second.endpoint()};
  auto h = ses.add_torrent(p);
  ASSERT_TRUE(h);
  auto s = wait_for_status(*h, is_settled);
  ASSERT_TRUE(s);
  ASSERT_EQ(s->state, torrent_state::seeding) << s->error;
  EXPECT_EQ(mirror.bytes_served(), 0);
  EXPECT_EQ(mirror.connections(), 1);  // not retried
  EXPECT_EQ(first.bytes_served() + second.bytes_served(), t.ti->total_size());
  ses.stop();
  EXPECT_EQ(log->count<events::peer_connected>(), 1);  // one of the two with the same id
  expect_files_match(t, dir.path);
}

TEST(Session, AddTorrentReportsDuplicatesBadPeersAndStorageErrors) {
  auto t = make_torrent(3);
  temp_dir dir;
  std::filesystem::create_directories(dir.path);
  session ses(test_settings());
  add_torrent_params p;
  p.ti = t.ti;
  p.save_path = dir.path / "dl";
  std::string message;
  auto h = ses.add_torrent(p, &message);
  ASSERT_TRUE(h) << message;
  EXPECT_TRUE(message.empty());
  EXPECT_TRUE(h->is_valid());
  EXPECT_EQ(ses.torrents().size(), 1u);

  auto dup = ses.add_torrent(p, &message);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error(), std::errc::file_exists);
  EXPECT_FALSE(message.empty());

  auto t2 = make_torrent(4);
  add_torrent_params bad_peer;
  bad_peer.ti = t2.ti;
  bad_peer.save_path = dir.path / "dl2";
  bad_peer.peers = {"not an address"};
  auto r = ses.add_torrent(bad_peer, &message);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::invalid_argument);
  EXPECT_NE(message.find("not an address"), std::string::npos);

  // The download directory would have to be created under a regular file.
  { std::ofstream(dir.path / "plain_file") << "x"; }
  add_torrent_params bad_dir;
  bad_dir.ti = t2.ti;
  bad_dir.save_path = dir.path / "plain_file" / "sub";
  r = ses.add_torrent(bad_dir, &message);
  ASSERT_FALSE(r);
  EXPECT_FALSE(message.empty());
  EXPECT_EQ(ses.torrents().size(), 1u);
}

TEST(Session, HandleFailsCleanlyOnceTheSessionIsStopped) {
  auto t = make_torrent(5);
  temp_dir dir;
  torrent_handle h;
  EXPECT_FALSE(h.status());  // default handle
  {
    session ses(test_settings());
    add_torrent_params p;
    p.ti = t.ti;
    p.save_path = dir.path;
    auto r = ses.add_torrent(p);
    ASSERT_TRUE(r);
    h = *r;
    EXPECT_TRUE(h.status());
    ses.stop();
    ses.stop();  // idempotent
    auto s = h.status();
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error(), std::errc::no_such_process);
  }
  EXPECT_FALSE(h.is_valid());
  EXPECT_EQ(h.status().error(), std::errc::no_such_process);
}

TEST(Session, TorrentWithoutPeersStaysDownloadingAndReportsProgressFields) {
  auto t = make_torrent(6);
  temp_dir dir;
  session ses(test_settings());
  add_torrent_params p;
  p.ti = t.ti;
  p.save_path = dir.path;
  auto h = ses.add_torrent(p);
  ASSERT_TRUE(h);
  auto s = wait_for_status(*h, [](const torrent_status& st) { return st.state != torrent_state::checking; }, 5s);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, torrent_state::downloading);
  EXPECT_EQ(s->total_done, 0);
  EXPECT_EQ(s->num_peers, 0);
  EXPECT_EQ(s->info_hash, t.ti->info_hash());
  EXPECT_EQ(s->name, "multi");
  EXPECT_FALSE(s->eta());
}

TEST(Session, FindsPeersThroughTheTrackerAndAnnouncesStartedCompletedStopped) {
  auto t = make_torrent(7);
  fake_seeder seeder(t, "127.0.0.5");
  fake_tracker tracker({seeder.local_endpoint()});
  auto ti = std::make_shared<torrent_info>(*t.ti);
  ti = std::make_shared<tessera::torrent_info>(tessera::detail::edited(*ti, [&](auto& tb) {
    tb.trackers = {{tracker.url()}};
  }));
  temp_dir dir;
  {
    session ses(test_settings());
    add_torrent_params p;
    p.ti = ti;
    p.save_path = dir.path;
    auto h = ses.add_torrent(p);
    ASSERT_TRUE(h);
    auto s = wait_for_status(*h, is_settled);
    ASSERT_TRUE(s);
    ASSERT_EQ(s->state, torrent_state::seeding) << s->error << " / " << s->tracker_message;
    EXPECT_EQ(s->tracker_message, "");
    // `completed` follows the finish asynchronously.
    auto has = [&](const std::string& what) {
      for (const auto& r : tracker.requests()) {
        if (r.find(what) != std::string::npos) return true;
      }
      return false;
    };
    eventually([&] { return has("event=completed"); }, 5s);
    ses.stop();
    EXPECT_TRUE(has("event=started"));
    EXPECT_TRUE(has("left=" + std::to_string(t.ti->total_size())));
    EXPECT_TRUE(has("event=completed"));
    EXPECT_TRUE(has("event=stopped"));
    // The port really listened on (the OS picked it: listen_port = 0 in test_settings).
    ASSERT_NE(ses.listen_port(), 0);
    EXPECT_TRUE(has("port=" + std::to_string(ses.listen_port()) + "&"));
  }
  expect_files_match(t, dir.path);
}

TEST(Session, EveryTrackerFailingWithoutPeersRaisesTrackerError) {
  auto t = make_torrent(8);
  // A port nobody listens on: the connection is refused at once.
  asio::io_context io;
  tcp::acceptor probe(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  auto port = probe.local_endpoint().port();
  probe.close();
  auto ti = std::make_shared<torrent_info>(*t.ti);
  ti = std::make_shared<tessera::torrent_info>(tessera::detail::edited(*ti, [&](auto& tb) {
    tb.trackers = {{"http://127.0.0.1:" + std::to_string(port) + "/announce"}};
  }));
  temp_dir dir;
  session ses(test_settings());
  auto log = std::make_shared<event_log>();
  ses.set_event_handler([log](const event& e) { (*log)(e); });
  add_torrent_params p;
  p.ti = ti;
  p.save_path = dir.path;
  auto h = ses.add_torrent(p);
  ASSERT_TRUE(h);
  auto s = wait_for_status(*h, [&](const torrent_status&) { return log->count<events::tracker_error>() > 0; }, 15s);
  ASSERT_TRUE(s);
  EXPECT_EQ(log->count<events::tracker_error>(), 1);
  s = h->status();
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->tracker_message.empty());
  EXPECT_EQ(s->state, torrent_state::downloading);
}

TEST(Session, StopFromTheEventHandlerStopsWithoutDeadlock) {
  auto t = make_torrent(12);
  temp_dir dir;
  auto ses = std::make_unique<session>(test_settings());
  session* raw = ses.get();
  std::atomic<bool> called{false};
  ses->set_event_handler([raw, &called](const event& e) {
    if (std::holds_alternative<events::torrent_added>(e)) {
      raw->stop();
      called = true;
    }
  });
  add_torrent_params p;
  p.ti = t.ti;
  p.save_path = dir.path;
  auto h = ses->add_torrent(p);
  ASSERT_TRUE(h);
  // Handlers run on the event thread: stop() there is a full graceful stop.
  for (int i = 0; i < 300 && !called; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(called);
  auto s = h->status();  // stopped: fails instead of waiting forever
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), std::errc::no_such_process);
  auto start = std::chrono::steady_clock::now();
  ses.reset();  // joins the halted thread
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_FALSE(h->is_valid());
}

TEST(ParseEndpoint, AcceptsV4AndBracketedV6AndRejectsGarbage) {
  using detail::parse_endpoint;
  auto a = parse_endpoint("127.0.0.1:6881");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->port(), 6881);
  auto b = parse_endpoint("[::1]:51413");
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->address().is_v6());
  EXPECT_FALSE(parse_endpoint("::1:5"));
  EXPECT_FALSE(parse_endpoint("127.0.0.1"));
  EXPECT_FALSE(parse_endpoint("127.0.0.1:0"));
  EXPECT_FALSE(parse_endpoint("127.0.0.1:70000"));
  EXPECT_FALSE(parse_endpoint("host:80x"));
  EXPECT_FALSE(parse_endpoint("[::1]5"));
}

TEST(TorrentStatus, EtaFromRateAndRemainingBytes) {
  torrent_status s;
  s.total_size = 1000;
  s.total_done = 400;
  EXPECT_FALSE(s.eta());
  s.download_rate = 100;
  ASSERT_TRUE(s.eta());
  EXPECT_EQ(*s.eta(), 6s);
}

}  // namespace
}  // namespace tessera
