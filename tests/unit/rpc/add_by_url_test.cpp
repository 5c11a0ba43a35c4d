// torrent-add by `filename` = an http URL: the daemon fetches the .torrent from a real HTTP server
// on loopback (Beast, on its own thread), sending torrent-add's `cookies` as a Cookie header.
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "rpc_test_support.hpp"

namespace tessera::test {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

/// Serves `body` at any path to requests carrying the Cookie `cookie`, 403 to others, on
/// 127.0.0.1 from a thread of its own, one connection at a time, until destroyed.
class cookie_server {
 public:
  cookie_server(std::string body, std::string cookie)
      : body_(std::move(body)), cookie_(std::move(cookie)),
        acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        endpoint_(acceptor_.local_endpoint()),
        thread_([this] { serve(); }) {}
  ~cookie_server() {
    stopping_ = true;
    boost::system::error_code ec;
    tcp::socket poke(io_);
    poke.connect(endpoint_, ec);  // wakes the blocking accept
    thread_.join();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(endpoint_.port()) + path;
  }
  int forbidden() const { return forbidden_; }

 private:
  void serve() {
    while (!stopping_) {
      boost::system::error_code ec;
      tcp::socket socket(io_);
      acceptor_.accept(socket, ec);
      if (ec || stopping_) return;
      boost::beast::flat_buffer buffer;
      http::request<http::string_body> req;
      http::read(socket, buffer, req, ec);
      if (ec) continue;
      const bool allowed = req[http::field::cookie] == cookie_;
      if (!allowed) ++forbidden_;
      http::response<http::string_body> res{allowed ? http::status::ok : http::status::forbidden, 11};
      res.body() = allowed ? body_ : "forbidden";
      res.prepare_payload();
      http::write(socket, res, ec);
      socket.shutdown(tcp::socket::shutdown_both, ec);
    }
  }

  std::string body_, cookie_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  const tcp::endpoint endpoint_;  // read once, before the thread starts
  std::atomic<bool> stopping_{false};
  std::atomic<int> forbidden_{0};
  std::thread thread_;
};

using RpcAddByUrl = daemon_fixture;

TEST_F(RpcAddByUrl, FetchesTheTorrentWithTheCookiesGiven) {
  auto t = make_real_torrent(13);
  cookie_server server(torrent_file_of(t), "uid=42; pass=s3cret");

  auto r = call("torrent-add", {{"filename", server.url("/t/13.torrent")}, {"paused", true}});
  EXPECT_EQ(r["result"], boost::json::value("fetching " + server.url("/t/13.torrent") + ": HTTP status 403"));
  EXPECT_EQ(server.forbidden(), 1);

  auto a = ok("torrent-add", {{"filename", server.url("/t/13.torrent")}, {"paused", true},
                              {"cookies", "uid=42; pass=s3cret"}});
  ASSERT_TRUE(a.contains("torrent-added")) << last_body;
  EXPECT_EQ(a["torrent-added"].as_object()["hashString"], boost::json::value(t.ti->info_hash().to_hex()));
  EXPECT_EQ(server.forbidden(), 1);

  r = call("torrent-add", {{"filename", server.url("/t/13.torrent")}, {"cookies", "a=b\r\nHost: evil"}});
  EXPECT_NE(r["result"], "success");
  EXPECT_EQ(server.forbidden(), 1) << "a cookie with a line break reached the server";
}

}  // namespace
}  // namespace tessera::test
