// Magnet links end to end between sessions on loopback: the metadata fetched from a seeding
// session (BEP 9), then the data; peer exchange (BEP 11) introducing a third session; private
// torrents keeping PEX off (BEP 27).
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <fstream>
#include <memory>
#include <mutex>

#include <gtest/gtest.h>

#include "disk/resume_data.hpp"
#include "session_test_support.hpp"
#include "tessera/magnet.hpp"
#include "torrent/metadata_parse.hpp"

namespace tessera {
namespace {

using namespace test;
using namespace std::chrono_literals;

torrent_handle add_seed(session& ses, const test_torrent& t, const std::filesystem::path& dir) {
  write_payload(t, dir);
  return add_test_torrent(ses, t, dir);
}

/// Like add_seed, but the last byte of the last file is missing: nobody in the swarm can finish,
/// so connections stay up (complete peers would drop each other as both seeds).
torrent_handle add_almost_seed(session& ses, const test_torrent& t, const std::filesystem::path& dir) {
  write_payload(t, dir);
  const auto last = dir / t.ti->files().back().path;
  std::filesystem::resize_file(last, std::filesystem::file_size(last) - 1);
  auto h = add_test_torrent(ses, t, dir);
  // Peers that dial during the check are turned away (and retried only 30 s later).
  EXPECT_TRUE(wait_for_status(h, [](const torrent_status& s) { return s.state != torrent_state::checking; }));
  return h;
}

std::string magnet_for(const test_torrent& t, const std::vector<std::string>& peers) {
  magnet_link m;
  m.info_hash = t.ti->info_hash();
  m.name = "shown before the metadata";
  for (const auto& p : peers) {
    auto colon = p.rfind(':');
    m.peers.push_back({p.substr(0, colon), static_cast<std::uint16_t>(std::stoi(p.substr(colon + 1)))});
  }
  return make_magnet_uri(m);
}

TEST(MagnetSession, FetchesTheMetadataThenTheDataAndSavesTheTorrentFile) {
  auto t = make_real_torrent(41, 32 * 1024, 700000, 90000);  // 25 pieces, metadata of 2 pieces
  temp_dir seed_dir, leech_dir, state_dir;
  session seeder(loopback_settings("127.0.0.2"));
  auto sh = add_seed(seeder, t, seed_dir.path);
  ASSERT_TRUE(wait_for_status(sh, [](const torrent_status& s) { return s.state == torrent_state::seeding; }));

  auto ls = loopback_settings("127.0.0.3");
  ls.state_dir = state_dir.path.string();
  session leecher(ls);
  std::mutex mu;
  std::vector<std::string> seen;
  leecher.set_event_handler([&](const event& e) {
    std::lock_guard lock(mu);
    if (std::holds_alternative<events::metadata_received>(e)) seen.push_back("metadata");
    if (std::holds_alternative<events::torrent_checked>(e)) seen.push_back("checked");
    if (std::holds_alternative<events::torrent_finished>(e)) seen.push_back("finished");
  });
  auto params = add_torrent_params::from_magnet(magnet_for(t, {endpoint_of("127.0.0.2", seeder.listen_port())}),
                                                leech_dir.path);
  ASSERT_TRUE(params) << params.error().message();
  auto h = leecher.add_torrent(*params);
  ASSERT_TRUE(h) << h.error().message();
  auto first = h->status();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->name, "shown before the metadata");

  auto done = wait_for_status(*h, [](const torrent_status& s) {
    return s.state == torrent_state::seeding || s.state == torrent_state::error;
  });
  ASSERT_TRUE(done);
  ASSERT_EQ(done->state, torrent_state::seeding) << done->error;
  EXPECT_EQ(done->name, "multi");
  EXPECT_EQ(done->num_pieces, t.ti->num_pieces());
  expect_files_match(t, leech_dir.path);
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(seen, (std::vector<std::string>{"metadata", "checked", "finished"}));
  }
  // The fetched .torrent is saved and parses to the same info-hash.
  auto saved = load_torrent_file((state_dir.path / (t.ti->info_hash().to_hex() + ".torrent")).string());
  ASSERT_TRUE(saved) << saved.error().message();
  EXPECT_EQ(saved->info_hash(), t.ti->info_hash());
  EXPECT_EQ(saved->info_bytes(), t.ti->info_bytes());
}

/// Holds every parse of fetched metadata (torrent/metadata_parse.hpp) until release(), on the
/// thread that parses. While one is held, a call that needs the network thread shows whether
/// that thread is free: only a parse off the network thread lets it answer.
class metadata_parse_gate {
 public:
  metadata_parse_gate() {
    detail::set_metadata_parse_hook_for_testing([this] { hold(); });
  }
  ~metadata_parse_gate() {
    release();
    detail::set_metadata_parse_hook_for_testing({});
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return inside_ == 0; });  // a hold still returning uses *this
  }
  metadata_parse_gate(const metadata_parse_gate&) = delete;
  metadata_parse_gate& operator=(const metadata_parse_gate&) = delete;

  /// True once a parse is being held (false after `limit`).
  bool wait_held(std::chrono::seconds limit) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return holding_; });
  }
  void release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  /// A hold ended by its own time-out instead of release().
  bool gave_up() const {
    std::lock_guard lock(mu_);
    return gave_up_;
  }

 private:
  void hold() {
    std::unique_lock lock(mu_);
    ++inside_;
    holding_ = true;
    cv_.notify_all();
    // Normally ended by release(). The time-out only ends a regression: a parse on the network
    // thread, which the test cannot release while its own call waits for that thread.
    if (!cv_.wait_for(lock, 20s, [&] { return released_; })) gave_up_ = true;
    --inside_;
    cv_.notify_all();
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  int inside_ = 0;
  bool holding_ = false;
  bool released_ = false;
  bool gave_up_ = false;
};

TEST(MagnetSession, TheFetchedMetadataIsParsedOffTheNetworkThread) {
  auto t = make_real_torrent(47, 32 * 1024, 700000, 90000);
  temp_dir seed_dir, leech_dir;
  session seeder(loopback_settings("127.0.0.2"));
  auto sh = add_seed(seeder, t, seed_dir.path);
  ASSERT_TRUE(wait_for_status(sh, [](const torrent_status& s) { return s.state == torrent_state::seeding; }));

  metadata_parse_gate gate;
  session leecher(loopback_settings("127.0.0.3"));
  auto params = add_torrent_params::from_magnet(magnet_for(t, {endpoint_of("127.0.0.2", seeder.listen_port())}),
                                                leech_dir.path);
  ASSERT_TRUE(params);
  auto h = leecher.add_torrent(*params);
  ASSERT_TRUE(h) << h.error().message();
  ASSERT_TRUE(gate.wait_held(60s)) << "the metadata never reached the parser";
  // The session answers while the parse is held: status() runs on the network thread.
  auto during = h->status();
  EXPECT_FALSE(gate.gave_up()) << "status() waited for the parse: it ran on the network thread";
  ASSERT_TRUE(during);
  EXPECT_EQ(during->state, torrent_state::downloading_metadata);
  EXPECT_EQ(during->num_pieces, 0);
  gate.release();
  auto done = wait_for_status(*h, is_settled);
  ASSERT_TRUE(done);
  ASSERT_EQ(done->state, torrent_state::seeding) << done->error;
  expect_files_match(t, leech_dir.path);
}

TEST(MagnetSession, PausedWhileItsMetadataIsParsedItTakesTheMetadataAndStaysPaused) {
  auto t = make_real_torrent(48, 32 * 1024, 700000, 90000);
  temp_dir seed_dir, leech_dir;
  session seeder(loopback_settings("127.0.0.2"));
  auto sh = add_almost_seed(seeder, t, seed_dir.path);  // stays connected: something to drop

  metadata_parse_gate gate;
  session leecher(loopback_settings("127.0.0.3"));
  auto params = add_torrent_params::from_magnet(magnet_for(t, {endpoint_of("127.0.0.2", seeder.listen_port())}),
                                                leech_dir.path);
  ASSERT_TRUE(params);
  auto h = leecher.add_torrent(*params);
  ASSERT_TRUE(h) << h.error().message();
  ASSERT_TRUE(gate.wait_held(60s)) << "the metadata never reached the parser";
  ASSERT_TRUE(h->pause());
  EXPECT_FALSE(gate.gave_up()) << "pause() waited for the parse: it ran on the network thread";
  gate.release();
  // The metadata is taken and its data checked, but nothing connects until resume().
  auto checked = wait_for_status(*h, [&](const torrent_status& s) {
    return s.num_pieces == t.ti->num_pieces() && s.pieces_checked == s.num_pieces;
  });
  ASSERT_TRUE(checked);
  EXPECT_EQ(checked->num_pieces, t.ti->num_pieces());
  EXPECT_EQ(checked->name, t.ti->name());
  EXPECT_EQ(checked->state, torrent_state::paused);
  EXPECT_EQ(checked->num_peers, 0);
  ASSERT_TRUE(h->resume());
  // All but the seeder's missing last byte arrives: every piece but the last.
  auto most = wait_for_status(*h, [&](const torrent_status& s) { return s.pieces_done >= s.num_pieces - 1; });
  ASSERT_TRUE(most);
  EXPECT_EQ(most->pieces_done, t.ti->num_pieces() - 1) << most->error;
}

TEST(MagnetSession, RemovedWhileItsMetadataIsParsedTheResultIsDropped) {
  auto t = make_real_torrent(49, 32 * 1024, 700000, 90000);
  temp_dir seed_dir, leech_dir, state_dir;
  session seeder(loopback_settings("127.0.0.2"));
  auto sh = add_seed(seeder, t, seed_dir.path);
  ASSERT_TRUE(wait_for_status(sh, [](const torrent_status& s) { return s.state == torrent_state::seeding; }));

  metadata_parse_gate gate;
  auto ls = loopback_settings("127.0.0.3");
  ls.state_dir = state_dir.path.string();
  session leecher(ls);
  std::atomic<int> metadata_events{0};
  leecher.set_event_handler([&](const event& e) {
    if (std::holds_alternative<events::metadata_received>(e)) ++metadata_events;
  });
  auto params = add_torrent_params::from_magnet(magnet_for(t, {endpoint_of("127.0.0.2", seeder.listen_port())}),
                                                leech_dir.path);
  ASSERT_TRUE(params);
  auto h = leecher.add_torrent(*params);
  ASSERT_TRUE(h) << h.error().message();
  ASSERT_TRUE(gate.wait_held(60s)) << "the metadata never reached the parser";
  ASSERT_TRUE(leecher.remove_torrent(*h));
  EXPECT_FALSE(gate.gave_up()) << "remove_torrent() waited for the parse: it ran on the network thread";
  gate.release();
  // Added again, the same magnet goes all the way; the first parse's result went nowhere.
  auto again = leecher.add_torrent(*params);
  ASSERT_TRUE(again) << again.error().message();
  auto done = wait_for_status(*again, is_settled);
  ASSERT_TRUE(done);
  ASSERT_EQ(done->state, torrent_state::seeding) << done->error;
  EXPECT_FALSE(h->status()) << "the removed handle stays removed";
  EXPECT_TRUE(eventually([&] { return metadata_events.load() == 1; }, 5s));
  EXPECT_EQ(metadata_events.load(), 1);
}

TEST(MagnetSession, WithoutPeersItWaitsInDownloadingMetadata) {
  auto t = make_real_torrent(42);
  temp_dir dir;
  session leecher(loopback_settings("127.0.0.3"));
  add_torrent_params p;
  p.info_hash = t.ti->info_hash();
  p.save_path = dir.path;
  auto h = leecher.add_torrent(p);
  ASSERT_TRUE(h);
  std::this_thread::sleep_for(300ms);
  auto s = h->status();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, torrent_state::downloading_metadata);
  EXPECT_EQ(s->name, t.ti->info_hash().to_hex()) << "no dn: the info-hash names it";
  EXPECT_EQ(s->num_pieces, 0);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path)) << "nothing is created before the metadata";
}

TEST(AddTorrentParams, FromATorrentFileOrItsBytes) {
  auto t = make_real_torrent(45);
  temp_dir dir;
  std::filesystem::create_directories(dir.path);
  const auto file = dir.path / "t.torrent";
  const std::string bytes = make_torrent_file(t.ti->info_bytes(), {});
  { std::ofstream(file, std::ios::binary) << bytes; }
  auto a = add_torrent_params::from_torrent_file(file.string(), "/dl");
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(a->ti->info_hash(), t.ti->info_hash());
  EXPECT_EQ(a->save_path, "/dl");
  auto b = add_torrent_params::from_torrent_bytes(bytes, "/dl");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->ti->info_hash(), t.ti->info_hash());
  EXPECT_FALSE(add_torrent_params::from_torrent_bytes("d4:infoi1ee", "/dl"));
  EXPECT_EQ(add_torrent_params::from_torrent_file((dir.path / "missing").string(), "/dl").error(),
            std::errc::no_such_file_or_directory);
}

TEST(MagnetSession, BadMagnetLinksAreRefusedWithTheirReason) {
  auto bad = add_torrent_params::from_magnet("magnet:?xt=urn:btih:1234", "/tmp");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), magnet_errc::bad_info_hash);
  auto host = add_torrent_params::from_magnet(
      "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&x.pe=example.org:80", "/tmp");
  ASSERT_FALSE(host);
  EXPECT_EQ(host.error(), magnet_errc::bad_peer);
  session ses(loopback_settings("127.0.0.3"));
  add_torrent_params none;  // neither ti nor info-hash
  none.save_path = "/tmp";
  EXPECT_EQ(ses.add_torrent(none).error(), std::errc::invalid_argument);
}

TEST(MagnetSession, WebSeedsOfTheLinkAreUsedOnceTheMetadataIsKnownAndSaved) {
  auto t = make_real_torrent(43, 32 * 1024, 700000, 90000);
  temp_dir seed_dir, leech_dir, state_dir;
  // The seeder uploads at 16 KiB/s: the download is still running when the web seed is looked at.
  auto ss = loopback_settings("127.0.0.2");
  ss.upload_rate_limit = 16 * 1024;
  session seeder(ss);
  auto sh = add_seed(seeder, t, seed_dir.path);
  ASSERT_TRUE(wait_for_status(sh, [](const torrent_status& s) { return s.state == torrent_state::seeding; }));

  auto ls = loopback_settings("127.0.0.3");
  ls.state_dir = state_dir.path.string();
  session leecher(ls);
  // Nothing listens on port 1: the web seed is started and fails, the peer serves the data.
  const std::string ws = "http://127.0.0.3:1/files/";
  auto params = add_torrent_params::from_magnet(
      magnet_for(t, {endpoint_of("127.0.0.2", seeder.listen_port())}) + "&ws=" + ws, leech_dir.path);
  ASSERT_TRUE(params) << params.error().message();
  EXPECT_EQ(params->web_seeds, std::vector<std::string>{ws});
  auto h = leecher.add_torrent(*params);
  ASSERT_TRUE(h) << h.error().message();
  auto first = h->status();
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->web_seeds.empty()) << "a web seed started before the metadata";

  auto using_it = wait_for_status(*h, [&](const torrent_status& s) {
    return s.state == torrent_state::error ||
           std::any_of(s.web_seeds.begin(), s.web_seeds.end(), [&](const web_seed_status& w) { return w.url == ws; });
  });
  ASSERT_TRUE(using_it);
  ASSERT_NE(using_it->state, torrent_state::error) << using_it->error;
  EXPECT_EQ(using_it->state, torrent_state::downloading);
  // The fetched .torrent keeps them as its url-list.
  auto saved = load_torrent_file((state_dir.path / (t.ti->info_hash().to_hex() + ".torrent")).string());
  ASSERT_TRUE(saved) << saved.error().message();
  EXPECT_EQ(saved->info_bytes(), t.ti->info_bytes());
  EXPECT_EQ(saved->web_seeds(), std::vector<std::string>{ws});
}

/// A session that sends PEX messages every second, so that a test sees one soon.
session_settings fast_pex(const char* address) {
  auto s = loopback_settings(address);
  s.pex_interval = 1s;
  return s;
}

/// Three sessions sharing `t`: A (127.0.0.2) has all of it but the last byte; B (127.0.0.3)
/// dials A; once B has a status, C (127.0.0.4) is added knowing only B. Any other peer C finds
/// came from B's PEX messages.
struct pex_chain {
  temp_dir a_dir, b_dir, c_dir;
  session a{fast_pex("127.0.0.2")};
  std::unique_ptr<session> b, c;
  torrent_handle hc;
  bool b_ready = false;  ///< B's status was readable after its wait for A

  explicit pex_chain(const test_torrent& t) {
    add_almost_seed(a, t, a_dir.path);
    b = std::make_unique<session>(fast_pex("127.0.0.3"));
    auto hb = add_test_torrent(*b, t, b_dir.path, {endpoint_of("127.0.0.2", a.listen_port())});
    b_ready = bool(wait_for_status(hb, [](const torrent_status& s) { return s.num_peers >= 1; }));
    if (!b_ready) return;
    c = std::make_unique<session>(fast_pex("127.0.0.4"));
    hc = add_test_torrent(*c, t, c_dir.path, {endpoint_of("127.0.0.3", b->listen_port())});
  }
};

// A has all but the last piece; B connects to A; C knows only B. B tells C about A through PEX
// and C connects to both.
TEST(MagnetSession, PeerExchangeIntroducesASecondPeer) {
  auto t = make_real_torrent(43, 32 * 1024, 1500000, 100000);
  pex_chain chain(t);
  ASSERT_TRUE(chain.b_ready);
  auto two = wait_for_status(chain.hc, [](const torrent_status& s) { return s.num_peers >= 2; });
  ASSERT_TRUE(two);
  EXPECT_GE(two->num_peers, 2) << "C learned A from B's PEX message";
  auto got = wait_for_status(chain.hc, [&](const torrent_status& s) { return s.pieces_done == t.ti->num_pieces() - 1; });
  ASSERT_TRUE(got);
  EXPECT_EQ(got->pieces_done, t.ti->num_pieces() - 1) << "every piece the swarm has";
}

TEST(MagnetSession, PrivateTorrentsDoNotExchangePeers) {
  auto t = make_real_torrent(44, 32 * 1024, 600000, 100000, /*is_private=*/true);
  ASSERT_TRUE(t.ti->is_private());
  pex_chain chain(t);
  ASSERT_TRUE(chain.b_ready);
  auto s = wait_for_status(chain.hc, [](const torrent_status& st) { return st.num_peers >= 2; }, 4s);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->num_peers, 1) << "a private torrent learned a peer through PEX";
}

}  // namespace
}  // namespace tessera
