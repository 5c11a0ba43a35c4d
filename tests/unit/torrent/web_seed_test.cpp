// web_seed's handling of HTTP replies against a scripted server on loopback: 206 partial content,
// 200 with the Range ignored, 404, short and long bodies, a redirect loop, a stall, 503 with
// Retry-After; what comes back to the host (blocks delivered or aborted) and the seed's status.
#include <gtest/gtest.h>

#include <functional>
#include <map>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "core/torrent_info_builder.hpp"
#include "torrent/web_seed.hpp"

namespace tessera::detail {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

constexpr std::int64_t piece_len = 32 << 10;
constexpr std::int64_t file_len = 80 << 10;  // pieces of 32, 32 and 16 KiB

std::string file_bytes() {
  std::string s(static_cast<std::size_t>(file_len), '\0');
  for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>((i * 7 + i / 251) & 0xff);
  return s;
}

/// What the server does with one request: the raw bytes to send, then close or keep the
/// connection, or stall (send the bytes, then nothing, connection held open).
struct scripted {
  std::string bytes;
  enum { keep, close, stall } then = keep;
};

/// A loopback HTTP server answering each request (its head, as text) with `script`.
class script_server {
 public:
  script_server(asio::io_context& io, std::function<scripted(const std::string&)> script)
      : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), script_(std::move(script)) {
    asio::co_spawn(io, accept(), asio::detached);
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + path;
  }
  const std::vector<std::string>& requests() const { return requests_; }
  int connections() const { return connections_; }

 private:
  asio::awaitable<void> accept() {
    for (;;) {
      auto [ec, sock] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      ++connections_;
      asio::co_spawn(acceptor_.get_executor(), serve(std::move(sock)), asio::detached);
    }
  }
  asio::awaitable<void> serve(tcp::socket sock) {
    std::string buf;
    for (;;) {
      auto [ec, n] = co_await asio::async_read_until(sock, asio::dynamic_buffer(buf), "\r\n\r\n",
                                                     asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      std::string head = buf.substr(0, n);
      buf.erase(0, n);
      requests_.push_back(head);
      scripted s = script_(head);
      auto [wec, wn] = co_await asio::async_write(sock, asio::buffer(s.bytes), asio::as_tuple(asio::use_awaitable));
      if (wec || s.then == scripted::close) co_return;
      if (s.then == scripted::stall) {
        stalled_.push_back(std::move(sock));
        co_return;
      }
    }
  }
  tcp::acceptor acceptor_;
  std::function<scripted(const std::string&)> script_;
  std::vector<std::string> requests_;
  std::vector<tcp::socket> stalled_;
  int connections_ = 0;
};

/// The Range of a request head: first, last.
std::pair<std::int64_t, std::int64_t> range_of(const std::string& head) {
  auto p = head.find("Range: bytes=");
  if (p == std::string::npos) p = head.find("range: bytes=");
  if (p == std::string::npos) return {-1, -1};
  p += 13;
  const auto dash = head.find('-', p);
  return {std::stoll(head.substr(p, dash - p)), std::stoll(head.substr(dash + 1))};
}

std::string partial(const std::string& data, std::pair<std::int64_t, std::int64_t> r, std::int64_t declared = -1,
                    std::int64_t sent = -1) {
  const std::int64_t len = r.second - r.first + 1;
  std::string out = "HTTP/1.1 206 Partial Content\r\nContent-Length: " + std::to_string(declared < 0 ? len : declared) +
                    "\r\nContent-Range: bytes " + std::to_string(r.first) + "-" + std::to_string(r.second) + "/" +
                    std::to_string(data.size()) + "\r\n\r\n";
  out += data.substr(static_cast<std::size_t>(r.first), static_cast<std::size_t>(sent < 0 ? len : sent));
  return out;
}

/// Hands out the blocks of `pieces` once, records what comes back.
struct fake_host : web_seed_host {
  std::vector<int> pieces;
  std::map<std::pair<int, int>, std::string> delivered;
  std::vector<block_address> aborted;
  int picks = 0;
  void web_seed_pick(peer_key, int max_blocks, std::vector<block_address>& out) override {
    ++picks;
    for (int p : pieces) {
      const std::int64_t size = std::min(piece_len, file_len - p * piece_len);
      for (int b = 0; b * block_size < size && max_blocks > 0; ++b, --max_blocks) {
        out.push_back({piece_index{p}, block_index{b}});
      }
    }
    pieces.clear();
  }
  void web_seed_block(peer_key, block_address b, std::span<const std::uint8_t> data) override {
    delivered[{b.piece.value, b.block.value}] = std::string(data.begin(), data.end());
  }
  void web_seed_abort(peer_key, block_address b) override {
    aborted.push_back(b);
    pieces.push_back(b.piece.value);  // handed out again at the next pick
    std::sort(pieces.begin(), pieces.end());
    pieces.erase(std::unique(pieces.begin(), pieces.end()), pieces.end());
  }
};

std::shared_ptr<const torrent_info> single_file_torrent() {
  tessera::detail::torrent_info_builder ti;
  ti.name = "file.bin";
  ti.piece_length = piece_len;
  ti.piece_hashes.resize(3);
  file_entry f;
  f.path = "file.bin";
  f.size = file_len;
  ti.files.push_back(f);
  ti.total_size = file_len;
  return std::make_shared<torrent_info>(std::move(ti).build());
}

struct WebSeed : ::testing::Test {
  asio::io_context io;
  std::shared_ptr<fake_host> host = std::make_shared<fake_host>();
  std::string data = file_bytes();
  web_seed_config cfg;
  WebSeed() {
    cfg.stall_timeout = 300ms;
    cfg.retry_base = 10ms;
    cfg.max_failures = 2;
  }
  std::shared_ptr<web_seed> start(const std::string& url) {
    auto ws = std::make_shared<web_seed>(io.get_executor(), url, single_file_torrent(),
                                         std::weak_ptr<web_seed_host>(host), 1, bandwidth_path{}, cfg);
    ws->start();
    return ws;
  }
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io.run_one_for(10ms);
    }
    return true;
  }
  std::string got(int piece, int b) const {
    auto it = host->delivered.find({piece, b});
    return it == host->delivered.end() ? std::string("(not delivered)") : it->second;
  }
  std::string block(int piece, int b) const {
    const std::int64_t off = piece * piece_len + b * block_size;
    return data.substr(static_cast<std::size_t>(off),
                       static_cast<std::size_t>(std::min<std::int64_t>(block_size, file_len - off)));
  }
};

TEST_F(WebSeed, PartialContentIsDeliveredBlockByBlockOverOneConnection) {
  script_server server(io, [&](const std::string& head) { return scripted{partial(data, range_of(head))}; });
  host->pieces = {0, 2};
  auto ws = start(server.url("/file.bin"));
  ASSERT_TRUE(run_until([&] { return host->delivered.size() == 3; }));
  EXPECT_EQ(got(0, 0), block(0, 0));
  EXPECT_EQ(got(0, 1), block(0, 1));
  EXPECT_EQ(got(2, 0), block(2, 0));
  ASSERT_EQ(server.requests().size(), 2u);  // two runs: piece 0, then piece 2 (not contiguous)
  EXPECT_EQ(range_of(server.requests()[0]), (std::pair<std::int64_t, std::int64_t>{0, piece_len - 1}));
  EXPECT_EQ(range_of(server.requests()[1]), (std::pair<std::int64_t, std::int64_t>{2 * piece_len, file_len - 1}));
  EXPECT_EQ(server.connections(), 1);  // keep-alive
  EXPECT_TRUE(host->aborted.empty());
  EXPECT_EQ(ws->status().total_downloaded, piece_len + 16 * 1024);
  EXPECT_EQ(ws->status().failures, 0);
  ws->close();
}

TEST_F(WebSeed, AWholeFileReplyThatIgnoredTheRangeIsCutToIt) {
  script_server server(io, [&](const std::string&) {
    return scripted{"HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(data.size()) + "\r\n\r\n" + data};
  });
  host->pieces = {1};
  auto ws = start(server.url("/file.bin"));
  ASSERT_TRUE(run_until([&] { return host->delivered.size() == 2; }));
  EXPECT_EQ(got(1, 0), block(1, 0));
  EXPECT_EQ(got(1, 1), block(1, 1));
  ws->close();
}

TEST_F(WebSeed, NotFoundDropsTheSeedAtOnceAndHandsTheBlocksBack) {
  script_server server(io, [](const std::string&) {
    return scripted{"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"};
  });
  host->pieces = {0};
  auto ws = start(server.url("/file.bin"));
  ASSERT_TRUE(run_until([&] { return ws->dropped(); }));
  EXPECT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(host->aborted.size(), 2u);
  EXPECT_TRUE(host->delivered.empty());
  EXPECT_EQ(ws->status().state, web_seed_state::dropped);
  EXPECT_NE(ws->status().error.find("404"), std::string::npos) << ws->status().error;
}

TEST_F(WebSeed, AShortBodyFailsAndRepeatedFailuresDropTheSeed) {
  script_server server(io, [&](const std::string& head) {
    return scripted{partial(data, range_of(head), -1, 1000), scripted::close};
  });
  host->pieces = {0};
  auto ws = start(server.url("/file.bin"));
  ASSERT_TRUE(run_until([&] { return ws->dropped(); }));
  EXPECT_EQ(server.requests().size(), 2u);  // max_failures, with a back-off between
  EXPECT_EQ(host->aborted.size(), 4u);
  EXPECT_TRUE(host->delivered.empty());
  EXPECT_NE(ws->status().error.find("shorter"), std::string::npos) << ws->status().error;
}

TEST_F(WebSeed, ALengthOtherThanTheRangeIsRefused) {
  script_server server(io, [&](const std::string& head) {
    auto r = range_of(head);
    return scripted{partial(data, r, r.second - r.first + 2, r.second - r.first + 2)};
  });
  host->pieces = {0};
  auto ws = start(server.url("/file.bin"));
  ASSERT_TRUE(run_until([&] { return ws->dropped(); }));
  EXPECT_TRUE(host->delivered.empty());
  EXPECT_NE(ws->status().error.find("length"), std::string::npos) << ws->status().error;
}

TEST_F(WebSeed, ABodyGoingOnPastTheRangeIsRefused) {
  // No Content-Length: the body runs to the end of the connection, 100 bytes past the range.
  script_server server(io, [&](const std::string& head) {
    auto r = range_of(head);
    return scripted{"HTTP/1.1 206 Partial Content\r\nConnection: close\r\n\r\n" +
                        data.substr(static_cast<std::size_t>(r.first), static_cast<std::size_t>(r.second - r.first + 101)),
                    scripted::close};
  });
  host->pieces = {0};
  auto ws = start(server.url("/file.bin"));
  ASSERT_TRUE(run_until([&] { return ws->dropped(); }));
  EXPECT_TRUE(host->delivered.empty());
  EXPECT_EQ(host->aborted.size(), 4u);
  EXPECT_NE(ws->status().error.find("longer"), std::string::npos) << ws->status().error;
}

TEST_F(WebSeed, ARedirectIsFollowedAndARedirectLoopIsNot) {
  script_server good(io, [&](const std::string& head) { return scripted{partial(data, range_of(head))}; });
  const std::string target = good.url("/real.bin");
  script_server moved(io, [&](const std::string&) {
    return scripted{"HTTP/1.1 302 Found\r\nLocation: " + target + "\r\nContent-Length: 0\r\n\r\n"};
  });
  host->pieces = {0};
  auto ws = start(moved.url("/file.bin"));
  ASSERT_TRUE(run_until([&] { return host->delivered.size() == 2; }));
  EXPECT_EQ(got(0, 0), block(0, 0));
  ASSERT_FALSE(good.requests().empty());
  EXPECT_EQ(good.requests()[0].rfind("GET /real.bin ", 0), 0u);
  ws->close();

  auto host2 = std::make_shared<fake_host>();
  host = host2;
  script_server loop(io, [](const std::string&) {
    return scripted{"HTTP/1.1 301 Moved\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n"};
  });
  host->pieces = {0};
  auto ws2 = start(loop.url("/file.bin"));
  ASSERT_TRUE(run_until([&] { return ws2->dropped(); }));
  // Each failed request followed max_redirects redirects: 1 + 5 requests, twice.
  EXPECT_EQ(loop.requests().size(), 2u * (1 + static_cast<std::size_t>(cfg.max_redirects)));
  EXPECT_NE(ws2->status().error.find("redirects"), std::string::npos) << ws2->status().error;
}

TEST_F(WebSeed, AStalledBodyFailsAfterTheStallTimeout) {
  script_server server(io, [&](const std::string& head) {
    return scripted{partial(data, range_of(head), -1, 5000), scripted::stall};
  });
  host->pieces = {0};
  auto ws = start(server.url("/file.bin"));
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(run_until([&] { return ws->dropped(); }));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 2 * cfg.stall_timeout);
  EXPECT_TRUE(host->delivered.empty());
  EXPECT_NE(ws->status().error.find("no data"), std::string::npos) << ws->status().error;
}

TEST_F(WebSeed, PiecesFailingTheirHashCheckDropTheSeedAfterMaxHashFailures) {
  script_server server(io, [&](const std::string& head) { return scripted{partial(data, range_of(head))}; });
  host->pieces = {0};
  auto ws = start(server.url("/file.bin"));
  ASSERT_TRUE(run_until([&] { return host->delivered.size() == 2; }));
  for (int i = 1; i < cfg.max_hash_failures; ++i) {
    ws->on_hash_failed();
    EXPECT_FALSE(ws->dropped()) << i;
  }
  ws->on_hash_failed();
  EXPECT_TRUE(ws->dropped());
  EXPECT_NE(ws->status().error.find("hash"), std::string::npos) << ws->status().error;
  host->pieces = {1};  // a dropped seed fetches nothing more
  run_until([] { return false; }, 100ms);
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST_F(WebSeed, ServiceUnavailableWaitsForRetryAfter) {
  int n = 0;
  script_server server(io, [&](const std::string& head) {
    if (n++ == 0) return scripted{"HTTP/1.1 503 Busy\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n"};
    return scripted{partial(data, range_of(head))};
  });
  host->pieces = {2};
  auto ws = start(server.url("/file.bin"));
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(run_until([&] { return host->delivered.size() == 1; }));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 1s);  // not retry_base (10 ms)
  EXPECT_EQ(got(2, 0), block(2, 0));
  EXPECT_FALSE(ws->dropped());
  ws->close();
}

}  // namespace
}  // namespace tessera::detail
