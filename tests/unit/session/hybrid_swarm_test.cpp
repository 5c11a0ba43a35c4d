// A hybrid torrent's two swarms (BEP 52) through a tracker: both info-hashes announced to every
// tracker with their own events and the torrent's whole counters, the peers of either swarm
// joining the one torrent, and each peer dialled with the hash of the swarm it was found in.
#include <future>

#include <boost/asio/post.hpp>

#include "../support/v2_test_torrent.hpp"
#include "core/torrent_info_builder.hpp"
#include "discovery/dht/dht_node.hpp"
#include "discovery/tracker_parse.hpp"
#include "session_test_support.hpp"

namespace tessera {
namespace {

using namespace test;
using namespace std::chrono_literals;

/// A test torrent that also names a v2 info-hash: the session treats it as a hybrid (its pieces
/// are verified by their v1 hashes; the swarms are what these tests look at).
test_torrent make_hybrid(std::uint32_t seed) {
  auto t = make_torrent(seed);
  const std::string v2_seed = "hybrid v2 " + std::to_string(seed);
  t.ti = std::make_shared<tessera::torrent_info>(tessera::detail::edited(*t.ti, [&](auto& tb) {
    tb.info_hash.v2 = sha256(std::string_view(v2_seed));
  }));
  return t;
}

std::string hash_param(const sha1_hash& h) { return "info_hash=" + detail::percent_encode(h.to_bytes()) + "&"; }

/// The request lines of `tracker` naming `hash`.
std::vector<std::string> requests_for(fake_tracker& tracker, const sha1_hash& hash) {
  std::vector<std::string> out;
  for (auto& r : tracker.requests()) {
    if (r.find(hash_param(hash)) != std::string::npos) out.push_back(r);
  }
  return out;
}

bool any_has(const std::vector<std::string>& lines, const std::string& part) {
  for (const auto& l : lines) {
    if (l.find(part) != std::string::npos) return true;
  }
  return false;
}

TEST(HybridSwarm, BothHashesAreAnnouncedToTheTrackerEachWithItsOwnEvents) {
  auto t = make_hybrid(71);
  ASSERT_TRUE(t.ti->info_hash().is_hybrid());
  fake_seeder seeder(t, "127.0.0.5");
  fake_tracker tracker({seeder.local_endpoint()});
  auto ti = std::make_shared<torrent_info>(*t.ti);
  ti = std::make_shared<tessera::torrent_info>(tessera::detail::edited(*ti, [&](auto& tb) {
    tb.trackers = {{tracker.url()}};
  }));
  const sha1_hash v1 = ti->info_hash().v1, v2 = ti->info_hash().v2_truncated();
  temp_dir dir;
  {
    session ses(loopback_settings("127.0.0.1"));
    add_torrent_params p;
    p.ti = ti;
    p.save_path = dir.path;
    auto h = ses.add_torrent(p);
    ASSERT_TRUE(h);
    auto s = wait_for_status(*h, is_settled);
    ASSERT_TRUE(s);
    ASSERT_EQ(s->state, torrent_state::seeding) << s->error << " / " << s->tracker_message;
    ASSERT_TRUE(eventually([&] {
      return any_has(requests_for(tracker, v1), "event=completed") &&
             any_has(requests_for(tracker, v2), "event=completed");
    }, 5s));
    ses.stop();
  }
  for (const auto& hash : {v1, v2}) {
    const auto lines = requests_for(tracker, hash);
    SCOPED_TRACE(hash.to_hex());
    ASSERT_EQ(lines.size(), 3u) << "started, completed, stopped";
    EXPECT_NE(lines[0].find("event=started"), std::string::npos) << lines[0];
    EXPECT_NE(lines[0].find("left=" + std::to_string(t.ti->total_size()) + "&"), std::string::npos) << lines[0];
    EXPECT_NE(lines[1].find("event=completed"), std::string::npos) << lines[1];
    EXPECT_NE(lines[1].find("left=0&"), std::string::npos) << lines[1];
    EXPECT_NE(lines[2].find("event=stopped"), std::string::npos) << lines[2];
    // Each swarm gets the torrent's whole counters (as libtorrent 2.0 does).
    EXPECT_NE(lines[2].find("downloaded=" + std::to_string(t.ti->total_size()) + "&"), std::string::npos) << lines[2];
  }
  EXPECT_EQ(tracker.requests().size(), 6u) << "nothing but the two swarms' announces";
  // One client to the tracker: the same `key` in both swarms (libtorrent 2.0 does the same).
  auto key_of = [](const std::string& line) {
    const auto at = line.find("&key=");
    return at == std::string::npos ? std::string() : line.substr(at + 5, line.find('&', at + 5) - at - 5);
  };
  const auto v1_key = key_of(requests_for(tracker, v1).at(0));
  EXPECT_FALSE(v1_key.empty());
  for (const auto& line : tracker.requests()) EXPECT_EQ(key_of(line), v1_key) << line;
  expect_files_match(t, dir.path);
}

TEST(V2Swarm, V2OnlyTorrentIsAnnouncedAndDialledWithItsTruncatedV2Hash) {
  auto made = test_support::make_v2_torrent({test_support::random_bytes(3 * 32 * 1024 + 5'000, 75),
                                             test_support::random_bytes(40'000, 76)},
                                            32 * 1024, /*hybrid=*/false);
  test_torrent t{std::make_shared<torrent_info>(std::move(made.ti)), std::move(made.stream)};
  ASSERT_FALSE(t.ti->info_hash().has_v1());
  const sha1_hash v2 = t.ti->info_hash().v2_truncated();
  fake_seeder seeder(t, "127.0.0.9");
  fake_tracker tracker({seeder.local_endpoint()});
  auto ti = std::make_shared<torrent_info>(*t.ti);
  ti = std::make_shared<tessera::torrent_info>(tessera::detail::edited(*ti, [&](auto& tb) {
    tb.trackers = {{tracker.url()}};
  }));
  temp_dir dir;
  {
    session ses(loopback_settings("127.0.0.1"));
    add_torrent_params p;
    p.ti = ti;
    p.save_path = dir.path;
    auto h = ses.add_torrent(p);
    ASSERT_TRUE(h) << h.error().message();
    auto s = wait_for_status(*h, is_settled);
    ASSERT_TRUE(s);
    ASSERT_EQ(s->state, torrent_state::seeding) << s->error << " / " << s->tracker_message;
    ses.stop();
  }
  // BEP 52: the 20 bytes of a v2-only torrent are its SHA-256 info-hash truncated, everywhere.
  const auto all = tracker.requests();
  ASSERT_GE(all.size(), 2u);
  EXPECT_EQ(requests_for(tracker, v2).size(), all.size()) << "every announce names the truncated v2 hash";
  EXPECT_NE(all.front().find("event=started"), std::string::npos);
  ASSERT_FALSE(seeder.handshake_hashes().empty());
  for (const auto& got : seeder.handshake_hashes()) EXPECT_EQ(got, v2);
  expect_files_match(t, dir.path);
}

TEST(HybridSwarm, EachPeerIsDialledWithTheHashOfTheSwarmItWasFoundIn) {
  auto t = make_hybrid(72);
  fake_seeder in_v1(t, "127.0.0.6");  // named only by the v1 swarm's replies
  fake_seeder in_v2(t, "127.0.0.7");  // named only by the v2 swarm's replies
  fake_tracker tracker({});
  const sha1_hash v1 = t.ti->info_hash().v1, v2 = t.ti->info_hash().v2_truncated();
  tracker.answer_for(hash_param(v1), {in_v1.local_endpoint()});
  tracker.answer_for(hash_param(v2), {in_v2.local_endpoint()});
  auto ti = std::make_shared<torrent_info>(*t.ti);
  ti = std::make_shared<tessera::torrent_info>(tessera::detail::edited(*ti, [&](auto& tb) {
    tb.trackers = {{tracker.url()}};
  }));
  temp_dir dir;
  session ses(loopback_settings("127.0.0.1"));
  add_torrent_params p;
  p.ti = ti;
  p.save_path = dir.path;
  auto h = ses.add_torrent(p);
  ASSERT_TRUE(h);
  // Both seeders are connected to the one torrent (the peers of both swarms join it).
  ASSERT_TRUE(eventually([&] { return !in_v1.handshake_hashes().empty() && !in_v2.handshake_hashes().empty(); }, 10s));
  auto s = wait_for_status(*h, is_settled);
  ASSERT_TRUE(s);
  ASSERT_EQ(s->state, torrent_state::seeding) << s->error;
  ses.stop();
  for (const auto& got : in_v1.handshake_hashes()) EXPECT_EQ(got, v1) << "v1 swarm peer dialled with " << got.to_hex();
  for (const auto& got : in_v2.handshake_hashes()) EXPECT_EQ(got, v2) << "v2 swarm peer dialled with " << got.to_hex();
  expect_files_match(t, dir.path);
}

TEST(HybridSwarm, IncomingHandshakesInEitherFormAreAnsweredInThatForm) {
  auto t = make_hybrid(73);
  temp_dir dir;
  write_payload(t, dir.path);
  session ses(loopback_settings("127.0.0.1"));
  auto h = add_test_torrent(ses, t, dir.path);
  ASSERT_EQ(wait_for_status(h, is_settled)->state, torrent_state::seeding);
  for (const sha1_hash& form : {t.ti->info_hash().v1, t.ti->info_hash().v2_truncated()}) {
    SCOPED_TRACE(form.to_hex());
    asio::io_context io;
    tcp::socket sock(io);
    sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), ses.listen_port()));
    std::vector<std::uint8_t> out;
    detail::wire::write_handshake(out, {{}, form, make_peer_id("0002")});
    asio::write(sock, asio::buffer(out));
    std::vector<std::uint8_t> in(detail::wire::handshake_length);
    asio::read(sock, asio::buffer(in));
    auto answer = detail::wire::parse_handshake(in);
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->info_hash, form);
  }
  ses.stop();
}

TEST(HybridSwarm, DhtLooksUpAndAnnouncesBothHashes) {
  // A DHT node of our own is the seeder's only contact: the announces land in its store.
  asio::io_context io;
  detail::dht::dht_settings ns;
  ns.bind = asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.8"), 0);
  auto node = detail::dht::dht_node::create(io.get_executor(), ns);
  ASSERT_TRUE(node);
  (*node)->start();
  auto guard = asio::make_work_guard(io);
  std::thread runner([&] { io.run(); });
  auto peers_stored = [&](const sha1_hash& ih) {
    std::promise<std::size_t> n;
    asio::post(io, [&] { n.set_value((*node)->store().peer_count(ih)); });
    return n.get_future().get();
  };

  auto t = make_hybrid(74);
  temp_dir dir;
  write_payload(t, dir.path);
  auto settings = loopback_settings("127.0.0.1");
  settings.enable_dht = true;
  settings.dht_bootstrap_nodes = {"127.0.0.8:" + std::to_string((*node)->local_endpoint().port())};
  settings.dht_announce_interval = 2s;
  settings.dht_few_peers_interval = 1s;
  {
    session ses(settings);
    auto h = add_test_torrent(ses, t, dir.path);
    ASSERT_EQ(wait_for_status(h, is_settled)->state, torrent_state::seeding);
    EXPECT_TRUE(eventually([&] {
      return peers_stored(t.ti->info_hash().v1) >= 1 && peers_stored(t.ti->info_hash().v2_truncated()) >= 1;
    }, 15s)) << "v1: " << peers_stored(t.ti->info_hash().v1)
             << ", v2: " << peers_stored(t.ti->info_hash().v2_truncated());
    EXPECT_GE(ses.dht()->lookups, 2) << "one lookup per swarm";
    ses.stop();
  }
  asio::post(io, [&] { (*node)->stop(); });
  guard.reset();
  runner.join();
}

}  // namespace
}  // namespace tessera
