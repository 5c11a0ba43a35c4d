// Helpers for the discovery tests: running a coroutine to completion with a time limit, and
// in-process fake HTTP and UDP trackers on 127.0.0.1.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "discovery/tracker.hpp"

namespace tessera::test {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using namespace std::chrono_literals;

inline constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

/// Runs `aw` on `io` until it finishes or `limit` passes (then nullopt): no test can hang.
template <class T>
std::optional<T> run(asio::io_context& io, asio::awaitable<T> aw,
                     std::chrono::steady_clock::duration limit = 10s) {
  std::optional<T> out;
  // co_spawn's handler needs a default-constructible T; result<> is not, so store it from inside.
  auto wrapper = [](asio::awaitable<T> inner, std::optional<T>* slot) -> asio::awaitable<void> {
    slot->emplace(co_await std::move(inner));
  };
  asio::co_spawn(io, wrapper(std::move(aw), &out), [&](std::exception_ptr) { io.stop(); });
  io.restart();
  io.run_for(limit);
  io.restart();
  return out;
}

/// Runs `io` for `d` (to let background coroutines progress).
inline void run_for(asio::io_context& io, std::chrono::steady_clock::duration d) {
  io.restart();
  io.run_for(d);
  io.restart();
}

/// Runs `io` until `done()` or `limit`. Returns done().
inline bool run_until(asio::io_context& io, const std::function<bool()>& done,
                      std::chrono::steady_clock::duration limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  io.restart();
  while (!done() && std::chrono::steady_clock::now() < deadline) io.run_for(10ms);
  io.restart();
  return done();
}

/// A fake HTTP tracker: answers each GET with what `handler` returns for the request target.
struct fake_http_tracker {
  struct reply {
    unsigned status = 200;
    std::string body;
    std::string location;  ///< set for redirects
    bool never_answer = false;

    reply(unsigned s = 200, std::string b = {}, std::string loc = {})
        : status(s), body(std::move(b)), location(std::move(loc)) {}
  };
  using handler_type = std::function<reply(const std::string& target)>;

  fake_http_tracker(asio::io_context& io, handler_type h, const char* address = "127.0.0.1")
      : acceptor(io, asio::ip::tcp::endpoint(asio::ip::make_address(address), 0)),
        state(std::make_shared<shared>()) {
    state->handler = std::move(h);
    asio::co_spawn(io, serve(acceptor, state), asio::detached);
  }
  ~fake_http_tracker() {
    boost::system::error_code ec;
    acceptor.close(ec);
  }
  std::uint16_t port() const { return acceptor.local_endpoint().port(); }
  std::string url(const std::string& path = "/announce") const {
    return "http://" + acceptor.local_endpoint().address().to_string() + ":" + std::to_string(port()) + path;
  }
  const std::vector<std::string>& targets() const { return state->targets; }
  /// The Cookie header of each request, in order ("" without one).
  const std::vector<std::string>& cookies() const { return state->cookies; }
  /// Source address of each accepted connection, in order.
  const std::vector<asio::ip::address>& sources() const { return state->sources; }

  struct shared {
    handler_type handler;
    std::vector<std::string> targets;
    std::vector<std::string> hosts;
    std::vector<std::string> cookies;
    std::vector<asio::ip::address> sources;
  };

  static asio::awaitable<void> session(asio::ip::tcp::socket socket, std::shared_ptr<shared> st) {
    boost::system::error_code rec;
    st->sources.push_back(socket.remote_endpoint(rec).address());
    boost::beast::flat_buffer buffer;
    http::request<http::string_body> req;
    auto [ec, n] = co_await http::async_read(socket, buffer, req, use_tuple);
    if (ec) co_return;
    st->targets.push_back(std::string(req.target()));
    st->hosts.push_back(std::string(req[http::field::host]));
    st->cookies.push_back(std::string(req[http::field::cookie]));
    reply r = st->handler(std::string(req.target()));
    if (r.never_answer) {
      asio::steady_timer t(socket.get_executor(), 30s);
      co_await t.async_wait(use_tuple);
      co_return;
    }
    http::response<http::string_body> res{static_cast<http::status>(r.status), 11};
    if (!r.location.empty()) res.set(http::field::location, r.location);
    res.body() = r.body;
    res.prepare_payload();
    co_await http::async_write(socket, res, use_tuple);
    boost::system::error_code ignored;
    socket.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  }

  static asio::awaitable<void> serve(asio::ip::tcp::acceptor& acceptor, std::shared_ptr<shared> st) {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
      if (ec) co_return;
      asio::co_spawn(acceptor.get_executor(), session(std::move(socket), st), asio::detached);
    }
  }

  asio::ip::tcp::acceptor acceptor;
  std::shared_ptr<shared> state;
};

/// A fake UDP tracker: `handler` gets each datagram and returns the datagrams to send back (none
/// to drop it).
struct fake_udp_tracker {
  using bytes = std::vector<std::uint8_t>;
  using handler_type = std::function<std::vector<bytes>(const bytes& request)>;

  fake_udp_tracker(asio::io_context& io, handler_type h, const char* address = "127.0.0.1")
      : socket(io, asio::ip::udp::endpoint(asio::ip::make_address(address), 0)),
        state(std::make_shared<shared>()) {
    state->handler = std::move(h);
    asio::co_spawn(io, serve(socket, state), asio::detached);
  }
  ~fake_udp_tracker() {
    boost::system::error_code ec;
    socket.close(ec);
  }
  std::uint16_t port() const { return socket.local_endpoint().port(); }
  std::string url() const {
    auto a = socket.local_endpoint().address();
    std::string host = a.is_v6() ? "[" + a.to_string() + "]" : a.to_string();
    return "udp://" + host + ":" + std::to_string(port()) + "/announce";
  }
  const std::vector<bytes>& received() const { return state->received; }
  /// Source address of each datagram received, in order.
  const std::vector<asio::ip::address>& sources() const { return state->sources; }

  struct shared {
    handler_type handler;
    std::vector<bytes> received;
    std::vector<asio::ip::address> sources;
  };

  static asio::awaitable<void> serve(asio::ip::udp::socket& socket, std::shared_ptr<shared> st) {
    bytes buffer(65536);
    for (;;) {
      asio::ip::udp::endpoint from;
      auto [ec, n] = co_await socket.async_receive_from(asio::buffer(buffer), from, use_tuple);
      if (ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) co_return;
      if (ec) continue;
      bytes request(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
      st->received.push_back(request);
      st->sources.push_back(from.address());
      for (const auto& out : st->handler(request)) {
        co_await socket.async_send_to(asio::buffer(out), from, use_tuple);
      }
    }
  }

  asio::ip::udp::socket socket;
  std::shared_ptr<shared> state;
};

/// Big-endian helpers for building BEP 15 replies in tests.
inline void put32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}
inline void put64(std::vector<std::uint8_t>& out, std::uint64_t v) {
  put32(out, static_cast<std::uint32_t>(v >> 32));
  put32(out, static_cast<std::uint32_t>(v));
}
inline std::uint32_t get32(const std::vector<std::uint8_t>& in, std::size_t off) {
  return (std::uint32_t{in[off]} << 24) | (std::uint32_t{in[off + 1]} << 16) |
         (std::uint32_t{in[off + 2]} << 8) | std::uint32_t{in[off + 3]};
}
inline std::uint64_t get64(const std::vector<std::uint8_t>& in, std::size_t off) {
  return (std::uint64_t{get32(in, off)} << 32) | get32(in, off + 4);
}

inline detail::announce_request sample_request() {
  detail::announce_request req;
  for (std::size_t i = 0; i < 20; ++i) {
    req.info_hash.bytes[i] = static_cast<std::uint8_t>(i * 13 + 1);
    req.pid.bytes[i] = static_cast<std::uint8_t>('A' + i);
  }
  req.port = 6881;
  req.left = 1000;
  req.numwant = 50;
  req.key = 0xDEADBEEF;
  return req;
}

}  // namespace tessera::test
