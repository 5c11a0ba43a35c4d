// An HTTP(S) GET with a deadline, a body limit and the redirect rules of redirect_policy
// (discovery/tracker.hpp): the transport of HTTP announces, and of the daemon's torrent-add by URL.
#include "discovery/http_fetch.hpp"

#include <memory>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "discovery/http_read.hpp"
#include "discovery/http_tls.hpp"
#include "discovery/http_url.hpp"
#include "discovery/peer_address.hpp"
#include "discovery/resolve.hpp"

namespace tessera::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

tracker_error make_error(tracker_errc e, std::string message) {
  return {make_error_code(e), std::move(message)};
}

}  // namespace

namespace {

struct http_reply {
  std::optional<tcp::endpoint> remote;  ///< the address that answered, when the OS could tell
  unsigned status = 0;
  std::string location;  ///< Location header (redirects)
  std::string body;
};

tracker_error io_error(const boost::system::error_code& ec, const char* what) {
  if (ec == beast::error::timeout) return make_error(tracker_errc::timeout, what);
  return {std::error_code(ec), std::string(what) + ": " + ec.message()};
}

/// Sends the GET and reads the reply on a connected (and, for TLS, handshaken) stream.
template <class Stream>
asio::awaitable<result<http_reply, tracker_error>> exchange(Stream& stream, const http_url& parts,
                                                             std::uint64_t max_body, const std::string& cookie) {
  http::request<http::empty_body> request{http::verb::get, parts.target, 11};
  request.set(http::field::host, parts.host_header);
  request.set(http::field::user_agent, "tessera/0.1");
  request.set(http::field::accept_encoding, "identity");
  request.set(http::field::connection, "close");
  if (!cookie.empty()) request.set(http::field::cookie, cookie);
  auto [wec, written] = co_await http::async_write(stream, request, use_tuple);
  if (wec) co_return unexpected{io_error(wec, "sending request")};

  http::response_parser<http::string_body> parser;
  parser.body_limit(max_body);
  const auto rec = co_await read_http_response(stream, parser);
  if (rec) co_return unexpected{io_error(rec, "reading response")};
  const auto& response = parser.get();
  http_reply reply;
  reply.status = response.result_int();
  if (auto loc = response.find(http::field::location); loc != response.end()) {
    reply.location = std::string(loc->value());
  }
  reply.body = response.body();
  co_return reply;
}

/// Connects `stream` (a beast::tcp_stream, whose expiry bounds it) to the first of `endpoints`
/// that accepts. With `local`, each socket is bound to it (port 0) before connecting when the
/// endpoint is of the same family; asio's range connect would reopen the socket and lose the bind.
asio::awaitable<boost::system::error_code>
connect_from(beast::tcp_stream& stream, const std::vector<tcp::endpoint>& endpoints,
             const std::optional<asio::ip::address>& local) {
  if (!local) {
    auto [cec, ep] = co_await stream.async_connect(endpoints, use_tuple);
    co_return cec;
  }
  boost::system::error_code last = asio::error::not_found;
  for (const tcp::endpoint& ep : endpoints) {
    auto& socket = stream.socket();
    boost::system::error_code ec;
    socket.close(ec);
    socket.open(ep.protocol(), ec);
    if (!ec && local->is_v4() == ep.address().is_v4()) socket.bind(tcp::endpoint(*local, 0), ec);
    if (ec) {
      last = ec;
      continue;
    }
    auto [cec] = co_await stream.async_connect(ep, use_tuple);
    if (!cec) co_return cec;
    last = cec;
    if (cec == beast::error::timeout) break;  // the deadline is spent for every endpoint
  }
  co_return last;
}

/// One GET of `url`, all of it before `deadline`, from `local` when set (see connect_from), with
/// a Cookie header when `cookie` is not empty.
/// With `refuse_local` set, resolved addresses for which it is true are not connected to (a
/// redirect from a public tracker, see redirect_policy); none left is redirect_refused.
asio::awaitable<result<http_reply, tracker_error>>
http_get(const std::string& url, std::chrono::steady_clock::time_point deadline,
         const std::optional<asio::ip::address>& local,
         bool (*refuse_local)(const asio::ip::address&), std::uint64_t max_body, const std::string& cookie) {
  auto parts = parse_http_url(url);
  if (!parts) co_return unexpected{make_error(tracker_errc::unsupported_url, url)};
  auto resolved = co_await resolve_with_deadline<tcp>(parts->host, parts->port, deadline);
  if (!resolved) co_return unexpected{resolved.error()};
  std::vector<tcp::endpoint> endpoints;
  for (const auto& entry : *resolved) {
    if (refuse_local != nullptr && refuse_local(entry.endpoint().address())) continue;
    endpoints.push_back(entry.endpoint());
  }
  if (endpoints.empty()) {
    co_return unexpected{make_error(tracker_errc::redirect_refused,
                                    "redirect from a public tracker to a local address: " + url)};
  }
  auto ex = co_await asio::this_coro::executor;
  // The address that answers, read right after the connect (the server may close first later).
  boost::system::error_code remote_ec;
  auto answered = [&remote_ec](const tcp::endpoint& remote, result<http_reply, tracker_error> r) {
    if (r && !remote_ec) r->remote = remote;
    return r;
  };

  if (!parts->tls) {
    beast::tcp_stream stream(ex);
    stream.expires_at(deadline);  // beast applies it to every operation below
    auto cec = co_await connect_from(stream, endpoints, local);
    if (cec) co_return unexpected{io_error(cec, "connecting")};
    const tcp::endpoint remote = stream.socket().remote_endpoint(remote_ec);
    co_return answered(remote, co_await exchange(stream, *parts, max_body, cookie));
  }

  auto ctx = make_tls_client_context();
  asio::ssl::stream<beast::tcp_stream> stream(ex, ctx);
  prepare_tls_client(stream, parts->host);
  beast::get_lowest_layer(stream).expires_at(deadline);
  auto cec = co_await connect_from(beast::get_lowest_layer(stream), endpoints, local);
  if (cec) co_return unexpected{io_error(cec, "connecting")};
  const tcp::endpoint remote = beast::get_lowest_layer(stream).socket().remote_endpoint(remote_ec);
  auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::client, use_tuple);
  if (hec) co_return unexpected{io_error(hec, "TLS handshake")};
  co_return answered(remote, co_await exchange(stream, *parts, max_body, cookie));
}

/// scheme://host:port of an http(s) URL, empty when it is not one.
std::string origin_of(const std::string& url) {
  auto parts = parse_http_url(url);
  if (!parts) return {};
  return (parts->tls ? "https://" : "http://") + parts->host + ":" + std::to_string(parts->port);
}

const std::string no_cookie;

bool is_redirect(unsigned status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

}  // namespace


asio::awaitable<result<http_fetch_reply, tracker_error>>
http_fetch(std::string url, std::chrono::seconds timeout, redirect_policy policy,
           std::optional<asio::ip::address> local, std::uint64_t max_body, std::string cookie) {
  if (cookie.size() > max_cookie_bytes || cookie.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
    co_return unexpected{make_error(tracker_errc::unsupported_url,
                                    "cookies: longer than 8 KiB or holding a line break or NUL")};
  }
  const auto first_origin = origin_of(url);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto* const is_local = policy.is_local != nullptr ? policy.is_local : &is_local_network_address;
  std::string current = std::move(url);
  bool tls_seen = false;     // a hop of the chain was https: no http after it
  bool public_seen = false;  // a hop answered from a public address: no local hop after it
  for (int redirects = 0;; ++redirects) {
    // The cookies belong to the first URL's origin: a redirect elsewhere goes without them.
    const std::string& hop_cookie = origin_of(current) == first_origin ? cookie : no_cookie;
    auto reply = co_await http_get(current, deadline, local, public_seen ? is_local : nullptr, max_body, hop_cookie);
    if (!reply) co_return unexpected{reply.error()};
    if (is_redirect(reply->status) && !reply->location.empty()) {
      if (redirects >= policy.max_redirects) {
        co_return unexpected{make_error(tracker_errc::http_status, "too many redirects")};
      }
      auto base = boost::urls::parse_uri(current);
      auto ref = boost::urls::parse_uri_reference(reply->location);
      if (!base || !ref) {
        co_return unexpected{make_error(tracker_errc::unsupported_url, reply->location)};
      }
      boost::urls::url target;
      if (!boost::urls::resolve(*base, *ref, target)) {
        co_return unexpected{make_error(tracker_errc::unsupported_url, reply->location)};
      }
      tls_seen = tls_seen || base->scheme_id() == boost::urls::scheme::https;
      // An address we could not read counts as public: the stricter reading.
      public_seen = public_seen || !reply->remote || !is_local(reply->remote->address());
      if (tls_seen && target.scheme_id() != boost::urls::scheme::https) {
        co_return unexpected{make_error(tracker_errc::redirect_refused,
                                        "redirect from https to " + std::string(target.scheme()) +
                                            " refused: " + std::string(target.buffer()))};
      }
      current = std::string(target.buffer());
      continue;
    }
    co_return http_fetch_reply{reply->status, std::move(reply->body)};
  }
}

}  // namespace tessera::detail
