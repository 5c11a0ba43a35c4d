// HTTP(S) tracker announces (BEP 3), compact peer lists (BEP 23), IPv6 peers (BEP 7).
#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "core/bencode.hpp"
#include "discovery/http_fetch.hpp"
#include "discovery/tracker.hpp"
#include "discovery/tracker_parse.hpp"

namespace tessera::detail {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

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

asio::awaitable<result<announce_response, tracker_error>>
announce_http(std::string url, announce_request req, std::chrono::seconds timeout,
              redirect_policy policy) {
  auto reply = co_await http_fetch(build_http_announce_url(url, req), timeout, policy, req.local_address,
                                   max_body_bytes);
  if (!reply) co_return unexpected{reply.error()};
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

}  // namespace tessera::detail
