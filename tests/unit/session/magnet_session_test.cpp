// Magnet links end to end between sessions on loopback: the metadata fetched from a seeding
// session (BEP 9), then the data; peer exchange (BEP 11) introducing a third session; private
// torrents keeping PEX off (BEP 27).
#include <atomic>
#include <fstream>
#include <memory>
#include <mutex>

#include <gtest/gtest.h>

#include "disk/resume_data.hpp"
#include "session_test_support.hpp"
#include "tessera/magnet.hpp"

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
  const auto last = dir / t.ti->files.back().path;
  std::filesystem::resize_file(last, std::filesystem::file_size(last) - 1);
  auto h = add_test_torrent(ses, t, dir);
  // Peers that dial during the check are turned away (and retried only 30 s later).
  EXPECT_TRUE(wait_for_status(h, [](const torrent_status& s) { return s.state != torrent_state::checking; }));
  return h;
}

std::string magnet_for(const test_torrent& t, const std::vector<std::string>& peers) {
  magnet_link m;
  m.info_hash = t.ti->info_hash;
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
  auto saved = load_torrent_file((state_dir.path / (t.ti->info_hash.to_hex() + ".torrent")).string());
  ASSERT_TRUE(saved) << saved.error().message();
  EXPECT_EQ(saved->info_hash, t.ti->info_hash);
  EXPECT_EQ(saved->info_bytes, t.ti->info_bytes);
}

TEST(MagnetSession, WithoutPeersItWaitsInDownloadingMetadata) {
  auto t = make_real_torrent(42);
  temp_dir dir;
  session leecher(loopback_settings("127.0.0.3"));
  add_torrent_params p;
  p.info_hash = t.ti->info_hash;
  p.save_path = dir.path;
  auto h = leecher.add_torrent(p);
  ASSERT_TRUE(h);
  std::this_thread::sleep_for(300ms);
  auto s = h->status();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, torrent_state::downloading_metadata);
  EXPECT_EQ(s->name, t.ti->info_hash.to_hex()) << "no dn: the info-hash names it";
  EXPECT_EQ(s->num_pieces, 0);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path)) << "nothing is created before the metadata";
}

TEST(AddTorrentParams, FromATorrentFileOrItsBytes) {
  auto t = make_real_torrent(45);
  temp_dir dir;
  std::filesystem::create_directories(dir.path);
  const auto file = dir.path / "t.torrent";
  const std::string bytes = make_torrent_file(t.ti->info_bytes, {});
  { std::ofstream(file, std::ios::binary) << bytes; }
  auto a = add_torrent_params::from_torrent_file(file.string(), "/dl");
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(a->ti->info_hash, t.ti->info_hash);
  EXPECT_EQ(a->save_path, "/dl");
  auto b = add_torrent_params::from_torrent_bytes(bytes, "/dl");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->ti->info_hash, t.ti->info_hash);
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
  ASSERT_TRUE(t.ti->is_private);
  pex_chain chain(t);
  ASSERT_TRUE(chain.b_ready);
  auto s = wait_for_status(chain.hc, [](const torrent_status& st) { return st.num_peers >= 2; }, 4s);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->num_peers, 1) << "a private torrent learned a peer through PEX";
}

}  // namespace
}  // namespace tessera
