// The HTTP front's event stream (/tessera/events) on loopback: a real front thread, an event hub
// published to from the test's thread, and a raw client reading the Server-Sent Events, over
// HTTP and HTTPS: the reply's head, hello, events in order, pings, a reader that falls behind
// (reset) or stops reading (dropped), the stream limit, the checks before it, and stop().
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>

#include "../session/session_test_support.hpp"
#include "rpc/base64_text.hpp"
#include "rpc/event_hub.hpp"
#include "rpc/http_front.hpp"
#include "rpc/password_hash.hpp"
#include "tls_test_support.hpp"

namespace tessera::rpc {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace fs = std::filesystem;
using asio::ip::tcp;
using namespace std::chrono_literals;
using test::eventually;

constexpr auto client_timeout = 10s;

/// One SSE message as the client read it.
struct message {
  std::string event, id, data;
  bool comment = false;  ///< a comment only (": ping")
};

/// A raw HTTP/1.1 client of the event stream, over TCP or TLS, from 127.0.0.1. Every operation
/// gives up after client_timeout (failing the test) rather than hanging it.
class sse_client {
 public:
  /// Connects (and with `tls`, handshakes). `receive_buffer` > 0 shrinks the socket's receive
  /// buffer first, so that a client that does not read holds back the server sooner.
  explicit sse_client(std::uint16_t port, asio::ssl::context* tls = nullptr, int receive_buffer = 0) {
    if (tls) {
      tls_.emplace(ioc_, *tls);
    } else {
      tcp_.emplace(ioc_);
    }
    auto& s = lowest().socket();
    s.open(tcp::v4());
    if (receive_buffer > 0) s.set_option(asio::socket_base::receive_buffer_size(receive_buffer));
    check(op([&](auto done) {
      lowest().async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                             [done](boost::system::error_code ec) { done(ec); });
    }));
    if (tls_) {
      check(op([&](auto done) {
        tls_->async_handshake(asio::ssl::stream_base::client, [done](boost::system::error_code ec) { done(ec); });
      }));
    }
  }

  /// Sends a request for /tessera/events with `extra` header lines ("Name: value\r\n" each).
  void request(const std::string& extra = {}, const std::string& method = "GET") {
    const std::string text = method + " /tessera/events HTTP/1.1\r\nHost: 127.0.0.1:9091\r\n" + extra + "\r\n";
    check(op([&](auto done) {
      visit([&](auto& s) {
        asio::async_write(s, asio::buffer(text), [done](boost::system::error_code ec, std::size_t) { done(ec); });
      });
    }));
  }
  /// The reply's head, up to and including the blank line.
  std::string head() { return read_until("\r\n\r\n"); }
  /// The next message (an event or a comment).
  message next() {
    const std::string text = read_until("\n\n");
    message m;
    std::size_t start = 0;
    while (start < text.size()) {
      const auto end = text.find('\n', start);
      const std::string line = text.substr(start, end - start);
      start = end + 1;
      if (line.empty()) continue;
      if (line.starts_with(":")) m.comment = true;
      if (line.starts_with("event: ")) m.event = line.substr(7);
      if (line.starts_with("id: ")) m.id = line.substr(4);
      if (line.starts_with("data: ")) m.data = line.substr(6);
    }
    if (!m.event.empty()) m.comment = false;
    return m;
  }
  /// The next message that is not a ping.
  message next_event() {
    for (;;) {
      message m = next();
      if (!m.comment) return m;
    }
  }
  /// True when the server closes the connection (after sending whatever it still sends) before
  /// client_timeout.
  bool closed_by_server() {
    char sink[16 * 1024];
    for (;;) {
      boost::system::error_code ec = op([&](auto done) {
        visit([&](auto& s) {
          s.async_read_some(asio::buffer(sink), [done](boost::system::error_code e, std::size_t) { done(e); });
        });
      });
      if (ec == asio::error::timed_out || ec == beast::error::timeout) return false;
      if (ec) return true;
    }
  }
  void close() {
    boost::system::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close();
  }

 private:
  static void check(boost::system::error_code ec) {
    if (ec) throw boost::system::system_error(ec);
  }
  beast::tcp_stream& lowest() { return tls_ ? beast::get_lowest_layer(*tls_) : *tcp_; }
  template <class F>
  void visit(F f) {
    if (tls_) {
      f(*tls_);
    } else {
      f(*tcp_);
    }
  }
  template <class Start>
  boost::system::error_code op(Start start) {
    boost::system::error_code result = asio::error::timed_out;
    lowest().expires_after(client_timeout);
    start([&result](boost::system::error_code ec) { result = ec; });
    ioc_.restart();
    ioc_.run();
    return result;
  }
  std::string read_until(std::string_view delimiter) {
    std::size_t n = 0;
    check(op([&](auto done) {
      visit([&](auto& s) {
        asio::async_read_until(s, asio::dynamic_buffer(buffer_), delimiter,
                               [done, &n](boost::system::error_code ec, std::size_t got) {
                                 n = got;
                                 done(ec);
                               });
      });
    }));
    std::string out = buffer_.substr(0, n);
    buffer_.erase(0, n);
    return out;
  }

  asio::io_context ioc_;
  std::optional<beast::tcp_stream> tcp_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  std::string buffer_;
};

std::string header_value(const std::string& head, const std::string& name) {
  const auto at = head.find("\r\n" + name + ": ");
  if (at == std::string::npos) return {};
  const auto start = at + name.size() + 4;
  return head.substr(start, head.find("\r\n", start) - start);
}

struct EventStream : ::testing::Test {
  http_front_options options;
  std::shared_ptr<event_hub> hub = std::make_shared<event_hub>();
  std::unique_ptr<http_front> front;
  std::uint16_t port = 0;

  EventStream() {
    options.port = 0;
    options.version = "9.8.7";
  }
  void start() {
    options.events = hub;
    front = std::make_unique<http_front>(options, [](std::string_view) { return std::string("{}"); });
    auto r = front->start();
    ASSERT_TRUE(r) << r.error().message();
    port = *r;
  }
  /// A client whose stream has begun: the head is read and checked, and hello.
  std::unique_ptr<sse_client> open(asio::ssl::context* tls = nullptr, int receive_buffer = 0) {
    auto c = std::make_unique<sse_client>(port, tls, receive_buffer);
    c->request();
    const std::string head = c->head();
    EXPECT_TRUE(head.starts_with("HTTP/1.1 200 OK\r\n")) << head;
    const message hello = c->next();
    EXPECT_EQ(hello.event, "hello");
    return c;
  }
  bool subscribers_become(std::size_t n) {
    return eventually([&] { return hub->subscriber_count() == n; }, 10s);
  }
};

TEST_F(EventStream, RepliesWithAStreamHeadThenHelloThenEventsInOrder) {
  start();
  hub->publish("before", "{}");  // published before the client came: not sent
  sse_client c(port);
  c.request("Origin: http://127.0.0.1:9091\r\n");
  const std::string head = c.head();
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200 OK\r\n")) << head;
  EXPECT_EQ(header_value(head, "Content-Type"), "text/event-stream");
  EXPECT_EQ(header_value(head, "Cache-Control"), "no-store");
  EXPECT_EQ(header_value(head, "X-Accel-Buffering"), "no");
  EXPECT_EQ(header_value(head, "Connection"), "close");
  EXPECT_EQ(header_value(head, "Content-Length"), "");
  EXPECT_EQ(header_value(head, "Transfer-Encoding"), "");

  const message hello = c.next();
  EXPECT_EQ(hello.event, "hello");
  EXPECT_EQ(hello.id, "1");
  EXPECT_EQ(hello.data, R"({"version":"9.8.7","rpc-version":16,"session-id":")" + front->session_id() +
                            R"(","interval":1000})");
  ASSERT_TRUE(subscribers_become(1));

  // Published from another thread while the stream waits.
  std::thread publisher([&] {
    hub->publish("torrent-added", R"({"id":3,"name":"x","hashString":"ab"})");
    hub->publish("torrent-removed", R"({"id":3})");
  });
  publisher.join();
  message a = c.next_event();
  EXPECT_EQ(a.event, "torrent-added");
  EXPECT_EQ(a.id, "2");
  EXPECT_EQ(a.data, R"({"id":3,"name":"x","hashString":"ab"})");
  message b = c.next_event();
  EXPECT_EQ(b.event, "torrent-removed");
  EXPECT_EQ(b.id, "3");

  c.close();
  EXPECT_TRUE(subscribers_become(0));  // a client that goes away frees its slot at once
}

TEST_F(EventStream, AnIdleStreamIsPinged) {
  options.event_ping_interval = 200ms;
  start();
  auto c = open();
  for (int i = 0; i < 3; ++i) {
    const message m = c->next();
    EXPECT_TRUE(m.comment);
    EXPECT_TRUE(m.event.empty());
  }
  hub->publish("x", "{}");
  EXPECT_EQ(c->next_event().event, "x");
}

TEST_F(EventStream, AReaderThatFallsBehindTheRingIsResetToTheNewestEvent) {
  hub = std::make_shared<event_hub>(event_hub::limits{.max_events = 8, .max_bytes = 1 << 20});
  start();
  auto c = open(nullptr, 4096);
  ASSERT_TRUE(subscribers_become(1));
  // 32 MiB while the client reads nothing: more than the sockets buffer, so the front's position
  // in the hub falls more than the ring's 8 events behind.
  const std::string payload = "\"" + std::string(256 * 1024, 'x') + "\"";
  constexpr int count = 128;
  for (int i = 0; i < count; ++i) hub->publish("big", payload);
  hub->publish("last", "{}");
  std::uint64_t previous = 0;
  bool reset = false;
  for (;;) {
    const message m = c->next_event();
    const std::uint64_t id = std::stoull(m.id);
    EXPECT_GT(id, previous) << m.event;  // a reset's id too: it leaves the client before the newest
    previous = id;
    if (m.event == "reset") {
      reset = true;
      EXPECT_EQ(m.data, "{}");
    }
    if (m.event == "last") break;
  }
  EXPECT_TRUE(reset);
  EXPECT_EQ(previous, count + 1u);
}

TEST_F(EventStream, AReaderThatStopsReadingIsDroppedAfterTheIoTimeout) {
  options.io_timeout = 500ms;
  start();
  auto c = open(nullptr, 4096);
  ASSERT_TRUE(subscribers_become(1));
  const std::string payload = "\"" + std::string(256 * 1024, 'x') + "\"";
  for (int i = 0; i < 64; ++i) hub->publish("big", payload);  // 16 MiB, never read
  EXPECT_TRUE(subscribers_become(0));
}

TEST_F(EventStream, StreamsBeyondTheLimitGet503UntilOneCloses) {
  options.max_event_streams = 2;
  start();
  auto a = open();
  auto b = open();
  sse_client third(port);
  third.request();
  const std::string head = third.head();
  EXPECT_TRUE(head.starts_with("HTTP/1.1 503 ")) << head;
  EXPECT_EQ(header_value(head, "Retry-After"), "2");
  EXPECT_TRUE(third.closed_by_server());
  a->close();
  ASSERT_TRUE(subscribers_become(1));
  auto fourth = open();
  EXPECT_EQ(hub->subscriber_count(), 2u);
}

TEST_F(EventStream, StopEndsEveryStream) {
  start();
  auto a = open();
  auto b = open();
  ASSERT_TRUE(subscribers_become(2));
  front->stop();
  EXPECT_TRUE(a->closed_by_server());
  EXPECT_TRUE(b->closed_by_server());
  EXPECT_EQ(hub->subscriber_count(), 0u);
  hub->publish("after", "{}");  // no listener left: nothing is posted to a stopped front
}

TEST_F(EventStream, OtherOriginsMethodsAndNoHubAreRefused) {
  start();
  sse_client evil(port);
  evil.request("Origin: http://evil.example\r\n");
  EXPECT_TRUE(evil.head().starts_with("HTTP/1.1 403 ")) << "foreign Origin";
  sse_client post(port);
  post.request("Content-Length: 0\r\n", "POST");
  const std::string head = post.head();
  EXPECT_TRUE(head.starts_with("HTTP/1.1 405 ")) << head;
  EXPECT_EQ(header_value(head, "Allow"), "GET");
  front->stop();

  options.events = nullptr;
  http_front plain(options, [](std::string_view) { return std::string("{}"); });
  auto p = plain.start();
  ASSERT_TRUE(p);
  sse_client none(*p);
  none.request();
  EXPECT_TRUE(none.head().starts_with("HTTP/1.1 404 "));
}

TEST_F(EventStream, WithAuthenticationTheWebUiGetsA401WithoutAChallenge) {
  options.authentication_required = true;
  options.username = "alice";
  options.password_hash = hash_password("open sesame");
  start();
  sse_client web(port);
  web.request("X-Tessera-Web: 1\r\n");
  std::string head = web.head();
  EXPECT_TRUE(head.starts_with("HTTP/1.1 401 ")) << head;
  EXPECT_EQ(header_value(head, "WWW-Authenticate"), "");
  sse_client other(port);
  other.request();
  head = other.head();
  EXPECT_TRUE(head.starts_with("HTTP/1.1 401 ")) << head;
  EXPECT_EQ(header_value(head, "WWW-Authenticate"), "Basic realm=\"Transmission\"");
  sse_client ok(port);
  ok.request("Authorization: Basic " + detail::base64_encode("alice:open sesame") + "\r\nX-Tessera-Web: 1\r\n");
  EXPECT_TRUE(ok.head().starts_with("HTTP/1.1 200 "));
  EXPECT_EQ(ok.next().event, "hello");
}

TEST_F(EventStream, WorksOverTls) {
  std::random_device rd;
  const fs::path dir = fs::temp_directory_path() / ("tessera-sse-tls-" + std::to_string(rd()));
  fs::create_directories(dir);
  options.tls_cert_file = (dir / "cert.pem").string();
  options.tls_key_file = (dir / "key.pem").string();
  ASSERT_TRUE(test::write_self_signed_certificate(options.tls_cert_file, options.tls_key_file));
  start();
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.set_verify_mode(asio::ssl::verify_none);  // self-signed; the test checks the transport
  {
    sse_client c(port, &ctx);
    c.request("Origin: https://127.0.0.1:9091\r\n");
    EXPECT_TRUE(c.head().starts_with("HTTP/1.1 200 "));
    EXPECT_EQ(c.next().event, "hello");
    ASSERT_TRUE(subscribers_become(1));
    hub->publish("tick", R"({"torrents":[]})");
    const message m = c.next_event();
    EXPECT_EQ(m.event, "tick");
    EXPECT_EQ(m.data, R"({"torrents":[]})");
    c.close();
    EXPECT_TRUE(subscribers_become(0));
  }
  {
    sse_client c(port, &ctx);
    c.request("Origin: http://127.0.0.1:9091\r\n");  // the http:// origin of a https:// server
    EXPECT_TRUE(c.head().starts_with("HTTP/1.1 403 "));
  }
  front->stop();
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace tessera::rpc
