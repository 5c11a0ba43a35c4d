// Test helpers for end-to-end tests: a hand-built multi-file torrent, an in-process fake seeder
// (raw Asio + the BEP 3 wire codec) and a temporary directory. Loopback only.
#pragma once

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "core/bitfield.hpp"
#include "core/torrent_info_builder.hpp"
#include "core/wire.hpp"
#include "tessera/hasher.hpp"
#include "tessera/torrent_info.hpp"

namespace tessera::test {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

inline constexpr std::int64_t default_piece_length = 32 * 1024;  // two blocks per piece

inline sha1_hash sha1(const std::uint8_t* data, std::size_t size) {
  return tessera::sha1(std::as_bytes(std::span(data, size)));
}

struct test_torrent {
  std::shared_ptr<torrent_info> ti;
  std::vector<std::uint8_t> payload;  // the torrent's byte stream
};

// Three files, the middle one a single byte, pieces crossing file boundaries, a short last piece.
/// Three files ("multi/a.bin", "multi/sub/b.txt" of one byte, "multi/c.dat"), pieces crossing
/// file boundaries, a short last piece. `with_padding`: a BEP 47 padding file (zeros) after b.txt
/// aligns c.dat to a piece boundary.
inline test_torrent make_torrent(std::uint32_t seed, std::int64_t piece_length = default_piece_length,
                                 std::int64_t first_size = 100000, std::int64_t last_size = 300000,
                                 bool with_padding = false) {
  test_torrent t;
  std::mt19937 rng(seed);
  struct spec {
    std::string path;
    std::int64_t size;
    bool pad;
  };
  std::vector<spec> files = {{"multi/a.bin", first_size, false}, {"multi/sub/b.txt", 1, false}};
  if (with_padding) {
    std::int64_t used = first_size + 1;
    std::int64_t pad = (piece_length - used % piece_length) % piece_length;
    if (pad > 0) files.push_back({"multi/.pad/" + std::to_string(pad), pad, true});
  }
  files.push_back({"multi/c.dat", last_size, false});
  auto ti = std::make_shared<tessera::detail::torrent_info_builder>();
  ti->name = "multi";
  ti->multi_file = true;
  ti->piece_length = piece_length;
  std::int64_t offset = 0;
  for (const auto& sp : files) {
    file_entry f;
    f.path = sp.path;
    f.size = sp.size;
    f.offset = offset;
    f.pad = sp.pad;
    offset += sp.size;
    ti->files.push_back(f);
  }
  ti->total_size = offset;
  t.payload.resize(static_cast<std::size_t>(offset));
  for (const auto& f : ti->files) {
    for (std::int64_t i = f.offset; i < f.offset + f.size; ++i) {
      t.payload[static_cast<std::size_t>(i)] = f.pad ? 0 : static_cast<std::uint8_t>(rng());
    }
  }
  for (std::int64_t p = 0; p < offset; p += piece_length) {
    auto len = std::min<std::int64_t>(piece_length, offset - p);
    ti->piece_hashes.push_back(sha1(t.payload.data() + p, static_cast<std::size_t>(len)));
  }
  std::string ih_seed = "test torrent " + std::to_string(seed);
  ti->info_hash.v1 = sha1(reinterpret_cast<const std::uint8_t*>(ih_seed.data()), ih_seed.size());
  t.ti = std::make_shared<torrent_info>(std::move(*ti).build());
  return t;
}

// A seeder that has every piece: answers the handshake, sends a full bitfield and unchoke (after
// `unchoke_delay`), and serves every request from memory, flipping the first byte of every block
// of `corrupt_piece` (of every piece with corrupt_every_piece).
class fake_seeder {
 public:
  static constexpr int corrupt_every_piece = -2;

  /// `fixed_id`: the peer id to answer with (random per connection when zero). `echo_id`: answer
  /// with the connecting client's own peer id (looks like a connection to itself).
  fake_seeder(const test_torrent& t, const char* ip, int corrupt_piece = -1,
              std::chrono::milliseconds unchoke_delay = 0ms, peer_id fixed_id = {}, bool echo_id = false)
      : t_(t), corrupt_piece_(corrupt_piece), unchoke_delay_(unchoke_delay), fixed_id_(fixed_id),
        echo_id_(echo_id),
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
  tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
  /// Answers each request by choking the peer (dropping its other requests, as BEP 3 allows) and
  /// unchoking it `pause` later, and serves at most one block of each piece per connection (the
  /// first one asked for; later requests of the piece only get the choke): a peer that never
  /// sends a whole piece alone. Zero (the default): serves every request, never chokes. Call
  /// before peers connect.
  void choke_after_each_block(std::chrono::milliseconds pause) { choke_pause_ms_ = pause.count(); }
  std::int64_t bytes_served() const { return served_; }
  int connections() const { return connections_; }
  /// The info-hash field of every handshake received, in order.
  std::vector<sha1_hash> handshake_hashes() {
    std::lock_guard l(handshakes_m_);
    return handshakes_;
  }

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
      if (h) {
        std::lock_guard l(handshakes_m_);
        handshakes_.push_back(h->info_hash);
      }
      if (!h || !t_.ti->info_hash().matches(h->info_hash)) co_return;
      detail::wire::handshake ours;
      ours.info_hash = h->info_hash;  // the form the peer named the torrent by
      ours.id = echo_id_ ? h->id : fixed_id_.is_zero() ? make_peer_id("FAKE") : fixed_id_;
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
      std::set<std::int64_t> served_pieces;  // with choke_after_each_block
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
        std::int64_t at = piece * t_.ti->piece_length() + begin;
        if (length <= 0 || length > 16384 || at + length > std::int64_t(t_.payload.size())) co_return;
        std::vector<std::uint8_t> data(t_.payload.begin() + at, t_.payload.begin() + at + length);
        if (piece == corrupt_piece_ || corrupt_piece_ == corrupt_every_piece) data[0] ^= 0xff;
        const auto pause = std::chrono::milliseconds(choke_pause_ms_.load());
        out.clear();
        if (pause == 0ms || served_pieces.insert(piece).second) {
          detail::wire::write_piece_header(out, piece_index{int(piece)}, int(begin), int(length));
          out.insert(out.end(), data.begin(), data.end());
          served_ += length;
        }
        if (pause > 0ms) detail::wire::write_choke(out);
        co_await asio::async_write(sock, asio::buffer(out), asio::use_awaitable);
        if (pause > 0ms) {
          asio::steady_timer timer(io_, pause);
          co_await timer.async_wait(asio::use_awaitable);
          // Requests sent before our choke arrived were dropped by the choke (BEP 3).
          while (sock.available() >= 4) {
            co_await asio::async_read(sock, asio::buffer(len_bytes), asio::use_awaitable);
            std::uint32_t n = std::uint32_t(len_bytes[0]) << 24 | std::uint32_t(len_bytes[1]) << 16 |
                              std::uint32_t(len_bytes[2]) << 8 | len_bytes[3];
            if (n > (1u << 20)) co_return;
            std::vector<std::uint8_t> skipped(n);
            co_await asio::async_read(sock, asio::buffer(skipped), asio::use_awaitable);
          }
          out.clear();
          detail::wire::write_unchoke(out);
          co_await asio::async_write(sock, asio::buffer(out), asio::use_awaitable);
        }
      }
    } catch (const std::exception&) {
      // the session hung up
    }
  }

  const test_torrent& t_;
  int corrupt_piece_;
  std::atomic<long long> choke_pause_ms_{0};
  std::chrono::milliseconds unchoke_delay_;
  peer_id fixed_id_;
  bool echo_id_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<std::int64_t> served_{0};
  std::atomic<int> connections_{0};
  std::mutex handshakes_m_;
  std::vector<sha1_hash> handshakes_;
};

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    path = std::filesystem::temp_directory_path() /
           ("tessera_session_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path);
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
  static inline std::atomic<int> counter = 0;
};


/// Compares every file under `dir` with the torrent's payload, byte for byte.
inline void expect_files_match(const test_torrent& t, const std::filesystem::path& dir) {
  for (const auto& f : t.ti->files()) {
    if (f.pad) {
      EXPECT_FALSE(std::filesystem::exists(dir / f.path)) << "padding file created: " << f.path;
      continue;
    }
    std::ifstream in(dir / f.path, std::ios::binary);
    ASSERT_TRUE(in) << f.path;
    std::vector<std::uint8_t> got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::uint8_t> want(t.payload.begin() + f.offset, t.payload.begin() + f.offset + f.size);
    EXPECT_TRUE(got == want) << f.path << " differs (" << got.size() << " bytes on disk)";
  }
}

// A minimal HTTP tracker (BEP 3, compact peers of BEP 23): answers every announce with `peers`
// and records the request lines; answers scrapes (BEP 48, GET /scrape) with the figures given to
// scrape_figures, recorded apart (scrapes()).
class fake_tracker {
 public:
  explicit fake_tracker(std::vector<tcp::endpoint> peers)
      : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    compact_ = compact(peers);
    asio::co_spawn(io_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~fake_tracker() {
    io_.stop();
    thread_.join();
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/announce";
  }
  /// Announces whose request line contains `part` (e.g. "info_hash=<percent-encoded hash>") are
  /// answered with `peers` instead of the constructor's. Call before any announce.
  void answer_for(std::string part, std::vector<tcp::endpoint> peers) {
    std::lock_guard l(m_);
    special_.emplace_back(std::move(part), compact(peers));
  }
  /// The announce request lines received so far ("GET /announce?... HTTP/1.1").
  std::vector<std::string> requests() {
    std::lock_guard l(m_);
    return requests_;
  }
  /// The scrape request lines received so far ("GET /scrape?... HTTP/1.1").
  std::vector<std::string> scrapes() {
    std::lock_guard l(m_);
    return scrapes_;
  }
  /// Scrapes list `hash` in `files` with these counts (BEP 48); a hash never given is left out.
  void scrape_figures(const sha1_hash& hash, std::int64_t complete, std::int64_t downloaded, std::int64_t incomplete) {
    std::lock_guard l(m_);
    files_[hash.to_bytes()] = "d8:completei" + std::to_string(complete) + "e10:downloadedi" +
                              std::to_string(downloaded) + "e10:incompletei" + std::to_string(incomplete) + "ee";
  }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto sock = co_await acceptor_.async_accept(asio::use_awaitable);
      asio::co_spawn(io_, serve(std::move(sock)), asio::detached);
    }
  }
  asio::awaitable<void> serve(tcp::socket sock) {
    try {
      std::string in;
      co_await asio::async_read_until(sock, asio::dynamic_buffer(in, 64 * 1024), "\r\n\r\n",
                                      asio::use_awaitable);
      std::string peers = compact_;
      std::string body;
      {
        std::lock_guard l(m_);
        const std::string line = in.substr(0, in.find("\r\n"));
        if (line.starts_with("GET /scrape")) {
          scrapes_.push_back(line);
          body = "d5:filesd";
          for (const auto& [key, entry] : files_) body += "20:" + key + entry;  // std::map: sorted keys
          body += "ee";
        } else {
          requests_.push_back(line);
          for (const auto& [part, answer] : special_) {
            if (requests_.back().find(part) != std::string::npos) peers = answer;
          }
        }
      }
      if (body.empty()) body = "d8:intervali1800e5:peers" + std::to_string(peers.size()) + ":" + peers + "e";
      std::string out = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
      co_await asio::async_write(sock, asio::buffer(out), asio::use_awaitable);
      boost::system::error_code ignored;
      sock.shutdown(tcp::socket::shutdown_both, ignored);
    } catch (const std::exception&) {
    }
  }

  static std::string compact(const std::vector<tcp::endpoint>& peers) {
    std::string out;
    for (const auto& ep : peers) {
      auto b = ep.address().to_v4().to_bytes();
      out.append(reinterpret_cast<const char*>(b.data()), 4);
      out += char(ep.port() >> 8);
      out += char(ep.port() & 0xff);
    }
    return out;
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::string compact_;
  std::mutex m_;
  std::vector<std::string> requests_;
  std::vector<std::pair<std::string, std::string>> special_;  // see answer_for
  std::vector<std::string> scrapes_;
  std::map<std::string, std::string> files_;  // see scrape_figures: 20-byte hash -> bencoded entry
};

}  // namespace tessera::test
