// The RPC client's HTTP side: Beast over TCP or TLS, driven by one coroutine per exchange on a
// private io_context that call() runs until the exchange is done.
#include "rpc_client.hpp"

#include <cctype>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "discovery/http_read.hpp"
#include "discovery/http_tls.hpp"
#include "rpc/base64_text.hpp"

namespace tessera::cli {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
/// Resends after a 409 (a new session id each time) before giving up: 3.00 changes its id at
/// most once an hour, so a second 409 in a row means something is wrong.
constexpr int max_session_id_retries = 3;
/// Longest X-Transmission-Session-Id kept (3.00 sends 48 characters).
constexpr std::size_t max_session_id_length = 256;

/// One HTTP reply, as much of it as the client uses.
struct http_reply {
  unsigned status = 0;
  std::string reason;
  std::string session_id;        ///< X-Transmission-Session-Id
  std::string www_authenticate;  ///< WWW-Authenticate
  std::string body;
};

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

std::string io_message(const boost::system::error_code& ec, std::string_view what) {
  if (ec == beast::error::timeout || ec == asio::error::operation_aborted) return std::string(what) + ": timed out";
  return std::string(what) + ": " + ec.message();
}

/// Sends `request` and reads the reply on a connected (and, for TLS, handshaken) stream.
template <class Stream>
asio::awaitable<result<http_reply, std::string>> exchange(Stream& stream,
                                                          const http::request<http::string_body>& request,
                                                          std::size_t max_body) {
  auto [wec, written] = co_await http::async_write(stream, request, use_tuple);
  if (wec) co_return unexpected{io_message(wec, "sending the request")};
  http::response_parser<http::string_body> parser;
  parser.body_limit(max_body);
  const auto rec = co_await detail::read_http_response(stream, parser);
  if (rec == http::error::body_limit) {
    co_return unexpected{"the reply is larger than " + std::to_string(max_body >> 20) + " MiB"};
  }
  if (rec) co_return unexpected{io_message(rec, "reading the reply")};
  const auto& response = parser.get();
  http_reply reply;
  reply.status = response.result_int();
  reply.reason = std::string(response.reason());
  if (auto it = response.find("X-Transmission-Session-Id"); it != response.end()) {
    reply.session_id = std::string(it->value());
  }
  if (auto it = response.find(http::field::www_authenticate); it != response.end()) {
    reply.www_authenticate = std::string(it->value());
  }
  reply.body = response.body();
  co_return reply;
}

}  // namespace

result<rpc_url, std::string> parse_rpc_url(std::string_view text) {
  auto url = detail::parse_http_url(text);
  if (url) return *url;
  const std::string quoted = "'" + std::string(text) + "'";
  switch (url.error()) {
    case detail::http_url_errc::not_a_url:
      return unexpected{quoted + " is not a URL (expected http://HOST:PORT/transmission/rpc)"};
    case detail::http_url_errc::unsupported_scheme:
      return unexpected{quoted + ": only http:// and https:// URLs are supported"};
    case detail::http_url_errc::no_host: return unexpected{quoted + ": no host"};
    case detail::http_url_errc::bad_port: break;
  }
  return unexpected{quoted + ": bad port"};
}

struct rpc_client::impl {
  rpc_options options;
  rpc_url url;
  asio::io_context io;
  std::optional<asio::ssl::context> tls;  ///< made on the first https exchange
  std::string session_id;                 ///< the last X-Transmission-Session-Id seen
  bool send_credentials = false;          ///< an Authorization header goes with each request
  std::int64_t next_tag = 1;

  /// One POST of `body` before `timeout` passes, on a new connection.
  asio::awaitable<result<http_reply, std::string>> post(std::string body);
  /// Runs post() on io until it is done.
  result<http_reply, std::string> post_blocking(std::string body);
};

asio::awaitable<result<http_reply, std::string>> rpc_client::impl::post(std::string body) {
  auto ex = co_await asio::this_coro::executor;
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;

  http::request<http::string_body> request{http::verb::post, url.target, 11};
  request.set(http::field::host, url.host_header);
  request.set(http::field::user_agent, "tessera/0.1");
  request.set(http::field::content_type, "application/json");
  request.set(http::field::accept_encoding, "identity");
  request.set(http::field::connection, "close");
  if (!session_id.empty()) request.set("X-Transmission-Session-Id", session_id);
  if (send_credentials && options.credentials) {
    request.set(http::field::authorization,
                "Basic " + rpc::detail::base64_encode(options.credentials->user + ":" + options.credentials->password));
  }
  request.body() = std::move(body);
  request.prepare_payload();

  // Resolve (IP literals skip the resolver); the resolver has no deadline of its own, so a
  // watchdog cancels it. Both are shared: the watchdog's handler may run after this returns.
  std::vector<tcp::endpoint> endpoints;
  boost::system::error_code literal_ec;
  const auto literal = asio::ip::make_address(url.host, literal_ec);
  if (!literal_ec) {
    endpoints.emplace_back(literal, url.port);
  } else {
    auto resolver = std::make_shared<tcp::resolver>(ex);
    auto watchdog = std::make_shared<asio::steady_timer>(ex, deadline);
    auto timed_out = std::make_shared<bool>(false);
    watchdog->async_wait([resolver, timed_out](boost::system::error_code ec) {
      if (ec) return;
      *timed_out = true;
      resolver->cancel();
    });
    auto [rec, results] = co_await resolver->async_resolve(url.host, std::to_string(url.port), use_tuple);
    watchdog->cancel();
    if (*timed_out) co_return unexpected{"resolving " + url.host + ": timed out"};
    if (rec) co_return unexpected{"resolving " + url.host + ": " + rec.message()};
    for (const auto& entry : results) endpoints.push_back(entry.endpoint());
    if (endpoints.empty()) co_return unexpected{"resolving " + url.host + ": no address"};
  }
  const std::string where = url.host_header;

  if (!url.tls) {
    beast::tcp_stream stream(ex);
    stream.expires_at(deadline);  // Beast applies it to every operation below
    auto [cec, ep] = co_await stream.async_connect(endpoints, use_tuple);
    if (cec) co_return unexpected{io_message(cec, "connecting to " + where)};
    co_return co_await exchange(stream, request, options.max_reply_bytes);
  }

  if (!tls) tls.emplace(detail::make_tls_client_context());
  asio::ssl::stream<beast::tcp_stream> stream(ex, *tls);
  detail::prepare_tls_client(stream, url.host);
  beast::get_lowest_layer(stream).expires_at(deadline);
  auto [cec, ep] = co_await beast::get_lowest_layer(stream).async_connect(endpoints, use_tuple);
  if (cec) co_return unexpected{io_message(cec, "connecting to " + where)};
  auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::client, use_tuple);
  if (hec) co_return unexpected{io_message(hec, "TLS handshake with " + where)};
  co_return co_await exchange(stream, request, options.max_reply_bytes);
}

result<http_reply, std::string> rpc_client::impl::post_blocking(std::string body) {
  std::optional<result<http_reply, std::string>> out;
  std::string failure;  // an exception out of the exchange (a bug, or out of memory)
  auto run = [this, &out, b = std::move(body)]() mutable -> asio::awaitable<void> {
    out.emplace(co_await post(std::move(b)));
  };
  asio::co_spawn(io, run, [&failure](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      failure = ex.what();
    } catch (...) {
      failure = "an unknown exception";
    }
  });
  io.restart();
  io.run();
  if (!out) return unexpected{"the HTTP exchange failed: " + (failure.empty() ? std::string("unknown error") : failure)};
  return std::move(*out);
}

rpc_client::rpc_client(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
rpc_client::rpc_client(rpc_client&&) noexcept = default;
rpc_client& rpc_client::operator=(rpc_client&&) noexcept = default;
rpc_client::~rpc_client() = default;

const std::string& rpc_client::url() const { return impl_->options.url; }

result<rpc_client, std::string> rpc_client::create(rpc_options options) {
  auto url = parse_rpc_url(options.url);
  if (!url) return unexpected{"--rpc: " + url.error()};
  auto p = std::make_unique<impl>();
  p->url = std::move(*url);
  if (!options.credentials && p->url.user) {
    options.credentials = rpc_credentials{*p->url.user, p->url.password.value_or(""), true};
  }
  p->send_credentials = options.credentials && options.credentials->up_front;
  p->options = std::move(options);
  return rpc_client(std::move(p));
}

result<json::object, rpc_error> rpc_client::call(std::string_view method, json::object arguments) {
  impl& s = *impl_;
  const std::int64_t tag = s.next_tag++;
  json::object request;
  request["method"] = method;
  request["arguments"] = std::move(arguments);
  request["tag"] = tag;
  const std::string body = json::serialize(request);
  const std::string& where = s.options.url;

  bool challenged = false;  // a 401 answered with credentials already
  for (int attempt = 0;; ++attempt) {
    auto reply = s.post_blocking(body);
    if (!reply) return unexpected{rpc_error{where + ": " + reply.error(), {}}};
    if (reply->status == 409) {
      if (reply->session_id.empty() || reply->session_id.size() > max_session_id_length) {
        return unexpected{rpc_error{where + ": 409 Conflict without a usable X-Transmission-Session-Id "
                                    "(is this a Transmission RPC URL?)", {}}};
      }
      if (attempt >= max_session_id_retries) {
        return unexpected{rpc_error{where + ": the daemon kept answering 409 (session id refused "
                                    + std::to_string(max_session_id_retries) + " times)", {}}};
      }
      s.session_id = reply->session_id;
      continue;
    }
    if (reply->status == 401) {
      const bool basic = starts_with_ci(reply->www_authenticate, "basic");
      if (s.options.credentials && !s.send_credentials && !challenged && basic) {
        s.send_credentials = true;
        challenged = true;
        continue;
      }
      if (!s.options.credentials) {
        return unexpected{rpc_error{where + ": 401 Unauthorized: the daemon wants a user and password "
                                    "(--auth USER:PASS, TESSERA_AUTH or ~/.netrc)", {}}};
      }
      if (!s.send_credentials) {  // never sent: the challenge is not Basic
        return unexpected{rpc_error{where + ": 401 Unauthorized: the daemon asks for an authentication "
                                    "scheme other than Basic ('" + reply->www_authenticate.substr(0, 40) + "')", {}}};
      }
      return unexpected{rpc_error{where + ": 401 Unauthorized: user or password refused", {}}};
    }
    if (reply->status == 403) {
      return unexpected{rpc_error{where + ": 403 Forbidden: the daemon refuses this client (its RPC "
                                  "whitelist, or too many failed logins)", {}}};
    }
    if (reply->status == 421) {
      return unexpected{rpc_error{where + ": 421 Misdirected Request: the daemon does not accept the "
                                  "host name '" + s.url.host + "' (its host whitelist)", {}}};
    }
    if (reply->status != 200) {
      return unexpected{rpc_error{where + ": HTTP " + std::to_string(reply->status) + " " + reply->reason, {}}};
    }
    if (!reply->session_id.empty() && reply->session_id.size() <= max_session_id_length) {
      s.session_id = reply->session_id;  // checklist H8: a daemon may send it on 200 too
    }
    boost::system::error_code ec;
    json::value parsed = json::parse(reply->body, ec);
    if (ec || !parsed.is_object()) {
      return unexpected{rpc_error{where + ": the reply is not a JSON object", {}}};
    }
    json::object& root = parsed.as_object();
    const json::value* result_value = root.if_contains("result");
    if (result_value == nullptr || !result_value->is_string()) {
      return unexpected{rpc_error{where + ": the reply has no \"result\"", {}}};
    }
    if (const json::value* t = root.if_contains("tag"); t == nullptr || !t->is_int64() || t->as_int64() != tag) {
      return unexpected{rpc_error{where + ": the reply's tag does not match the request's", {}}};
    }
    const std::string result_text(result_value->as_string());
    if (result_text != "success") {
      return unexpected{rpc_error{std::string(method) + ": " + result_text, result_text}};
    }
    json::value* args = root.if_contains("arguments");
    if (args == nullptr) return json::object{};
    if (!args->is_object()) return unexpected{rpc_error{where + ": the reply's \"arguments\" is not an object", {}}};
    return std::move(args->as_object());
  }
}

}  // namespace tessera::cli
