// HTTP(S) tracker announces (BEP 3), compact peer lists (BEP 23), IPv6 peers (BEP 7).
#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "core/bencode.hpp"
#include "discovery/peer_address.hpp"
#include "discovery/resolve.hpp"
#include "discovery/tracker.hpp"
#include "discovery/tracker_parse.hpp"

namespace tessera::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
/// A tracker reply is a small bencoded dictionary; anything bigger is hostile or broken.
constexpr std::uint64_t max_body_bytes = 2 * 1024 * 1024;

tracker_error make_error(tracker_errc e, std::string message) {
  return {make_error_code(e), std::move(message)};
}

tracker_error bad_response(std::string message) {
  return make_error(tracker_errc::bad_response, std::move(message));
}

}  // namespace

result<announce_response, tracker_error> parse_http_announce_response(std::string_view body) {
  auto decoded = bdecode(body, bdecode_limits{.max_depth = 8, .max_items = 1 << 16});
  if (!decoded) return unexpected{bad_response("invalid bencode: " + decoded.error().message())};
  const bvalue& root = *decoded;
  if (!root.is_dict()) return unexpected{bad_response("response is not a dictionary")};

  if (const auto* reason = root.find_string("failure reason")) {
    return unexpected{make_error(tracker_errc::failure_reason, *reason)};
  }

  announce_response resp;
  if (const auto* interval = root.find_int("interval")) {
    resp.interval = clamp_tracker_interval(*interval);
  }
  if (const auto* min_interval = root.find_int("min interval")) {
    resp.min_interval = clamp_tracker_min_interval(*min_interval);
  }
  if (const auto* id = root.find_string("tracker id")) resp.tracker_id = *id;
  if (const auto* warning = root.find_string("warning message")) resp.warning = *warning;
  if (const auto* complete = root.find_int("complete"); complete && *complete >= 0) {
    resp.complete = *complete;
  }
  if (const auto* incomplete = root.find_int("incomplete"); incomplete && *incomplete >= 0) {
    resp.incomplete = *incomplete;
  }

  const bvalue* peers = root.find("peers");
  const bvalue* peers6 = root.find("peers6");
  if (peers == nullptr && peers6 == nullptr) {
    // BEP 3 requires `peers`; a reply without any peer list is not an announce reply.
    return unexpected{bad_response("no peers in response")};
  }
  reply_peer_collector collected(resp.peers);
  if (peers != nullptr) {
    if (peers->is_string()) {
      if (!append_compact_peers(peers->as_string(), 6, collected)) {
        return unexpected{bad_response("compact peer list length is not a multiple of 6")};
      }
    } else if (peers->is_list()) {
      for (const bvalue& entry : peers->as_list()) {
        if (collected.full()) break;
        const auto* ip_text = entry.find_string("ip");
        const auto* port = entry.find_int("port");
        if (ip_text == nullptr || port == nullptr || *port <= 0 || *port > 65535) continue;
        boost::system::error_code ec;
        // Only IP literals: resolving host names a tracker hands out would let it make us send
        // DNS queries of its choosing.
        auto addr = asio::ip::make_address(*ip_text, ec);
        if (ec) continue;
        collected.add(tcp::endpoint(addr, static_cast<std::uint16_t>(*port)));
      }
    } else {
      return unexpected{bad_response("peers is neither a string nor a list")};
    }
  }
  if (peers6 != nullptr && peers6->is_string()) {
    if (!append_compact_peers(peers6->as_string(), 18, collected)) {
      return unexpected{bad_response("peers6 length is not a multiple of 18")};
    }
  }
  return resp;
}

std::string build_http_announce_url(const std::string& announce_url, const announce_request& req) {
  std::string url = announce_url;
  if (auto hash = url.find('#'); hash != std::string::npos) url.resize(hash);
  if (url.find('?') == std::string::npos) {
    url += '?';
  } else if (url.back() != '?' && url.back() != '&') {
    url += '&';  // the announce URL carries its own query (a passkey): append to it
  }
  auto non_negative = [](std::int64_t v) { return std::to_string(std::max<std::int64_t>(v, 0)); };
  char key[9];
  std::snprintf(key, sizeof key, "%08X", static_cast<unsigned>(req.key));
  url += "info_hash=" + percent_encode(req.info_hash.to_bytes());
  url += "&peer_id=" + percent_encode(req.pid.to_bytes());
  url += "&port=" + std::to_string(req.port);
  url += "&uploaded=" + non_negative(req.uploaded);
  url += "&downloaded=" + non_negative(req.downloaded);
  url += "&left=" + non_negative(req.left);
  url += "&compact=1";
  url += "&numwant=" + std::to_string(std::max(req.numwant, 0));
  url += "&key=";
  url += key;
  switch (req.event) {
    case announce_event::none: break;
    case announce_event::completed: url += "&event=completed"; break;
    case announce_event::started: url += "&event=started"; break;
    case announce_event::stopped: url += "&event=stopped"; break;
  }
  if (!req.tracker_id.empty()) url += "&trackerid=" + percent_encode(req.tracker_id);
  return url;
}

namespace {

struct http_reply {
  std::optional<tcp::endpoint> remote;  ///< the address that answered, when the OS could tell
  unsigned status = 0;
  std::string location;  ///< Location header (redirects)
  std::string body;
};

struct url_parts {
  bool tls = false;
  std::string host;         ///< without brackets, for resolving and SNI
  std::uint16_t port_number = 0;
  std::string host_header;  ///< as in the URL, with brackets and port when given
  std::string target;       ///< path and query, percent-encoded as in the URL
};

std::optional<url_parts> split_url(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return std::nullopt;
  url_parts parts;
  if (parsed->scheme_id() == boost::urls::scheme::https) {
    parts.tls = true;
  } else if (parsed->scheme_id() != boost::urls::scheme::http) {
    return std::nullopt;
  }
  if (!parsed->has_authority() || parsed->encoded_host().empty()) return std::nullopt;
  parts.host = parsed->host_address();
  if (parsed->has_port()) {
    if (parsed->port_number() == 0) return std::nullopt;
    parts.port_number = parsed->port_number();
  } else {
    parts.port_number = parts.tls ? 443 : 80;
  }
  parts.host_header = std::string(parsed->encoded_host_and_port());
  parts.target = std::string(parsed->encoded_target());
  if (parts.target.empty() || parts.target.front() != '/') parts.target.insert(0, "/");
  return parts;
}

tracker_error io_error(const boost::system::error_code& ec, const char* what) {
  if (ec == beast::error::timeout) return make_error(tracker_errc::timeout, what);
  return {std::error_code(ec), std::string(what) + ": " + ec.message()};
}

/// Sends the GET and reads the reply on a connected (and, for TLS, handshaken) stream.
template <class Stream>
asio::awaitable<result<http_reply, tracker_error>> exchange(Stream& stream, const url_parts& parts) {
  http::request<http::empty_body> request{http::verb::get, parts.target, 11};
  request.set(http::field::host, parts.host_header);
  request.set(http::field::user_agent, "tessera/0.1");
  request.set(http::field::accept_encoding, "identity");
  request.set(http::field::connection, "close");
  auto [wec, written] = co_await http::async_write(stream, request, use_tuple);
  if (wec) co_return unexpected{io_error(wec, "sending request")};

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(max_body_bytes);
  auto [rec, read] = co_await http::async_read(stream, buffer, parser, use_tuple);
  if (rec == asio::ssl::error::stream_truncated && !parser.is_done()) {
    // A server closing TLS without close_notify ends a body that runs to end of stream.
    boost::system::error_code eof_ec;
    parser.put_eof(eof_ec);
    if (!eof_ec) rec = {};
  }
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

/// One GET of `url`, all of it before `deadline`, from `local` when set (see connect_from).
/// With `refuse_local` set, resolved addresses for which it is true are not connected to (a
/// redirect from a public tracker, see redirect_policy); none left is redirect_refused.
asio::awaitable<result<http_reply, tracker_error>>
http_get(const std::string& url, std::chrono::steady_clock::time_point deadline,
         const std::optional<asio::ip::address>& local,
         bool (*refuse_local)(const asio::ip::address&)) {
  auto parts = split_url(url);
  if (!parts) co_return unexpected{make_error(tracker_errc::unsupported_url, url)};
  auto resolved = co_await resolve_with_deadline<tcp>(parts->host, parts->port_number, deadline);
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
    co_return answered(remote, co_await exchange(stream, *parts));
  }

  asio::ssl::context ctx(asio::ssl::context::tls_client);
  boost::system::error_code ec;
  ctx.set_default_verify_paths(ec);
  ctx.set_verify_mode(asio::ssl::verify_peer);
  asio::ssl::stream<beast::tcp_stream> stream(ex, ctx);
  boost::system::error_code literal_ec;
  asio::ip::make_address(parts->host, literal_ec);
  if (literal_ec) {  // SNI carries host names only, never IP literals (RFC 6066)
    SSL_set_tlsext_host_name(stream.native_handle(), parts->host.c_str());
  }
  stream.set_verify_callback(asio::ssl::host_name_verification(parts->host));
  beast::get_lowest_layer(stream).expires_at(deadline);
  auto cec = co_await connect_from(beast::get_lowest_layer(stream), endpoints, local);
  if (cec) co_return unexpected{io_error(cec, "connecting")};
  const tcp::endpoint remote = beast::get_lowest_layer(stream).socket().remote_endpoint(remote_ec);
  auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::client, use_tuple);
  if (hec) co_return unexpected{io_error(hec, "TLS handshake")};
  co_return answered(remote, co_await exchange(stream, *parts));
}

bool is_redirect(unsigned status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

}  // namespace

asio::awaitable<result<announce_response, tracker_error>>
announce_http(std::string url, announce_request req, std::chrono::seconds timeout,
              redirect_policy policy) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto* const is_local = policy.is_local != nullptr ? policy.is_local : &is_local_network_address;
  std::string current = build_http_announce_url(url, req);
  bool tls_seen = false;     // a hop of the chain was https: no http after it
  bool public_seen = false;  // a hop answered from a public address: no local hop after it
  for (int redirects = 0;; ++redirects) {
    auto reply = co_await http_get(current, deadline, req.local_address,
                                   public_seen ? is_local : nullptr);
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
    if (reply->status != 200) {
      // Some trackers pair an error status with a bencoded `failure reason`: prefer its text.
      auto parsed = parse_http_announce_response(reply->body);
      if (!parsed && parsed.error().ec == tracker_errc::failure_reason) {
        co_return unexpected{parsed.error()};
      }
      co_return unexpected{
          make_error(tracker_errc::http_status, "HTTP status " + std::to_string(reply->status))};
    }
    co_return parse_http_announce_response(reply->body);
  }
}

}  // namespace tessera::detail
