// End-to-end: a session downloads a hand-built 3-file torrent from in-process fake seeders on
// loopback (raw Asio, BEP 3 wire codec), into a temporary directory.
#include "tessera/session.hpp"

#include <gtest/gtest.h>
#include <openssl/sha.h>

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

#include "core/bitfield.hpp"
#include "core/wire.hpp"
#include "session/session_impl.hpp"

namespace tessera {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

constexpr std::int64_t piece_length = 32 * 1024;  // two blocks per piece

sha1_hash sha1(const std::uint8_t* data, std::size_t size) {
  sha1_hash h;
  SHA1(data, size, h.bytes.data());
  return h;
}

struct test_torrent {
  std::shared_ptr<torrent_info> ti;
  std::vector<std::uint8_t> payload;  // the torrent's byte stream
};

// Three files, the middle one a single byte, pieces crossing file boundaries, a short last piece.
test_torrent make_torrent(std::uint32_t seed) {
  test_torrent t;
  std::mt19937 rng(seed);
  const std::vector<std::pair<std::string, std::int64_t>> files = {
      {"multi/a.bin", 100000}, {"multi/sub/b.txt", 1}, {"multi/c.dat", 300000}};
  auto ti = std::make_shared<torrent_info>();
  ti->name = "multi";
  ti->multi_file = true;
  ti->piece_length = piece_length;
  std::int64_t offset = 0;
  for (const auto& [path, size] : files) {
    file_entry f;
    f.path = path;
    f.size = size;
    f.offset = offset;
    offset += size;
    ti->files.push_back(f);
  }
  ti->total_size = offset;
  t.payload.resize(static_cast<std::size_t>(offset));
  for (auto& b : t.payload) b = static_cast<std::uint8_t>(rng());
  for (std::int64_t p = 0; p < offset; p += piece_length) {
    auto len = std::min<std::int64_t>(piece_length, offset - p);
    ti->piece_hashes.push_back(sha1(t.payload.data() + p, static_cast<std::size_t>(len)));
  }
  std::string ih_seed = "test torrent " + std::to_string(seed);
  ti->info_hash = sha1(reinterpret_cast<const std::uint8_t*>(ih_seed.data()), ih_seed.size());
  t.ti = ti;
  return t;
}

// A seeder that has every piece: answers the handshake, sends a full bitfield and unchoke (after
// `unchoke_delay`), and serves every request from memory, flipping bytes of `corrupt_piece`.
class fake_seeder {
 public:
  fake_seeder(const test_torrent& t, const char* ip, int corrupt_piece = -1,
              std::chrono::milliseconds unchoke_delay = 0ms)
      : t_(t), corrupt_piece_(corrupt_piece), unchoke_delay_(unchoke_delay),
        acceptor_(io_, tcp::endpoint(asio::ip::make_address(ip), 0)) {
    asio::co_spawn(io_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~fake_seeder() {
    io_.stop();
    thread_.join();
  }
  std::string endpoint() const {
    auto ep = acceptor_.local_endpoint();
    return ep.address().to_string() + ":" + std::to_string(ep.port());
  }
  std::int64_t bytes_served() const { return served_; }
  int connections() const { return connections_; }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto sock = co_await acceptor_.async_accept(asio::use_awaitable);
      ++connections_;
      asio::co_spawn(io_, serve(std::move(sock)), asio::detached);
    }
  }

  asio::awaitable<void> serve(tcp::socket sock) {
    try {
      std::vector<std::uint8_t> buf(detail::wire::handshake_length);
      co_await asio::async_read(sock, asio::buffer(buf), asio::use_awaitable);
      auto h = detail::wire::parse_handshake(buf);
      if (!h || h->info_hash != t_.ti->info_hash) co_return;
      detail::wire::handshake ours;
      ours.info_hash = t_.ti->info_hash;
      ours.id = make_peer_id("FAKE");
      std::vector<std::uint8_t> out;
      detail::wire::write_handshake(out, ours);
      detail::bitfield all(t_.ti->num_pieces(), true);
      detail::wire::write_bitfield(out, all.bytes());
      co_await asio::async_write(sock, asio::buffer(out), asio::use_awaitable);
      if (unchoke_delay_ > 0ms) {
        asio::steady_timer timer(io_, unchoke_delay_);
        co_await timer.async_wait(asio::use_awaitable);
      }
      out.clear();
      detail::wire::write_unchoke(out);
      co_await asio::async_write(sock, asio::buffer(out), asio::use_awaitable);
      for (;;) {
        std::uint8_t len_bytes[4];
        co_await asio::async_read(sock, asio::buffer(len_bytes), asio::use_awaitable);
        std::uint32_t len = std::uint32_t(len_bytes[0]) << 24 | std::uint32_t(len_bytes[1]) << 16 |
                            std::uint32_t(len_bytes[2]) << 8 | len_bytes[3];
        if (len > (1u << 20)) co_return;
        std::vector<std::uint8_t> body(len);
        co_await asio::async_read(sock, asio::buffer(body), asio::use_awaitable);
        if (len != 13 || body[0] != 6) continue;  // only `request` matters
        auto u32 = [&](int at) {
          return std::uint32_t(body[at]) << 24 | std::uint32_t(body[at + 1]) << 16 |
                 std::uint32_t(body[at + 2]) << 8 | body[at + 3];
        };
        std::int64_t piece = u32(1), begin = u32(5), length = u32(9);
        std::int64_t at = piece * piece_length + begin;
        if (length <= 0 || length > 16384 || at + length > std::int64_t(t_.payload.size())) co_return;
        std::vector<std::uint8_t> data(t_.payload.begin() + at, t_.payload.begin() + at + length);
        if (piece == corrupt_piece_) data[0] ^= 0xff;
        out.clear();
        detail::wire::write_piece_header(out, piece_index{int(piece)}, int(begin), int(length));
        out.insert(out.end(), data.begin(), data.end());
        co_await asio::async_write(sock, asio::buffer(out), asio::use_awaitable);
        served_ += length;
      }
    } catch (const std::exception&) {
      // the session hung up
    }
  }

  const test_torrent& t_;
  int corrupt_piece_;
  std::chrono::milliseconds unchoke_delay_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<std::int64_t> served_{0};
  std::atomic<int> connections_{0};
};

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    path = std::filesystem::temp_directory_path() /
           ("tessera_session_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path);
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
  static inline int counter = 0;
};

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

// Polls the handle until `pred(status)` holds or `limit` passes.
template <class Pred>
result<torrent_status> wait_for(const torrent_handle& h, Pred pred, std::chrono::seconds limit = 20s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    auto s = h.status();
    if (!s || pred(*s) || std::chrono::steady_clock::now() > deadline) return s;
    std::this_thread::sleep_for(20ms);
  }
}

bool is_done(const torrent_status& s) {
  return s.state == torrent_state::seeding || s.state == torrent_state::error;
}

void expect_files_match(const test_torrent& t, const std::filesystem::path& dir) {
  for (const auto& f : t.ti->files) {
    std::ifstream in(dir / f.path, std::ios::binary);
    ASSERT_TRUE(in) << f.path;
    std::vector<std::uint8_t> got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::uint8_t> want(t.payload.begin() + f.offset, t.payload.begin() + f.offset + f.size);
    EXPECT_TRUE(got == want) << f.path << " differs (" << got.size() << " bytes on disk)";
  }
}

session_settings test_settings() {
  session_settings s;
  s.stop_announce_timeout = 1s;
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
    auto s = wait_for(*h, is_done);
    ASSERT_TRUE(s);
    ASSERT_EQ(s->state, torrent_state::seeding) << s->error;
    EXPECT_EQ(s->total_size, t.ti->total_size);
    EXPECT_EQ(s->total_done, t.ti->total_size);
    EXPECT_EQ(s->pieces_done, t.ti->num_pieces());
    EXPECT_GE(s->total_downloaded, t.ti->total_size);
    EXPECT_EQ(s->total_wasted, 0);
    EXPECT_DOUBLE_EQ(s->progress(), 1.0);
    EXPECT_EQ(log->count<events::torrent_added>(), 1);
    EXPECT_EQ(log->count<events::torrent_finished>(), 1);
    EXPECT_EQ(log->count<events::piece_verified>(), t.ti->num_pieces());
    EXPECT_EQ(log->count<events::peer_connected>(), 1);
    ses.stop();
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
  auto s = wait_for(*h, is_done);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, torrent_state::seeding);
  EXPECT_EQ(s->pieces_checked, t.ti->num_pieces());
  EXPECT_EQ(s->total_done, t.ti->total_size);
  EXPECT_EQ(s->total_downloaded, 0);
  EXPECT_EQ(log->count<events::torrent_finished>(), 1);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(seeder.bytes_served(), served);
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
  auto s = wait_for(*h, is_done);
  ASSERT_TRUE(s);
  ASSERT_EQ(s->state, torrent_state::seeding) << s->error;
  EXPECT_GT(liar.bytes_served(), 0);
  EXPECT_GE(s->total_wasted, piece_length);  // at least the corrupt piece was thrown away
  ses.stop();
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
  auto s = wait_for(*h, [](const torrent_status& st) { return st.state != torrent_state::checking; }, 5s);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, torrent_state::downloading);
  EXPECT_EQ(s->total_done, 0);
  EXPECT_EQ(s->num_peers, 0);
  EXPECT_EQ(s->info_hash, t.ti->info_hash);
  EXPECT_EQ(s->name, "multi");
  EXPECT_FALSE(s->eta());
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
