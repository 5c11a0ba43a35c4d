// BEP 14 BT-SEARCH codec.
#include "discovery/lsd_message.hpp"

#include <algorithm>
#include <charconv>

namespace tessera::detail {

namespace {

struct lsd_category_impl : std::error_category {
  const char* name() const noexcept override { return "tessera.lsd"; }
  std::string message(int ev) const override {
    switch (static_cast<lsd_errc>(ev)) {
      case lsd_errc::too_large: return "LSD message too large";
      case lsd_errc::bad_request_line: return "not a BT-SEARCH request";
      case lsd_errc::bad_header: return "malformed LSD header";
      case lsd_errc::truncated: return "LSD message has no end of headers";
      case lsd_errc::missing_port: return "LSD announce without Port";
      case lsd_errc::bad_port: return "bad Port in LSD announce";
      case lsd_errc::missing_info_hash: return "LSD announce without Infohash";
      case lsd_errc::bad_info_hash: return "bad Infohash in LSD announce";
      case lsd_errc::too_many_info_hashes: return "too many Infohash headers in LSD announce";
    }
    return "unknown LSD error";
  }
};

constexpr std::string_view request_line = "BT-SEARCH * HTTP/1.1";

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// Takes the next line off `rest` (without its LF and a CR before it); false if no LF is left.
bool next_line(std::string_view& rest, std::string_view& line) {
  const auto lf = rest.find('\n');
  if (lf == std::string_view::npos) return false;
  line = rest.substr(0, lf);
  rest.remove_prefix(lf + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return true;
}

std::string header_block_start(const lsd_announce& a) {
  std::string out;
  out.append(request_line).append("\r\nHost: ").append(a.host).append("\r\nPort: ");
  out.append(std::to_string(a.port)).append("\r\n");
  return out;
}

std::string header_block_end(const lsd_announce& a) {
  std::string out;
  if (!a.cookie.empty()) out.append("cookie: ").append(a.cookie).append("\r\n");
  out.append("\r\n\r\n");
  return out;
}

}  // namespace

const std::error_category& lsd_category() noexcept {
  static const lsd_category_impl category;
  return category;
}

std::string build_lsd_announce(const lsd_announce& a) {
  std::string out = header_block_start(a);
  for (const auto& ih : a.info_hashes) out.append("Infohash: ").append(ih.to_hex()).append("\r\n");
  out.append(header_block_end(a));
  return out;
}

std::vector<std::string> build_lsd_announces(const lsd_announce& a) {
  std::vector<std::string> out;
  const std::string start = header_block_start(a);
  const std::string end = header_block_end(a);
  constexpr std::size_t line = 10 + 40 + 2;  // "Infohash: " + hex + CRLF
  const std::size_t room = lsd_max_sent_message > start.size() + end.size()
                               ? lsd_max_sent_message - start.size() - end.size()
                               : 0;
  const std::size_t per_message = std::clamp<std::size_t>(room / line, 1, lsd_max_info_hashes);
  for (std::size_t i = 0; i < a.info_hashes.size(); i += per_message) {
    std::string msg = start;
    const std::size_t n = std::min(per_message, a.info_hashes.size() - i);
    for (std::size_t j = i; j < i + n; ++j) {
      msg.append("Infohash: ").append(a.info_hashes[j].to_hex()).append("\r\n");
    }
    msg.append(end);
    out.push_back(std::move(msg));
  }
  return out;
}

result<lsd_announce> parse_lsd_announce(std::string_view datagram) {
  if (datagram.size() > lsd_max_message) return unexpected{make_error_code(lsd_errc::too_large)};
  std::string_view rest = datagram;
  std::string_view line;
  if (!next_line(rest, line) || line != request_line) {
    return unexpected{make_error_code(lsd_errc::bad_request_line)};
  }
  lsd_announce a;
  bool have_port = false;
  bool ended = false;
  // Bounded: every pass consumes at least one byte of `rest`.
  while (next_line(rest, line)) {
    if (line.empty()) {
      ended = true;
      break;
    }
    if (std::any_of(line.begin(), line.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20 && c != '\t'; })) {
      return unexpected{make_error_code(lsd_errc::bad_header)};
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return unexpected{make_error_code(lsd_errc::bad_header)};
    const std::string_view name = trim(line.substr(0, colon));
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "port")) {
      unsigned v = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (have_port || ec != std::errc{} || p != value.data() + value.size() || v == 0 || v > 65535) {
        return unexpected{make_error_code(lsd_errc::bad_port)};
      }
      a.port = static_cast<std::uint16_t>(v);
      have_port = true;
    } else if (iequals(name, "infohash")) {
      auto ih = value.size() == 40 ? sha1_hash::from_hex(value) : std::nullopt;
      if (!ih) return unexpected{make_error_code(lsd_errc::bad_info_hash)};
      if (std::find(a.info_hashes.begin(), a.info_hashes.end(), *ih) != a.info_hashes.end()) continue;
      if (a.info_hashes.size() == lsd_max_info_hashes) {
        return unexpected{make_error_code(lsd_errc::too_many_info_hashes)};
      }
      a.info_hashes.push_back(*ih);
    } else if (iequals(name, "cookie")) {
      if (value.size() > lsd_max_cookie) return unexpected{make_error_code(lsd_errc::bad_header)};
      a.cookie.assign(value);
    } else if (iequals(name, "host")) {
      a.host.assign(value);
    }  // any other header: ignored (BEP 14 forwards compatibility)
  }
  if (!ended) return unexpected{make_error_code(lsd_errc::truncated)};
  if (!have_port) return unexpected{make_error_code(lsd_errc::missing_port)};
  if (a.info_hashes.empty()) return unexpected{make_error_code(lsd_errc::missing_info_hash)};
  return a;
}

}  // namespace tessera::detail
