// The HTTP front on loopback: a real server thread and a blocking Beast client in the test,
// checking what Transmission's clients depend on (checklist section 1) and the daemon's limits.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <regex>
#include <tuple>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/asio/read_until.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/lexical_cast.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "rpc/base64_text.hpp"
#include "rpc/http_front.hpp"
#include "rpc/password_hash.hpp"
#include "rpc/web_assets.hpp"
#include "rpc/web_ui_replies.hpp"

namespace tessera::rpc {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace fs = std::filesystem;
using asio::ip::tcp;
using namespace std::chrono_literals;

using response = http::response<http::string_body>;
using request = http::request<http::string_body>;

/// Every client operation gives up after this long: a broken server fails the test instead of
/// hanging it. (Asio's synchronous reads ignore SO_RCVTIMEO, so the client runs asynchronous
/// operations with a deadline on its own io_context.)
constexpr auto client_timeout = 10s;

/// Runs the operations started on `ioc` to completion; they are bounded by their stream's
/// expiry, so this returns.
void run(asio::io_context& ioc) {
  ioc.restart();
  ioc.run();
}

/// An HTTP/1.1 client on one connection from `source` (a 127.0.0.0/8 address). Each call blocks
/// until done or client_timeout; failures throw boost::system::system_error (failing the test).
class client {
 public:
  explicit client(std::uint16_t port, const std::string& source = "127.0.0.1") : stream_(ioc_) {
    auto& s = stream_.socket();
    s.open(tcp::v4());
    s.bind(tcp::endpoint(asio::ip::make_address(source), 0));
    check(op([&](auto done) {
      stream_.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                            [done](boost::system::error_code ec) { done(ec); });
    }));
  }

  response send(request req) {
    req.prepare_payload();
    check(op([&](auto done) {
      http::async_write(stream_, req, [done](boost::system::error_code ec, std::size_t) { done(ec); });
    }));
    return receive();
  }
  void send_raw(std::string_view bytes) {
    check(op([&](auto done) {
      asio::async_write(stream_, asio::buffer(bytes),
                        [done](boost::system::error_code ec, std::size_t) { done(ec); });
    }));
  }
  /// Reads one response; throws when none arrives.
  response receive() {
    response res;
    check(try_receive(res));
    return res;
  }
  boost::system::error_code try_receive(response& res) {
    return op([&](auto done) {
      http::async_read(stream_, buffer_, res,
                       [done](boost::system::error_code ec, std::size_t) { done(ec); });
    });
  }
  /// Reads raw bytes up to and including "\r\n\r\n" (an interim response's head).
  std::string read_head() {
    std::string out;
    check(op([&](auto done) {
      asio::async_read_until(stream_, asio::dynamic_buffer(out), "\r\n\r\n",
                             [done](boost::system::error_code ec, std::size_t) { done(ec); });
    }));
    return out;
  }
  /// True when the server closes the connection (EOF or reset) before client_timeout, having
  /// sent nothing more.
  bool closed_by_server() {
    char c;
    std::size_t got = 0;
    const auto ec = op([&](auto done) {
      stream_.async_read_some(asio::buffer(&c, 1),
                              [done, &got](boost::system::error_code e, std::size_t n) {
                                got = n;
                                done(e);
                              });
    });
    return got == 0 && (ec == asio::error::eof || ec == asio::error::connection_reset);
  }

 private:
  static void check(boost::system::error_code ec) {
    if (ec) throw boost::system::system_error(ec);
  }
  /// Starts one operation with a deadline and waits for it.
  template <class Start>
  boost::system::error_code op(Start start) {
    boost::system::error_code result = asio::error::timed_out;
    stream_.expires_after(client_timeout);
    start([&result](boost::system::error_code ec) { result = ec; });
    run(ioc_);
    return result;
  }

  asio::io_context ioc_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

request make(http::verb method, std::string target, std::string body = {}) {
  request req{method, target, 11};
  req.set(http::field::host, "127.0.0.1:9091");
  req.body() = std::move(body);
  return req;
}

std::string header(const response& res, std::string_view name) {
  const auto it = res.find(name);
  return it == res.end() ? std::string() : std::string(it->value());
}

constexpr std::string_view reply_json = R"({"arguments":{},"result":"success"})";

/// A front on 127.0.0.1, any port, whose handler records the bodies it gets.
struct HttpFront : ::testing::Test {
  http_front_options options;
  std::mutex mutex;
  std::vector<std::string> bodies;
  std::unique_ptr<http_front> front;
  std::uint16_t port = 0;

  HttpFront() {
    options.port = 0;
  }
  void start() {
    front = std::make_unique<http_front>(options, [this](std::string_view body) {
      std::lock_guard lock(mutex);
      bodies.emplace_back(body);
      if (body == "throw") throw std::runtime_error("handler failure");
      return std::string(reply_json);
    });
    auto r = front->start();
    ASSERT_TRUE(r) << r.error().message();
    port = *r;
  }
  request rpc(std::string body, std::string target = "/transmission/rpc") {
    request req = make(http::verb::post, std::move(target), std::move(body));
    req.set("X-Transmission-Session-Id", front->session_id());
    return req;
  }
  std::size_t handler_calls() {
    std::lock_guard lock(mutex);
    return bodies.size();
  }
};

TEST_F(HttpFront, SessionIdIs48AlphanumericCharacters) {
  start();
  EXPECT_TRUE(std::regex_match(front->session_id(), std::regex("[0-9A-Za-z]{48}")));
  http_front other(options, [](std::string_view) { return std::string(); });
  EXPECT_NE(other.session_id(), front->session_id());
}

TEST_F(HttpFront, RequestWithoutSessionIdGets409ThenTheIdWorks) {
  start();
  client c(port);
  // Sonarr and Flood fetch the id with a bare GET; transmission-remote with its first POST.
  for (auto method : {http::verb::get, http::verb::post}) {
    const response res = c.send(make(method, "/transmission/rpc", "{}"));
    EXPECT_EQ(res.result_int(), 409u);
    EXPECT_EQ(header(res, "X-Transmission-Session-Id"), front->session_id());
    EXPECT_EQ(header(res, "X-Transmission-Rpc-Version"), "");
  }
  EXPECT_EQ(handler_calls(), 0u);
  // Same connection (kept alive after the 409): the id gets the request through.
  const response ok = c.send(rpc(R"({"method":"session-get","tag":0})"));
  EXPECT_EQ(ok.result_int(), 200u);
  EXPECT_EQ(ok.body(), reply_json);
  EXPECT_EQ(header(ok, "Content-Type"), "application/json; charset=UTF-8");
  EXPECT_EQ(header(ok, "X-Transmission-Session-Id"), front->session_id());
  EXPECT_EQ(header(ok, "X-Transmission-Rpc-Version"), "");
  EXPECT_EQ(header(ok, "X-Frame-Options"), "SAMEORIGIN");
  EXPECT_EQ(header(ok, "Access-Control-Allow-Origin"), "");
  ASSERT_EQ(handler_calls(), 1u);
  EXPECT_EQ(bodies[0], R"({"method":"session-get","tag":0})");
  request wrong = rpc("{}");
  // One character changed (a random id starts with 'x' once in 62 runs: then 'y').
  const std::string id = front->session_id();
  wrong.set("X-Transmission-Session-Id", (id[0] == 'x' ? "y" : "x") + id.substr(1));
  EXPECT_EQ(c.send(wrong).result_int(), 409u);
}

TEST_F(HttpFront, AcceptsEveryRpcPathSpellingAndAnyContentType) {
  start();
  client c(port);
  for (const char* target : {"/transmission/rpc", "/transmission/rpc/", "/transmission//rpc/",
                             "/transmission/rpc?method=x"}) {
    request req = rpc("{}", target);
    req.set(http::field::content_type, "application/x-www-form-urlencoded");  // curl's
    EXPECT_EQ(c.send(req).result_int(), 200u) << target;
  }
  request json = rpc("{}");
  json.set(http::field::content_type, "json");  // the 3.00 web client's
  EXPECT_EQ(c.send(json).result_int(), 200u);
  EXPECT_EQ(c.send(rpc("{}", "/transmission/rpcx")).result_int(), 404u);
  EXPECT_EQ(c.send(rpc("{}", "/transmission/")).result_int(), 404u);
  request get = rpc("");
  get.method(http::verb::get);
  const response res = c.send(get);
  EXPECT_EQ(res.result_int(), 405u);
  EXPECT_EQ(header(res, "Allow"), "POST");
}

TEST_F(HttpFront, ExpectContinueGetsAContinueBeforeTheBody) {
  start();
  client c(port);
  const std::string body = R"({"method":"session-stats"})";
  c.send_raw("POST /transmission/rpc HTTP/1.1\r\nHost: localhost\r\nX-Transmission-Session-Id: " +
             front->session_id() + "\r\nExpect: 100-continue\r\nContent-Length: " +
             std::to_string(body.size()) + "\r\n\r\n");
  const std::string got = c.read_head();
  EXPECT_TRUE(got.starts_with("HTTP/1.1 100 Continue\r\n")) << got;
  c.send_raw(body);
  EXPECT_EQ(c.receive().result_int(), 200u);
  ASSERT_EQ(handler_calls(), 1u);
  EXPECT_EQ(bodies[0], body);
}

TEST_F(HttpFront, HandlerFailureGives500AndTheFrontStaysUp) {
  start();
  client c(port);
  EXPECT_EQ(c.send(rpc("throw")).result_int(), 500u);
  EXPECT_EQ(c.send(rpc("{}")).result_int(), 200u);
}

TEST_F(HttpFront, ForeignHostGets421NamingTheSetting) {
  options.host_whitelist = {"*.home.arpa"};
  start();
  client c(port);
  request req = rpc("{}");
  req.set(http::field::host, "rebind.attacker.example:9091");
  const response res = c.send(req);
  EXPECT_EQ(res.result_int(), 421u);
  EXPECT_NE(res.body().find("rpc-host-whitelist"), std::string::npos);
  for (const char* host : {"localhost:9091", "[::1]:9091", "nas.home.arpa:9091", "127.0.0.1"}) {
    req.set(http::field::host, host);
    EXPECT_EQ(c.send(req).result_int(), 200u) << host;
  }
  EXPECT_EQ(handler_calls(), 4u);
}

TEST_F(HttpFront, SourceOutsideTheWhitelistGets403) {
  options.whitelist = {"127.0.0.1"};
  start();
  client other(port, "127.0.0.2");
  const response res = other.send(rpc("{}"));
  EXPECT_EQ(res.result_int(), 403u);
  EXPECT_NE(res.body().find("rpc-whitelist"), std::string::npos);
  EXPECT_EQ(handler_calls(), 0u);
  client local(port, "127.0.0.1");
  EXPECT_EQ(local.send(rpc("{}")).result_int(), 200u);
}

TEST_F(HttpFront, WildcardWhitelistAdmitsOtherLoopbackSources) {
  options.whitelist = {"127.0.0.*"};
  start();
  client other(port, "127.0.0.2");
  EXPECT_EQ(other.send(rpc("{}")).result_int(), 200u);
}

struct HttpFrontAuth : HttpFront {
  HttpFrontAuth() {
    options.authentication_required = true;
    options.username = "alice";
    options.password_hash = hash_password("open sesame");
  }
  static std::string basic(std::string_view user_password) {
    return "Basic " + detail::base64_encode(user_password);
  }
};

TEST_F(HttpFrontAuth, MissingOrWrongCredentialsGet401WithAChallenge) {
  start();
  client c(port);
  response res = c.send(rpc("{}"));
  EXPECT_EQ(res.result_int(), 401u);
  EXPECT_EQ(header(res, "WWW-Authenticate"), "Basic realm=\"Transmission\"");
  for (const char* wrong : {"alice:open sesam", "bob:open sesame", "alice:"}) {
    request req = rpc("{}");
    req.set(http::field::authorization, basic(wrong));
    res = c.send(req);
    EXPECT_EQ(res.result_int(), 401u) << wrong;
    EXPECT_EQ(header(res, "WWW-Authenticate"), "Basic realm=\"Transmission\"");
  }
  EXPECT_EQ(handler_calls(), 0u);
  // Right credentials: first the session handshake (401 precedes 409), then the call.
  request req = make(http::verb::post, "/transmission/rpc/", "{}");
  req.set(http::field::authorization, basic("alice:open sesame"));
  res = c.send(req);
  EXPECT_EQ(res.result_int(), 409u);
  req.set("X-Transmission-Session-Id", header(res, "X-Transmission-Session-Id"));
  EXPECT_EQ(c.send(req).result_int(), 200u);
  EXPECT_EQ(c.send(req).result_int(), 200u);  // the second time from the verified cache
  EXPECT_EQ(handler_calls(), 2u);
  // With authentication on, any Host is accepted (checklist H12).
  req.set(http::field::host, "my-nas.example:9091");
  EXPECT_EQ(c.send(req).result_int(), 200u);
}

TEST_F(HttpFrontAuth, FiftyBadLoginsLockTheSourceOut) {
  options.whitelist = {"127.0.0.*"};
  start();
  client c(port);
  request bad = rpc("{}");
  bad.set(http::field::authorization, basic("alice:guess"));
  int unauthorized = 0;
  int forbidden = 0;
  for (int i = 0; i < 50; ++i) {
    const auto status = c.send(bad).result_int();
    unauthorized += status == 401;
    forbidden += status == 403;
  }
  EXPECT_EQ(unauthorized, static_cast<int>(options.lockout_max_failures));
  EXPECT_EQ(forbidden, 50 - static_cast<int>(options.lockout_max_failures));
  request good = rpc("{}");
  good.set(http::field::authorization, basic("alice:open sesame"));
  const response locked = c.send(good);
  EXPECT_EQ(locked.result_int(), 403u);
  EXPECT_NE(locked.body().find("failed login"), std::string::npos);
  EXPECT_EQ(handler_calls(), 0u);
  // Per source: the owner on another address still gets in.
  client owner(port, "127.0.0.3");
  EXPECT_EQ(owner.send(good).result_int(), 200u);
}

TEST_F(HttpFront, OversizedBodyGets413WithoutBeingRead) {
  start();
  client c(port);
  // 100 MiB announced, not one byte sent: the answer comes from the head alone.
  c.send_raw("POST /transmission/rpc HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Transmission-Session-Id: " +
             front->session_id() + "\r\nContent-Length: " + std::to_string(100 << 20) +
             "\r\n\r\n");
  const response res = c.receive();
  EXPECT_EQ(res.result_int(), 413u);
  EXPECT_FALSE(res.keep_alive());
  EXPECT_EQ(handler_calls(), 0u);
}

TEST_F(HttpFront, OversizedBodySentInFullStillGetsItsAnswer) {
  // A client that writes the whole body before reading (Python's http.client, requests) must
  // still read the 413: the front drops what follows instead of resetting the connection.
  start();
  client c(port);
  constexpr std::size_t total = std::size_t{100} << 20;
  c.send_raw("POST /transmission/rpc HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Transmission-Session-Id: " +
             front->session_id() + "\r\nContent-Length: " + std::to_string(total) + "\r\n\r\n");
  const std::string mebibyte(std::size_t{1} << 20, '{');
  for (std::size_t sent = 0; sent < total; sent += mebibyte.size()) c.send_raw(mebibyte);
  EXPECT_EQ(c.receive().result_int(), 413u);
  EXPECT_EQ(handler_calls(), 0u);
}

TEST_F(HttpFront, OversizedChunkedBodyGets413WhileReading) {
  options.max_body_bytes = 1000;
  start();
  client c(port);
  c.send_raw("POST /transmission/rpc HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Transmission-Session-Id: " +
             front->session_id() + "\r\nTransfer-Encoding: chunked\r\n\r\n");
  const std::string chunk(600, 'x');
  c.send_raw("258\r\n" + chunk + "\r\n");  // 0x258 = 600
  c.send_raw("258\r\n" + chunk + "\r\n");
  const response res = c.receive();
  EXPECT_EQ(res.result_int(), 413u);
  EXPECT_EQ(handler_calls(), 0u);
  // A body at the limit is fine.
  client d(port);
  EXPECT_EQ(d.send(rpc(std::string(1000, ' '))).result_int(), 200u);
}

TEST_F(HttpFront, OversizedHeadGets431) {
  start();
  client c(port);
  request req = rpc("{}");
  req.set("X-Padding", std::string(20 * 1024, 'a'));
  EXPECT_EQ(c.send(req).result_int(), 431u);
  EXPECT_EQ(handler_calls(), 0u);
}

TEST_F(HttpFront, GarbageGets400AndAClose) {
  start();
  client c(port);
  c.send_raw("THIS IS NOT HTTP\r\n\r\n");
  EXPECT_EQ(c.receive().result_int(), 400u);
  EXPECT_TRUE(c.closed_by_server());
}

TEST_F(HttpFront, IdleConnectionIsClosedAfterTheTimeout) {
  options.io_timeout = 300ms;
  start();
  client c(port);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.closed_by_server());  // waits for the close (bounded by the socket timeout)
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

TEST_F(HttpFront, ConnectionsBeyondTheLimitAreClosed) {
  options.max_connections = 2;
  start();
  auto a = std::make_unique<client>(port);
  client b(port);
  // Served, hence counted.
  EXPECT_EQ(a->send(rpc("{}")).result_int(), 200u);
  EXPECT_EQ(b.send(rpc("{}")).result_int(), 200u);
  client third(port);
  EXPECT_TRUE(third.closed_by_server());
  // Once one closes, a new connection is served again (the server notices the close
  // asynchronously: retry until it has).
  a.reset();
  bool served = false;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!served && std::chrono::steady_clock::now() < deadline) {
    client next(port);
    request req = rpc("{}");
    req.prepare_payload();
    response res;
    try {
      next.send_raw(boost::lexical_cast<std::string>(req));
      served = !next.try_receive(res) && res.result_int() == 200;
    } catch (const boost::system::system_error&) {
      // closed at once: the server has not yet noticed the earlier close
    }
  }
  EXPECT_TRUE(served);
}

TEST_F(HttpFront, StopClosesOpenConnections) {
  start();
  client c(port);
  EXPECT_EQ(c.send(rpc("{}")).result_int(), 200u);
  front->stop();
  EXPECT_TRUE(c.closed_by_server());
  front->stop();  // idempotent
  EXPECT_FALSE(front->start());  // a stopped front does not start again
  EXPECT_THROW(client{port}, boost::system::system_error);  // nothing listens any more
}

// ---- static web client ---------------------------------------------------------------------

struct HttpFrontWeb : HttpFront {
  fs::path root;
  HttpFrontWeb() {
    std::random_device rd;
    root = fs::temp_directory_path() / ("tessera-web-test-" + std::to_string(rd()));
    fs::create_directories(root / "web" / "javascript");
    fs::create_directories(root / "web" / "images");
    write(root / "web" / "index.html", "<html>index</html>");
    write(root / "web" / "javascript" / "transmission.js", "var x = 1;");
    write(root / "web" / "images" / "logo.png", "\x89PNG");
    write(root / "web" / "images" / "index.html", "<html>images</html>");
    write(root / "secret.txt", "secret");
    fs::create_symlink(root / "secret.txt", root / "web" / "leak.txt");
    fs::create_directory_symlink(root, root / "web" / "up");
    fs::create_symlink(root / "web" / "index.html", root / "web" / "alias.html");  // stays inside
    options.web_home = root / "web";
  }
  ~HttpFrontWeb() override {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  static void write(const fs::path& p, std::string_view text) {
    std::ofstream(p, std::ios::binary) << text;
  }
  response get(client& c, std::string target) {
    request req = make(http::verb::get, std::move(target));
    return c.send(req);  // no session id: the web client's files need none
  }
};

TEST_F(HttpFrontWeb, ServesFilesWithTheirMimeTypes) {
  start();
  client c(port);
  response res = get(c, "/transmission/web/");
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res.body(), "<html>index</html>");
  EXPECT_EQ(header(res, "Content-Type"), "text/html");
  EXPECT_FALSE(header(res, "Expires").empty());
  EXPECT_FALSE(header(res, "Date").empty());
  res = get(c, "/transmission/web/javascript/transmission.js?v=300");
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res.body(), "var x = 1;");
  EXPECT_EQ(header(res, "Content-Type"), "application/javascript");
  res = get(c, "/transmission/web/images/logo.png");
  EXPECT_EQ(header(res, "Content-Type"), "image/png");
  EXPECT_EQ(get(c, "/transmission/web/images/").body(), "<html>images</html>");
  EXPECT_EQ(get(c, "/transmission/web/alias.html").result_int(), 200u);
}

TEST_F(HttpFrontWeb, RedirectsToTheWebClient) {
  start();
  client c(port);
  for (const char* target : {"/transmission/web", "/index.html", "/transmission"}) {
    const response res = get(c, target);
    EXPECT_EQ(res.result_int(), 301u) << target;
    EXPECT_EQ(header(res, "Location"), "/transmission/web/") << target;
  }
  // "/" itself leads to tessera's own web interface.
  EXPECT_EQ(header(get(c, "/"), "Location"), "/tessera/web/");
}

TEST_F(HttpFrontWeb, RefusesEscapesOtherMethodsAndMissingFiles) {
  start();
  client c(port);
  for (const char* target :
       {"/transmission/web/../secret.txt", "/transmission/web/%2e%2e/secret.txt",
        "/transmission/web/leak.txt", "/transmission/web/up/secret.txt",
        "/transmission/web/missing.js", "/transmission/web/javascript",
        "/transmission/web/%2Fetc%2Fpasswd"}) {
    const response res = get(c, target);
    EXPECT_EQ(res.result_int(), 404u) << target;
    EXPECT_EQ(res.body().find("secret"), std::string::npos) << target;
  }
  request post = make(http::verb::post, "/transmission/web/index.html", "x");
  const response res = c.send(post);
  EXPECT_EQ(res.result_int(), 405u);
  EXPECT_EQ(header(res, "Allow"), "GET");
}

TEST_F(HttpFront, WithoutAWebHomeWebPathsAre404) {
  start();
  client c(port);
  EXPECT_EQ(c.send(make(http::verb::get, "/transmission/web/")).result_int(), 404u);
}

// ---- tessera's web interface ----------------------------------------------------------------

/// Checks the headers every file of the web interface carries, and its ETag.
void expect_web_ui_headers(const response& res, std::string_view etag) {
  EXPECT_EQ(header(res, "Content-Security-Policy"),
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
            "form-action 'none'; frame-ancestors 'none'");
  EXPECT_EQ(header(res, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(header(res, "Referrer-Policy"), "no-referrer");
  EXPECT_EQ(header(res, "X-Frame-Options"), "DENY");
  EXPECT_EQ(header(res, "Cache-Control"), "no-cache");
  EXPECT_EQ(header(res, "ETag"), etag);
}

TEST_F(HttpFront, ServesTheEmbeddedWebUiWithItsSecurityHeaders) {
  start();
  client c(port);
  for (const char* target : {"/", "/tessera/web", "/tessera/web?x=1"}) {
    const response res = c.send(make(http::verb::get, target));
    EXPECT_EQ(res.result_int(), 301u) << target;
    EXPECT_EQ(header(res, "Location"), "/tessera/web/") << target;
  }
  // No session id, no credentials: what a browser first sends.
  for (const auto& [target, name, type] :
       {std::tuple{"/tessera/web/", "index.html", "text/html; charset=utf-8"},
        std::tuple{"/tessera/web/index.html", "index.html", "text/html; charset=utf-8"},
        std::tuple{"/tessera/web/app.js?v=1", "app.js", "text/javascript; charset=utf-8"},
        std::tuple{"/tessera/web/app.css", "app.css", "text/css; charset=utf-8"},
        std::tuple{"/tessera/web/icon.svg", "icon.svg", "image/svg+xml"}}) {
    const web_asset* asset = find_embedded_web_asset(name);
    ASSERT_NE(asset, nullptr) << name;
    const response res = c.send(make(http::verb::get, target));
    EXPECT_EQ(res.result_int(), 200u) << target;
    EXPECT_EQ(res.body(), asset->body) << target;
    EXPECT_EQ(header(res, "Content-Type"), type) << target;
    expect_web_ui_headers(res, asset->etag);
  }
}

TEST_F(HttpFront, WebUiRevalidatesByEtagAndAnswersHead) {
  start();
  client c(port);
  const web_asset* app = find_embedded_web_asset("app.js");
  ASSERT_NE(app, nullptr);
  request req = make(http::verb::get, "/tessera/web/app.js");
  req.set(http::field::if_none_match, app->etag);
  response res = c.send(req);
  EXPECT_EQ(res.result_int(), 304u);
  EXPECT_TRUE(res.body().empty());
  expect_web_ui_headers(res, app->etag);
  req.set(http::field::if_none_match, "\"stale\"");
  res = c.send(req);
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res.body(), app->body);

  // HEAD: the head of the 200 (with the file's length) and no body, so the next reply on the
  // connection is read whole; the same for a 404.
  c.send_raw("HEAD /tessera/web/app.js HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  std::string head = c.read_head();
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200")) << head;
  EXPECT_NE(head.find("Content-Length: " + std::to_string(app->body.size()) + "\r\n"),
            std::string::npos) << head;
  EXPECT_NE(head.find("ETag: " + std::string(app->etag)), std::string::npos) << head;
  EXPECT_TRUE(head.ends_with("\r\n\r\n"));
  c.send_raw("HEAD /tessera/web/missing.js HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  head = c.read_head();
  EXPECT_TRUE(head.starts_with("HTTP/1.1 404")) << head;
  c.send_raw("HEAD /tessera/web/app.js HTTP/1.1\r\nHost: 127.0.0.1\r\nIf-None-Match: " +
             std::string(app->etag) + "\r\n\r\n");
  head = c.read_head();
  EXPECT_TRUE(head.starts_with("HTTP/1.1 304")) << head;
  EXPECT_EQ(head.find("Content-Length"), std::string::npos) << head;
  const web_asset* icon = find_embedded_web_asset("icon.svg");
  ASSERT_NE(icon, nullptr);
  res = c.send(make(http::verb::get, "/tessera/web/icon.svg"));
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res.body(), icon->body);
}

TEST_F(HttpFront, WebUiSendsTheGzipCopyToClientsThatAcceptIt) {
  start();
  client c(port);
  const web_asset* app = find_embedded_web_asset("app.js");
  ASSERT_NE(app, nullptr);
  ASSERT_FALSE(app->gzip.empty());
  request req = make(http::verb::get, "/tessera/web/app.js");
  req.set(http::field::accept_encoding, "gzip, deflate, br");
  response res = c.send(req);
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res.body(), app->gzip);
  EXPECT_EQ(header(res, "Content-Encoding"), "gzip");
  EXPECT_EQ(header(res, "Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(header(res, "Vary"), "Accept-Encoding");
  expect_web_ui_headers(res, gzip_etag(app->etag));
  req.set(http::field::if_none_match, gzip_etag(app->etag));
  EXPECT_EQ(c.send(req).result_int(), 304u);
  req.set(http::field::accept_encoding, "identity");
  res = c.send(req);  // the gzip copy's tag does not revalidate the plain bytes
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res.body(), app->body);
  EXPECT_EQ(header(res, "Content-Encoding"), "");
}

TEST_F(HttpFront, WebUiRefusesOtherMethodsUnknownFilesAndEscapes) {
  start();
  client c(port);
  for (auto method : {http::verb::post, http::verb::put, http::verb::delete_}) {
    const response res = c.send(make(method, "/tessera/web/index.html", "x"));
    EXPECT_EQ(res.result_int(), 405u);
    EXPECT_EQ(header(res, "Allow"), "GET, HEAD");
  }
  for (const char* target :
       {"/tessera/web/missing.js", "/tessera/web/%2e%2e/rpc", "/tessera/web/../web/index.html",
        "/tessera/web/%2Fetc%2Fpasswd", "/tessera/web/INDEX.HTML"}) {
    EXPECT_EQ(c.send(make(http::verb::get, target)).result_int(), 404u) << target;
  }
}

TEST_F(HttpFront, WebUiFilesObeyTheWhitelist) {
  options.whitelist = {"127.0.0.1"};
  start();
  client other(port, "127.0.0.2");
  EXPECT_EQ(other.send(make(http::verb::get, "/tessera/web/")).result_int(), 403u);
  EXPECT_EQ(other.send(make(http::verb::get, "/")).result_int(), 403u);
}

TEST_F(HttpFront, TesseraRpcIsTheRpc) {
  start();
  client c(port);
  response res = c.send(make(http::verb::post, "/tessera/rpc", "{}"));
  EXPECT_EQ(res.result_int(), 409u);
  EXPECT_EQ(header(res, "X-Transmission-Session-Id"), front->session_id());
  res = c.send(rpc("{\"method\":\"session-get\"}", "/tessera/rpc"));
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res.body(), reply_json);
  EXPECT_EQ(c.send(rpc("{}", "/tessera/rpc/")).result_int(), 200u);
  request get = rpc("");
  get.method(http::verb::get);
  get.target("/tessera/rpc");
  res = c.send(get);
  EXPECT_EQ(res.result_int(), 405u);
  EXPECT_EQ(header(res, "Allow"), "POST");
  EXPECT_EQ(handler_calls(), 2u);
}

TEST_F(HttpFrontAuth, WebUiFilesArePublicAndItsLoginGetsNoChallenge) {
  start();
  client c(port);
  EXPECT_EQ(c.send(make(http::verb::get, "/tessera/web/")).result_int(), 200u);
  EXPECT_EQ(c.send(make(http::verb::get, "/tessera/web/app.js")).result_int(), 200u);
  EXPECT_EQ(header(c.send(make(http::verb::get, "/")), "Location"), "/tessera/web/");
  // The RPC still asks: with a challenge for ordinary clients, without one for the page.
  request req = make(http::verb::post, "/tessera/rpc", "{}");
  response res = c.send(req);
  EXPECT_EQ(res.result_int(), 401u);
  EXPECT_EQ(header(res, "WWW-Authenticate"), "Basic realm=\"Transmission\"");
  req.set("X-Tessera-Web", "1");
  res = c.send(req);
  EXPECT_EQ(res.result_int(), 401u);
  EXPECT_TRUE(res.find(http::field::www_authenticate) == res.end());
  req.set(http::field::authorization, basic("alice:wrong"));
  res = c.send(req);
  EXPECT_EQ(res.result_int(), 401u);
  EXPECT_TRUE(res.find(http::field::www_authenticate) == res.end());
  req.set(http::field::authorization, basic("alice:open sesame"));
  res = c.send(req);
  EXPECT_EQ(res.result_int(), 409u);
  req.set("X-Transmission-Session-Id", header(res, "X-Transmission-Session-Id"));
  EXPECT_EQ(c.send(req).result_int(), 200u);
  EXPECT_EQ(handler_calls(), 1u);
}

struct HttpFrontWebUiDir : HttpFront {
  fs::path root;
  HttpFrontWebUiDir() {
    std::random_device rd;
    root = fs::temp_directory_path() / ("tessera-web-ui-test-" + std::to_string(rd()));
    fs::create_directories(root / "ui");
    HttpFrontWeb::write(root / "ui" / "index.html", "<p>working copy</p>");
    HttpFrontWeb::write(root / "ui" / "app.js", "export {};");
    HttpFrontWeb::write(root / "secret.txt", "secret");
    fs::create_symlink(root / "secret.txt", root / "ui" / "leak.js");
    options.web_ui_dir = root / "ui";
  }
  ~HttpFrontWebUiDir() override {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
};

TEST_F(HttpFrontWebUiDir, ServesTheDirectoryInsteadOfTheEmbeddedCopy) {
  start();
  client c(port);
  response res = c.send(make(http::verb::get, "/tessera/web/"));
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res.body(), "<p>working copy</p>");
  EXPECT_EQ(header(res, "Content-Type"), "text/html; charset=utf-8");
  expect_web_ui_headers(res, web_ui_etag("<p>working copy</p>"));
  request req = make(http::verb::get, "/tessera/web/app.js");
  req.set(http::field::if_none_match, web_ui_etag("export {};"));
  EXPECT_EQ(c.send(req).result_int(), 304u);
  // Only the directory: an embedded file it lacks is 404, and so is a link out of it.
  for (const char* target : {"/tessera/web/icon.svg", "/tessera/web/leak.js"}) {
    res = c.send(make(http::verb::get, target));
    EXPECT_EQ(res.result_int(), 404u) << target;
    EXPECT_EQ(res.body().find("secret"), std::string::npos) << target;
  }
}

// ---- start() errors ------------------------------------------------------------------------

std::error_code start_error(const http_front_options& o) {
  http_front f(o, [](std::string_view) { return std::string(); });
  auto r = f.start();
  return r ? std::error_code() : r.error();
}

TEST(HttpFrontStart, RefusesANonLoopbackBindWithoutAuthentication) {
  http_front_options o;
  o.port = 0;
  o.bind_address = "0.0.0.0";
  const auto ec = start_error(o);
  EXPECT_EQ(ec, make_error_code(front_errc::insecure_bind));
  EXPECT_NE(ec.message().find("--rpc-insecure"), std::string::npos);
  o.bind_address = "::";
  EXPECT_EQ(start_error(o), make_error_code(front_errc::insecure_bind));
}

TEST(HttpFrontStart, RefusesBadSettings) {
  http_front_options o;
  o.port = 0;
  o.bind_address = "localhost";
  EXPECT_EQ(start_error(o), make_error_code(front_errc::invalid_bind_address));
  o.bind_address = "127.0.0.1";
  o.authentication_required = true;
  o.username = "alice";
  o.password_hash = "open sesame";  // a clear password is not a hash
  EXPECT_EQ(start_error(o), make_error_code(front_errc::invalid_credentials));
  o.password_hash = hash_password("open sesame");
  o.username = "";
  EXPECT_EQ(start_error(o), make_error_code(front_errc::invalid_credentials));
  o.authentication_required = false;
  o.tls_cert_file = "/nonexistent/cert.pem";
  EXPECT_EQ(start_error(o), make_error_code(front_errc::tls_files_incomplete));
  o.tls_key_file = "/nonexistent/key.pem";
  EXPECT_EQ(start_error(o), make_error_code(front_errc::tls_certificate));
}

TEST(HttpFrontStart, ReportsAPortInUseAndStartsOnce) {
  http_front_options o;
  o.port = 0;
  http_front first(o, [](std::string_view) { return std::string(); });
  auto port = first.start();
  ASSERT_TRUE(port);
  EXPECT_EQ(first.start().error(), make_error_code(front_errc::already_started));
  o.port = *port;
  const auto ec = start_error(o);
  EXPECT_EQ(ec, std::errc::address_in_use) << ec.message();
}

// ---- TLS -----------------------------------------------------------------------------------

struct pkey_deleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct x509_deleter {
  void operator()(X509* p) const { X509_free(p); }
};

/// Writes a self-signed P-256 certificate for 127.0.0.1 and its key as PEM files; false on any
/// OpenSSL failure.
bool write_self_signed(const fs::path& cert_file, const fs::path& key_file) {
  std::unique_ptr<EVP_PKEY, pkey_deleter> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  std::unique_ptr<X509, x509_deleter> x(X509_new());
  if (!key || !x) return false;
  X509_NAME* name = X509_get_subject_name(x.get());
  const bool ok =
      X509_set_version(x.get(), X509_VERSION_3) == 1 &&
      ASN1_INTEGER_set_int64(X509_get_serialNumber(x.get()), 1) == 1 &&
      X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600) != nullptr &&
      X509_gmtime_adj(X509_getm_notAfter(x.get()), 24 * 3600) != nullptr &&
      X509_set_pubkey(x.get(), key.get()) == 1 &&
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1,
                                 0) == 1 &&
      X509_set_issuer_name(x.get(), name) == 1 && X509_sign(x.get(), key.get(), EVP_sha256()) > 0;
  if (!ok) return false;
  FILE* cf = std::fopen(cert_file.c_str(), "w");
  FILE* kf = std::fopen(key_file.c_str(), "w");
  const bool written = cf != nullptr && kf != nullptr && PEM_write_X509(cf, x.get()) == 1 &&
                       PEM_write_PrivateKey(kf, key.get(), nullptr, nullptr, 0, nullptr,
                                            nullptr) == 1;
  if (cf != nullptr) std::fclose(cf);
  if (kf != nullptr) std::fclose(kf);
  return written;
}

struct HttpFrontTls : HttpFront {
  fs::path dir;
  HttpFrontTls() {
    std::random_device rd;
    dir = fs::temp_directory_path() / ("tessera-tls-test-" + std::to_string(rd()));
    fs::create_directories(dir);
    options.tls_cert_file = (dir / "cert.pem").string();
    options.tls_key_file = (dir / "key.pem").string();
  }
  ~HttpFrontTls() override {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

TEST_F(HttpFrontTls, ServesHttpsOnly) {
  ASSERT_TRUE(write_self_signed(options.tls_cert_file, options.tls_key_file));
  start();
  asio::io_context ioc;
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.set_verify_mode(asio::ssl::verify_none);  // self-signed; the test checks the transport
  beast::ssl_stream<beast::tcp_stream> s(ioc, ctx);
  boost::system::error_code ec = asio::error::timed_out;
  auto done = [&ec](boost::system::error_code e, auto&&...) { ec = e; };
  beast::get_lowest_layer(s).expires_after(client_timeout);
  beast::get_lowest_layer(s).async_connect(
      tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), done);
  run(ioc);
  ASSERT_FALSE(ec) << ec.message();
  s.async_handshake(asio::ssl::stream_base::client, done);
  run(ioc);
  ASSERT_FALSE(ec) << ec.message();
  beast::flat_buffer buf;
  request req = make(http::verb::post, "/transmission/rpc", "{}");
  req.prepare_payload();
  http::async_write(s, req, done);
  run(ioc);
  ASSERT_FALSE(ec) << ec.message();
  response res;
  http::async_read(s, buf, res, done);
  run(ioc);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(res.result_int(), 409u);
  req.set("X-Transmission-Session-Id", header(res, "X-Transmission-Session-Id"));
  http::async_write(s, req, done);
  run(ioc);
  ASSERT_FALSE(ec) << ec.message();
  response ok;
  http::async_read(s, buf, ok, done);
  run(ioc);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(ok.result_int(), 200u);
  EXPECT_EQ(ok.body(), reply_json);

  // Plain HTTP on the TLS port gets no HTTP answer.
  client plain(port);
  request p = make(http::verb::get, "/transmission/rpc");
  p.prepare_payload();
  plain.send_raw(boost::lexical_cast<std::string>(p));
  response pres;
  EXPECT_TRUE(plain.try_receive(pres));
}

TEST_F(HttpFrontTls, RefusesAKeyThatDoesNotMatch) {
  ASSERT_TRUE(write_self_signed(options.tls_cert_file, options.tls_key_file));
  ASSERT_TRUE(write_self_signed(dir / "other-cert.pem", dir / "other-key.pem"));
  options.tls_key_file = (dir / "other-key.pem").string();
  EXPECT_EQ(start_error(options), make_error_code(front_errc::tls_key));
  options.tls_key_file = (dir / "cert.pem").string();  // a certificate is not a key
  EXPECT_EQ(start_error(options), make_error_code(front_errc::tls_key));
}

}  // namespace
}  // namespace tessera::rpc
