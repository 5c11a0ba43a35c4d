// The HTTP front's transport: accept loop, one coroutine per connection, TLS, limits, and the
// gate's decisions carried out. Decisions and reply texts live in http_gate and http_replies.
#include "rpc/http_front.hpp"

#include <algorithm>
#include <atomic>
#include <ctime>
#include <limits>
#include <exception>
#include <list>
#include <optional>
#include <stdexcept>
#include <thread>
#include <type_traits>

#include <openssl/rand.h>
#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <spdlog/spdlog.h>

#include "rpc/credential_check.hpp"
#include "rpc/event_hub.hpp"
#include "rpc/http_gate.hpp"
#include "rpc/http_replies.hpp"
#include "rpc/password_hash.hpp"
#include "rpc/web_assets.hpp"
#include "rpc/web_files.hpp"
#include "rpc/web_ui_replies.hpp"

namespace tessera::rpc {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
/// Web client files larger than this are not served (Transmission's biggest is ~300 KiB).
constexpr std::size_t max_web_file_bytes = std::size_t{32} << 20;
/// The body of a request answered without the handler (409, 401, ...) is read and dropped, to
/// keep the connection, when it is at most this long; a longer one closes the connection.
constexpr std::uint64_t discard_body_limit = 1 << 20;
/// After answering without reading a body, the front stops sending and drops what the client
/// still sends for at most this long before closing: closing with unread bytes would make the
/// kernel reset the connection, and the client could lose the reply (a 413) in the reset.
constexpr std::chrono::seconds linger_time{5};
/// Events taken from the hub per write on a stream (a batch is bounded by the hub's ring anyway).
constexpr std::size_t events_per_write = 256;
/// Bytes a stream client may send after its request before it is dropped (it should send none).
constexpr std::size_t max_stream_input = 64 * 1024;
/// After a failed accept (out of file descriptors), the wait before accepting again.
constexpr std::chrono::milliseconds accept_retry_delay{100};

class front_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tessera.rpc.front"; }
  std::string message(int value) const override {
    switch (static_cast<front_errc>(value)) {
      case front_errc::already_started:
        return "the RPC server was already started";
      case front_errc::invalid_bind_address:
        return "the RPC bind address is not an IP address";
      case front_errc::insecure_bind:
        return "refusing to serve RPC on a non-loopback address without authentication "
               "(enable rpc-authentication-required, or pass --rpc-insecure)";
      case front_errc::invalid_credentials:
        return "RPC authentication is required but the user name is empty or the password "
               "hash is malformed";
      case front_errc::tls_files_incomplete:
        return "RPC TLS needs both a certificate file and a key file";
      case front_errc::tls_certificate:
        return "cannot load the RPC TLS certificate file";
      case front_errc::tls_key:
        return "cannot load the RPC TLS key file, or it does not match the certificate";
    }
    return "unknown RPC front error";
  }
};

/// 48 characters of [0-9A-Za-z] (Transmission's session id alphabet and length, checklist H7).
std::string make_session_id() {
  static constexpr std::string_view chars =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string out;
  while (out.size() < 48) {
    unsigned char buf[64];
    if (RAND_bytes(buf, sizeof buf) != 1) {
      throw std::runtime_error("http_front: OpenSSL RAND_bytes failed");
    }
    for (unsigned char b : buf) {
      // 248 = 4 * 62: rejecting the rest keeps every character equally likely.
      if (b < 248 && out.size() < 48) out += chars[b % chars.size()];
    }
  }
  return out;
}

bool is_loopback(const asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).is_loopback();
  }
  return a.is_loopback();
}

std::string_view to_std(beast::string_view v) { return {v.data(), v.size()}; }

template <class Fields, class Name>
std::optional<std::string_view> field(const Fields& fields, Name name) {
  const auto it = fields.find(name);
  if (it == fields.end()) return std::nullopt;
  return to_std(it->value());
}

bool iequals(std::string_view a, std::string_view b) { return beast::iequals(a, b); }

void log_exception(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::error("rpc http front: {}", ex.what());
  }
}

}  // namespace

const std::error_category& front_category() noexcept {
  static const front_category_impl instance;
  return instance;
}

struct http_front::impl {
  impl(http_front_options o, rpc_handler h)
      : options(std::move(o)), handler(std::move(h)), session_id(make_session_id()) {}

  http_front_options options;
  rpc_handler handler;
  const std::string session_id;
  bool started = false;
  bool stopped = false;

  // Declared before everything that holds I/O objects, so it is destroyed after them.
  asio::io_context ioc{1};
  std::optional<ssl::context> tls;
  std::optional<tcp::acceptor> acceptor;
  std::unique_ptr<credential_check> credentials;
  std::unique_ptr<http_gate> gate;
  // Front thread only: the open connections (closed by stop) and whether stop has begun.
  std::list<beast::tcp_stream*> live;
  std::size_t connections = 0;  // counted when accepted, so a burst cannot overshoot the limit
  bool closing = false;
  // Front thread only: the event streams open, and the timers of those waiting for an event
  // (cancelled when the hub has news, see wake_streams).
  std::size_t streams = 0;
  std::list<asio::steady_timer*> waiting;
  // Any thread: a wake-up is posted and has not run yet (publishers then post no other).
  std::atomic<bool> wake_pending{false};
  std::thread thread;

  asio::awaitable<void> accept_loop();
  asio::awaitable<void> run_connection(tcp::socket socket);
  template <class Stream>
  asio::awaitable<void> serve(Stream& stream, const std::string& remote);
  template <class Stream>
  asio::awaitable<bool> send(Stream& stream, http_reply reply, unsigned version, bool keep_alive);
  template <class Stream>
  asio::awaitable<void> close_gracefully(Stream& stream, bool drain);
  template <class Stream>
  asio::awaitable<void> serve_events(Stream& stream);
  template <class Stream>
  asio::awaitable<bool> write_text(Stream& stream, const std::string& text);
  /// The hub's listener: from a publishing thread, wakes the waiting streams on the front's.
  void wake_streams();
  http_reply web_ui_reply(const std::string& file, const web_ui_request& request,
                          std::time_t now) const;
};

// tessera's web interface: the embedded copy, or --web-ui-dir's files (same headers; the ETag of
// a directory's file is computed as it is read).
http_reply http_front::impl::web_ui_reply(const std::string& file, const web_ui_request& request,
                                          std::time_t now) const {
  if (options.web_ui_dir.empty()) {
    if (const web_asset* asset = find_embedded_web_asset(file)) {
      return web_ui_file_reply({asset->body, asset->content_type, asset->etag, asset->gzip},
                               request, now);
    }
  } else if (auto content = read_web_file(options.web_ui_dir, file, max_web_file_bytes)) {
    const std::string etag = web_ui_etag(*content);
    return web_ui_file_reply({*content, web_ui_content_type(file), etag, {}}, request, now);
  }
  return reply_for(gate_decision{gate_outcome::web_not_found, {}, {}}, session_id, now);
}

void http_front::impl::wake_streams() {
  if (wake_pending.exchange(true)) return;
  asio::post(ioc, [this] {
    wake_pending = false;
    for (asio::steady_timer* t : waiting) t->cancel();
  });
}

template <class Stream>
asio::awaitable<bool> http_front::impl::write_text(Stream& stream, const std::string& text) {
  auto& lowest = beast::get_lowest_layer(stream);
  lowest.expires_after(options.io_timeout);
  auto [ec, n] = co_await asio::async_write(stream, asio::buffer(text), use_tuple);
  lowest.expires_never();
  co_return !ec;
}

template <class Stream>
asio::awaitable<void> http_front::impl::serve_events(Stream& stream) {
  auto& lowest = beast::get_lowest_layer(stream);
  const std::time_t now = std::time(nullptr);
  if (streams >= options.max_event_streams) {
    co_await send(stream, too_many_streams(options.max_event_streams, now), 11, false);
    co_await close_gracefully(stream, false);
    co_return;
  }
  struct counted {
    std::size_t& n;
    ~counted() { --n; }
  } count{++streams};
  event_hub& hub = *options.events;
  const auto subscription = hub.subscribe();
  std::uint64_t position = hub.newest();

  // The head: no Content-Length, Connection: close; the body runs until the connection closes.
  http::response<http::empty_body> head{http::status::ok, 11};
  for (const auto& [name, value] : event_stream_head(now).headers) head.set(name, value);
  head.keep_alive(false);
  http::response_serializer<http::empty_body> serializer{head};
  lowest.expires_after(options.io_timeout);
  auto [hec, hn] = co_await http::async_write_header(stream, serializer, use_tuple);
  if (hec) co_return;
  if (!co_await write_text(stream, sse_message("hello", position, hello_event_data(options.version, session_id)))) {
    co_return;
  }

  // The client sends nothing more; reading tells at once when it goes away, so its slot is not
  // held until a write fails. The reader ends before this frame does (see the end).
  asio::steady_timer timer(ioc);
  asio::steady_timer reader_done(ioc, asio::steady_timer::time_point::max());
  bool peer_gone = false, reader_running = true;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        char sink[4096];
        std::size_t total = 0;
        for (;;) {
          // No deadline on this read (a write's deadline set meanwhile applies to the write only:
          // Beast keeps one timer per direction and leaves a pending operation's alone).
          lowest.expires_never();
          auto [rec, n] = co_await stream.async_read_some(asio::buffer(sink), use_tuple);
          total += n;
          if (rec || total > max_stream_input) break;
        }
        peer_gone = true;
        reader_running = false;
        timer.cancel();
        reader_done.cancel();
      },
      log_exception);

  auto next_ping = std::chrono::steady_clock::now() + options.event_ping_interval;
  while (!closing && !peer_gone) {
    const hub_read got = hub.read_after(position, events_per_write);
    std::string out;
    // A reset's id is the position it leaves the client at: just before the newest event.
    if (got.reset) out += sse_message("reset", got.events.front().seq - 1, "{}");
    for (const auto& e : got.events) out += sse_message(e.name, e.seq, e.data);
    position = got.position;
    if (out.empty() && std::chrono::steady_clock::now() >= next_ping) out = ": ping\n\n";
    if (!out.empty()) {
      if (!co_await write_text(stream, out)) break;
      next_ping = std::chrono::steady_clock::now() + options.event_ping_interval;
      continue;
    }
    // Nothing to send: wait for the hub's news (wake_streams), the next ping, or the end. No
    // suspension between the read above and the registration here, so no news is missed.
    timer.expires_at(next_ping);
    const auto it = waiting.insert(waiting.end(), &timer);
    co_await timer.async_wait(use_tuple);
    waiting.erase(it);
  }
  if (reader_running) {
    boost::system::error_code ignored;
    lowest.socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest.close();  // ends the reader's read
    while (reader_running) co_await reader_done.async_wait(use_tuple);
  }
}

asio::awaitable<void> http_front::impl::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor->async_accept(use_tuple);
    if (closing || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // EMFILE and the like: the connection is lost, the listener is not. Pause before the next
      // accept, which would otherwise fail again at once and spin.
      spdlog::warn("rpc http front: accept: {}", ec.message());
      asio::steady_timer pause(ioc, accept_retry_delay);
      co_await pause.async_wait(use_tuple);
      continue;
    }
    if (connections >= options.max_connections) {
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    ++connections;
    asio::co_spawn(ioc, run_connection(std::move(socket)), log_exception);
  }
}

asio::awaitable<void> http_front::impl::run_connection(tcp::socket socket) {
  struct counted {
    std::size_t& n;
    ~counted() { --n; }
  } count{connections};
  if (closing) co_return;
  boost::system::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) co_return;
  const std::string remote = endpoint.address().to_string();

  // Registers the connection's TCP layer so stop() can close it.
  struct registration {
    std::list<beast::tcp_stream*>& list;
    std::list<beast::tcp_stream*>::iterator it;
    ~registration() { list.erase(it); }
  };

  if (tls) {
    beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *tls);
    registration reg{live, live.insert(live.end(), &beast::get_lowest_layer(stream))};
    beast::get_lowest_layer(stream).expires_after(options.io_timeout);
    auto [hec] = co_await stream.async_handshake(ssl::stream_base::server, use_tuple);
    if (hec) co_return;
    co_await serve(stream, remote);
  } else {
    beast::tcp_stream stream(std::move(socket));
    registration reg{live, live.insert(live.end(), &stream)};
    co_await serve(stream, remote);
  }
}

template <class Stream>
asio::awaitable<bool> http_front::impl::send(Stream& stream, http_reply reply, unsigned version,
                                             bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(reply.status), version};
  for (const auto& [name, value] : reply.headers) res.set(name, value);
  res.body() = std::move(reply.body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  // RFC 9110 8.6: a 304 must not claim a length other than the 200's; it has no body anyway.
  if (reply.status == 304) res.erase(http::field::content_length);
  if (reply.omit_body && !res.body().empty()) {  // HEAD: the length the body would have, no body
    const auto length = res.body().size();
    res.body().clear();
    res.content_length(length);
  }
  beast::get_lowest_layer(stream).expires_after(options.io_timeout);
  auto [ec, n] = co_await http::async_write(stream, res, use_tuple);
  co_return !ec;
}

template <class Stream>
asio::awaitable<void> http_front::impl::close_gracefully(Stream& stream, bool drain) {
  auto& lowest = beast::get_lowest_layer(stream);
  if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
    boost::system::error_code ec;
    lowest.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (drain && !ec) {
      lowest.expires_after(linger_time);
      char sink[16 * 1024];
      for (;;) {
        auto [rec, n] = co_await lowest.async_read_some(asio::buffer(sink), use_tuple);
        if (rec) break;
      }
    }
  } else {
    // TLS: send close_notify; the peer's unread bytes are not drained through the cipher.
    lowest.expires_after(std::chrono::seconds(2));
    auto [ec] = co_await stream.async_shutdown(use_tuple);
    (void)ec;
  }
  lowest.close();
}

template <class Stream>
asio::awaitable<void> http_front::impl::serve(Stream& stream, const std::string& remote) {
  auto& lowest = beast::get_lowest_layer(stream);
  beast::flat_buffer buffer;
  while (!closing) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(options.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    parser.body_limit(boost::none);  // the limit is applied once the head is decided
    lowest.expires_after(options.io_timeout);
    auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, use_tuple);
    const std::time_t now = std::time(nullptr);
    if (ec) {
      if (ec == http::error::header_limit) {
        co_await send(stream, header_too_large(now), 11, false);
        co_await close_gracefully(stream, true);
      } else if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
                 ec != http::error::end_of_stream && ec != http::error::partial_message) {
        // A malformed request (a parse error, not a transport error): say so, then close.
        co_await send(stream, bad_request(now), 11, false);
        co_await close_gracefully(stream, true);
      }
      co_return;
    }

    const auto& req = parser.get();
    const gate_request request{
        .method = to_std(req.method_string()),
        .target = to_std(req.target()),
        .remote_address = remote,
        .host = field(req, http::field::host),
        .authorization = field(req, http::field::authorization),
        .session_id = field(req, "X-Transmission-Session-Id"),
        .origin = field(req, http::field::origin),
        .tessera_web = field(req, "X-Tessera-Web"),
    };
    const gate_decision decision = gate->decide(request, std::chrono::steady_clock::now());
    const auto content_length = parser.content_length();  // empty when chunked or none
    const auto expect = field(req, http::field::expect);
    const bool expects_continue = expect && iequals(*expect, "100-continue");
    bool keep_alive = req.keep_alive();
    http_reply reply;

    if (decision.outcome == gate_outcome::rpc) {
      if (content_length && *content_length > options.max_body_bytes) {
        reply = payload_too_large(options.max_body_bytes, now);
      } else {
        if (expects_continue && !parser.is_done()) {
          http::response<http::empty_body> go_on{http::status::continue_, req.version()};
          lowest.expires_after(options.io_timeout);
          auto [cec, cn] = co_await http::async_write(stream, go_on, use_tuple);
          if (cec) co_return;
        }
        parser.body_limit(options.max_body_bytes);
        lowest.expires_after(options.body_timeout);
        auto [bec, bn] = co_await http::async_read(stream, buffer, parser, use_tuple);
        if (bec == http::error::body_limit) {
          reply = payload_too_large(options.max_body_bytes, now);
        } else if (bec) {
          co_return;
        } else {
          try {
            reply = rpc_reply(handler(parser.get().body()), session_id, std::time(nullptr));
          } catch (const std::exception& e) {
            spdlog::warn("rpc http front: the RPC handler failed: {}", e.what());
            reply = internal_error(now);
          } catch (...) {
            spdlog::warn("rpc http front: the RPC handler failed");
            reply = internal_error(now);
          }
        }
      }
    } else {
      // Answered without the handler: drop a small body to keep the connection; never send
      // 100 Continue for a request that is refused.
      if (!parser.is_done() && !expects_continue &&
          (!content_length || *content_length <= discard_body_limit)) {
        parser.body_limit(discard_body_limit);
        lowest.expires_after(options.body_timeout);
        auto [dec, dn] = co_await http::async_read(stream, buffer, parser, use_tuple);
        if (dec && dec != http::error::body_limit) co_return;
      }
      if (decision.outcome == gate_outcome::events) {
        if (parser.is_done()) co_await serve_events(stream);
        co_return;  // the stream ends with the connection
      }
      if (decision.outcome == gate_outcome::ui_file) {
        const web_ui_request ui{.head = req.method() == http::verb::head,
                                .if_none_match = field(req, http::field::if_none_match),
                                .accept_encoding = field(req, http::field::accept_encoding)};
        reply = web_ui_reply(decision.file, ui, now);
      } else if (decision.outcome == gate_outcome::web_file) {
        auto content = read_web_file(options.web_home, decision.file, max_web_file_bytes);
        reply = content ? file_reply(std::move(*content), decision.file, now)
                        : reply_for(gate_decision{gate_outcome::web_not_found, {}, {}},
                                    session_id, now);
      } else {
        reply = reply_for(decision, session_id, now);
      }
    }

    // A reply to HEAD never has a body, whatever it is (a 404 too): the client reads none.
    if (req.method() == http::verb::head) reply.omit_body = true;
    const bool body_read = parser.is_done();
    if (!body_read) keep_alive = false;
    if (!co_await send(stream, std::move(reply), req.version(), keep_alive)) co_return;
    if (!keep_alive) {
      co_await close_gracefully(stream, !body_read);
      co_return;
    }
  }
}

http_front::http_front(http_front_options options, rpc_handler handler)
    : impl_(std::make_unique<impl>(std::move(options), std::move(handler))) {}

http_front::~http_front() { stop(); }

std::string http_front::session_id() const { return impl_->session_id; }

result<std::uint16_t> http_front::start() {
  impl& m = *impl_;
  if (m.started || m.stopped) return unexpected{front_errc::already_started};
  m.started = true;
  const http_front_options& o = m.options;

  boost::system::error_code ec;
  const auto address = asio::ip::make_address(o.bind_address, ec);
  if (ec) return unexpected{front_errc::invalid_bind_address};
  if (o.authentication_required &&
      (o.username.empty() || !looks_like_password_hash(o.password_hash))) {
    return unexpected{front_errc::invalid_credentials};
  }
  if (!is_loopback(address) && !o.authentication_required && !o.insecure) {
    return unexpected{front_errc::insecure_bind};
  }

  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    return unexpected{front_errc::tls_files_incomplete};
  }
  if (!o.tls_cert_file.empty()) {
    ssl::context ctx(ssl::context::tls_server);
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                    ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    ctx.use_certificate_chain_file(o.tls_cert_file, ec);
    if (ec) return unexpected{front_errc::tls_certificate};
    ctx.use_private_key_file(o.tls_key_file, ssl::context::pem, ec);
    if (ec || SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
      return unexpected{front_errc::tls_key};
    }
    m.tls.emplace(std::move(ctx));
  }

  gate_settings gs;
  gs.base_path = o.base_path;
  gs.whitelist_enabled = o.whitelist_enabled;
  gs.whitelist = o.whitelist;
  gs.host_whitelist_enabled = o.host_whitelist_enabled;
  gs.host_whitelist = o.host_whitelist;
  gs.authentication_required = o.authentication_required;
  gs.serve_web = !o.web_home.empty();
  gs.serve_events = o.events != nullptr;
  gs.tls = m.tls.has_value();
  gs.lockout.max_failures = o.lockout_max_failures;
  gs.lockout.lockout_duration = o.lockout_duration;
  http_gate::credential_check check;
  if (o.authentication_required) {
    m.credentials = std::make_unique<credential_check>(o.username, o.password_hash);
    check = [c = m.credentials.get()](std::string_view user, std::string_view password) {
      return (*c)(user, password);
    };
  }
  m.gate = std::make_unique<http_gate>(std::move(gs), m.session_id, std::move(check));

  tcp::acceptor acceptor(m.ioc);
  const tcp::endpoint endpoint(address, o.port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return unexpected{std::error_code(ec)};
  const std::uint16_t port = acceptor.local_endpoint(ec).port();
  if (ec) return unexpected{std::error_code(ec)};
  m.acceptor.emplace(std::move(acceptor));

  asio::co_spawn(m.ioc, m.accept_loop(), log_exception);
  if (o.events) o.events->set_listener([&m] { m.wake_streams(); });
  m.thread = std::thread([&m] {
    for (;;) {
      try {
        m.ioc.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("rpc http front: {}", e.what());
      }
    }
  });
  return port;
}

void http_front::stop() {
  impl& m = *impl_;
  if (m.stopped) return;
  m.stopped = true;
  if (!m.thread.joinable()) return;
  // From here on no publisher posts to the front (set_listener waits for a call in progress).
  if (m.options.events) m.options.events->set_listener({});
  asio::post(m.ioc, [&m] {
    m.closing = true;
    boost::system::error_code ignored;
    if (m.acceptor) m.acceptor->close(ignored);
    for (beast::tcp_stream* s : m.live) s->close();
    for (asio::steady_timer* t : m.waiting) t->cancel();
  });
  m.thread.join();
}

}  // namespace tessera::rpc
