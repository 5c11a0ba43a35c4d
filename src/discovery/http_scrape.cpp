// HTTP scrape (BEP 48): the scrape URL of an announce URL, the request, the bounded reply parser.
#include <algorithm>
#include <cctype>

#include <boost/asio/awaitable.hpp>

#include "core/bencode.hpp"
#include "discovery/http_fetch.hpp"
#include "discovery/tracker.hpp"
#include "discovery/tracker_parse.hpp"

namespace tessera::detail {

namespace asio = boost::asio;

namespace {

tracker_error make_error(tracker_errc e, std::string message) {
  return {make_error_code(e), std::move(message)};
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), s.begin(),
                    [](char a, char b) { return std::tolower(static_cast<unsigned char>(b)) == a; });
}

/// A count from a scrape entry: -1 unless a non-negative integer.
std::int64_t count_of(const bvalue& entry, std::string_view key) {
  const auto* v = entry.find_int(key);
  return v && *v >= 0 ? *v : -1;
}

}  // namespace

std::string rewrite_announce_path(std::string_view url, std::size_t authority) {
  // The path runs from the first '/' after the authority to the query or fragment.
  const auto path_begin = url.find_first_of("/?#", authority);
  if (path_begin == std::string_view::npos || url[path_begin] != '/') return {};
  auto path_end = url.find_first_of("?#", path_begin);
  if (path_end == std::string_view::npos) path_end = url.size();
  const auto last_slash = url.rfind('/', path_end - 1);
  const auto component = url.substr(last_slash + 1, path_end - last_slash - 1);
  if (!component.starts_with("announce")) return {};
  std::string out(url.substr(0, last_slash + 1));
  out += "scrape";
  out += url.substr(last_slash + 1 + 8);
  if (auto fragment = out.find('#'); fragment != std::string::npos) out.resize(fragment);
  return out;
}

std::string http_scrape_url(std::string_view announce_url) {
  if (starts_with_nocase(announce_url, "http://")) return rewrite_announce_path(announce_url, 7);
  if (starts_with_nocase(announce_url, "https://")) return rewrite_announce_path(announce_url, 8);
  return {};
}

std::string udp_scrape_url(std::string_view announce_url) {
  if (!starts_with_nocase(announce_url, "udp://")) return {};
  auto rewritten = rewrite_announce_path(announce_url, 6);
  return rewritten.empty() ? std::string(announce_url) : rewritten;
}

std::string build_http_scrape_url(const std::string& scrape_url, std::span<const sha1_hash> hashes) {
  std::string url = scrape_url;
  if (auto hash = url.find('#'); hash != std::string::npos) url.resize(hash);
  char sep = url.find('?') == std::string::npos ? '?' : '&';
  if (sep == '&' && (url.back() == '?' || url.back() == '&')) sep = '\0';
  const std::size_t n = std::min(hashes.size(), max_scrape_hashes);
  for (std::size_t i = 0; i < n; ++i) {
    if (sep != '\0') url += sep;
    url += "info_hash=" + percent_encode(hashes[i].to_bytes());
    sep = '&';
  }
  return url;
}

result<scrape_response, tracker_error> parse_http_scrape_response(std::string_view body,
                                                                   std::span<const sha1_hash> hashes) {
  // Depth: the root, `files`, an entry, and one more for an entry's own nested values (`flags`
  // is a dictionary at depth 2).
  auto decoded = bdecode(body, bdecode_limits{.max_depth = 4, .max_items = max_scrape_body_items});
  if (!decoded) {
    return unexpected{make_error(tracker_errc::bad_response, "invalid bencode: " + decoded.error().message())};
  }
  const bvalue& root = *decoded;
  if (!root.is_dict()) return unexpected{make_error(tracker_errc::bad_response, "scrape reply is not a dictionary")};
  if (const auto* reason = root.find_string("failure reason")) {
    std::string text = *reason;
    if (text.size() > 1024) text.resize(1024);  // it ends up in logs and the RPC
    return unexpected{make_error(tracker_errc::failure_reason, std::move(text))};
  }
  const bvalue* files = root.find_dict("files");
  if (files == nullptr) return unexpected{make_error(tracker_errc::bad_response, "scrape reply has no files dictionary")};

  scrape_response out;
  out.entries.resize(std::min(hashes.size(), max_scrape_hashes));
  for (std::size_t i = 0; i < out.entries.size(); ++i) {
    const bvalue* entry = files->find_dict(hashes[i].to_bytes());
    if (entry == nullptr) continue;
    out.entries[i] = scrape_entry{.complete = count_of(*entry, "complete"),
                                  .downloaded = count_of(*entry, "downloaded"),
                                  .incomplete = count_of(*entry, "incomplete")};
  }
  if (const bvalue* flags = root.find_dict("flags")) {
    if (const auto* min = flags->find_int("min_request_interval")) {
      out.min_request_interval = clamp_tracker_min_interval(*min);
    }
  }
  return out;
}

asio::awaitable<result<scrape_response, tracker_error>>
scrape_http(std::string scrape_url, std::vector<sha1_hash> hashes, std::chrono::seconds timeout,
            std::optional<asio::ip::address> local, redirect_policy policy) {
  if (hashes.empty() || hashes.size() > max_scrape_hashes) {
    co_return unexpected{make_error(tracker_errc::unsupported_url, "scrape of " + std::to_string(hashes.size()) + " hashes")};
  }
  auto reply = co_await http_fetch(build_http_scrape_url(scrape_url, hashes), timeout, policy, local,
                                   max_scrape_body_bytes);
  if (!reply) co_return unexpected{reply.error()};
  if (reply->status != 200) {
    auto parsed = parse_http_scrape_response(reply->body, hashes);
    if (!parsed && parsed.error().ec == tracker_errc::failure_reason) co_return unexpected{parsed.error()};
    co_return unexpected{make_error(tracker_errc::http_status, "HTTP status " + std::to_string(reply->status))};
  }
  co_return parse_http_scrape_response(reply->body, hashes);
}

}  // namespace tessera::detail
