// Magnet URI parsing and building (BEP 9). The query is split and percent-decoded here rather
// than with Boost.URL: real magnet links carry characters RFC 3986 forbids in a query (raw '['
// and ']' in x.pe, spaces in dn), which a strict URI parser rejects, and keeping core free of the
// compiled Boost.URL library lets the fuzz targets link tessera_core alone.
#include "tessera/magnet.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <optional>

namespace tessera {

namespace {

class magnet_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tessera.magnet"; }
  std::string message(int ev) const override {
    switch (static_cast<magnet_errc>(ev)) {
      case magnet_errc::not_magnet: return "not a magnet URI";
      case magnet_errc::too_long: return "magnet URI too long";
      case magnet_errc::bad_escape: return "bad percent-escape in magnet URI";
      case magnet_errc::missing_info_hash: return "magnet URI has no urn:btih or urn:btmh info-hash";
      case magnet_errc::bad_info_hash:
        return "magnet info-hash is not 40 hex or 32 base32 characters (btih) or 1220 + 64 hex (btmh)";
      case magnet_errc::conflicting_info_hash: return "magnet URI has two different info-hashes";
      case magnet_errc::bad_peer: return "magnet x.pe is not a valid host:port";
      case magnet_errc::bad_tracker: return "magnet tr or ws is empty";
    }
    return "unknown magnet error";
  }
};

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (lower(s[i]) != lower(prefix[i])) return false;
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = lower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/// Percent-decodes `in`; '+' becomes a space only when `plus_is_space`.
std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      if (i + 2 >= in.size()) return std::nullopt;
      int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (in[i] == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

/// RFC 4648 base32 (A-Z, 2-7, either case), exactly 32 characters -> 20 bytes.
std::optional<sha1_hash> from_base32(std::string_view s) {
  if (s.size() != 32) return std::nullopt;
  sha1_hash h;
  std::uint64_t acc = 0;
  int bits = 0;
  std::size_t out = 0;
  for (char c : s) {
    int v;
    char l = lower(c);
    if (l >= 'a' && l <= 'z') v = l - 'a';
    else if (c >= '2' && c <= '7') v = c - '2' + 26;
    else return std::nullopt;
    acc = (acc << 5) | static_cast<std::uint64_t>(v);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      h.bytes[out++] = static_cast<std::uint8_t>((acc >> bits) & 0xff);
    }
  }
  return h;  // 32 * 5 = 160 bits: no padding bits left over
}

/// The multihash prefix of a SHA-256 digest (BEP 52 "Magnet links"): function code 0x12
/// (sha2-256), then the digest length 0x20 (32 bytes), in hex.
constexpr std::string_view multihash_sha256_prefix = "1220";

/// A `urn:btmh:` value: "1220" + 64 hex digits (either case) -> the v2 info-hash. Any other
/// function code or length is refused: a v2 info-hash is always a 32-byte SHA-256.
std::optional<sha256_hash> from_multihash(std::string_view s) {
  if (s.size() != multihash_sha256_prefix.size() + 2 * sha256_hash::size ||
      s.substr(0, multihash_sha256_prefix.size()) != multihash_sha256_prefix)
    return std::nullopt;
  return sha256_hash::from_hex(s.substr(multihash_sha256_prefix.size()));
}

bool valid_host_name(std::string_view h) {
  if (h.empty() || h.size() > 253) return false;
  return std::all_of(h.begin(), h.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_';
  });
}

std::optional<magnet_peer> parse_peer(std::string_view s) {
  const auto colon = s.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view host = s.substr(0, colon), port = s.substr(colon + 1);
  unsigned value = 0;
  if (port.empty() || port.size() > 5) return std::nullopt;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535)
    return std::nullopt;
  magnet_peer p;
  p.port = static_cast<std::uint16_t>(value);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    char text[INET6_ADDRSTRLEN + 1] = {};
    unsigned char addr[16];
    if (host.size() >= sizeof text) return std::nullopt;
    std::memcpy(text, host.data(), host.size());
    if (inet_pton(AF_INET6, text, addr) != 1) return std::nullopt;
  } else if (!valid_host_name(host)) {
    return std::nullopt;
  }
  p.host = std::string(host);
  return p;
}

/// The parameter name without a ".N" index suffix ("tr.1" -> "tr"); "x.pe" is kept whole.
std::string_view base_name(std::string_view key) {
  const auto dot = key.rfind('.');
  if (dot == std::string_view::npos || dot + 1 == key.size()) return key;
  std::string_view suffix = key.substr(dot + 1);
  if (!std::all_of(suffix.begin(), suffix.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return key;
  return key.substr(0, dot);
}

template <class T>
void add_unique(std::vector<T>& v, T value) {
  if (v.size() < max_magnet_list_entries && std::find(v.begin(), v.end(), value) == v.end())
    v.push_back(std::move(value));
}

/// Characters left as they are in a value; everything else is percent-encoded.
bool unreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~' || c == ':' || c == '/';
}

void append_encoded(std::string& out, std::string_view s) {
  static constexpr char digits[] = "0123456789ABCDEF";
  for (char c : s) {
    if (unreserved(c)) {
      out.push_back(c);
    } else {
      const auto b = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(digits[b >> 4]);
      out.push_back(digits[b & 15]);
    }
  }
}

}  // namespace

const std::error_category& magnet_category() noexcept {
  static const magnet_category_impl category;
  return category;
}

result<magnet_link> parse_magnet(std::string_view uri) {
  if (uri.size() > max_magnet_uri_length) return unexpected{make_error_code(magnet_errc::too_long)};
  if (!iequals_prefix(uri, "magnet:?")) return unexpected{make_error_code(magnet_errc::not_magnet)};
  std::string_view query = uri.substr(8);
  if (const auto hash = query.find('#'); hash != std::string_view::npos) query = query.substr(0, hash);

  magnet_link m;
  bool have_v1 = false, have_v2 = false;
  while (!query.empty()) {
    const auto amp = query.find('&');
    std::string_view param = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (param.empty()) continue;
    const auto eq = param.find('=');
    if (eq == std::string_view::npos) continue;  // a bare name carries nothing we use
    const std::string_view key = base_name(param.substr(0, eq));
    const std::string_view raw = param.substr(eq + 1);
    auto value = percent_decode(raw, key == "dn");
    if (!value) return unexpected{make_error_code(magnet_errc::bad_escape)};

    if (key == "xt") {
      if (iequals_prefix(*value, "urn:btih:")) {
        std::string_view h = std::string_view(*value).substr(9);
        std::optional<sha1_hash> parsed = h.size() == 40 ? sha1_hash::from_hex(h) : from_base32(h);
        if (!parsed) return unexpected{make_error_code(magnet_errc::bad_info_hash)};
        if (have_v1 && *parsed != m.info_hash.v1)
          return unexpected{make_error_code(magnet_errc::conflicting_info_hash)};
        m.info_hash.v1 = *parsed;
        have_v1 = true;
      } else if (iequals_prefix(*value, "urn:btmh:")) {
        std::optional<sha256_hash> parsed = from_multihash(std::string_view(*value).substr(9));
        if (!parsed) return unexpected{make_error_code(magnet_errc::bad_info_hash)};
        if (have_v2 && *parsed != m.info_hash.v2)
          return unexpected{make_error_code(magnet_errc::conflicting_info_hash)};
        m.info_hash.v2 = *parsed;
        have_v2 = true;
      }
      // Other URNs (urn:sha1:, urn:ed2k: ...) name no torrent.
    } else if (key == "dn") {
      m.name = std::move(*value);
    } else if (key == "tr" || key == "ws") {
      if (value->empty()) return unexpected{make_error_code(magnet_errc::bad_tracker)};
      add_unique(key == "tr" ? m.trackers : m.web_seeds, std::move(*value));
    } else if (key == "x.pe") {
      auto peer = parse_peer(*value);
      if (!peer) return unexpected{make_error_code(magnet_errc::bad_peer)};
      add_unique(m.peers, std::move(*peer));
    }
  }
  if (!have_v1 && !have_v2) return unexpected{make_error_code(magnet_errc::missing_info_hash)};
  // An all-zero hash parses but names nothing (info_hash_t reads zero as absent).
  if ((have_v1 && !m.info_hash.has_v1()) || (have_v2 && !m.info_hash.has_v2()))
    return unexpected{make_error_code(magnet_errc::bad_info_hash)};
  return m;
}

std::string make_magnet_uri(const magnet_link& m) {
  std::string out = "magnet:?";
  if (m.info_hash.has_v1()) out += "xt=urn:btih:" + m.info_hash.v1.to_hex();
  if (m.info_hash.has_v2()) {
    if (m.info_hash.has_v1()) out += '&';
    out += "xt=urn:btmh:" + std::string(multihash_sha256_prefix) + m.info_hash.v2.to_hex();
  }
  if (!m.name.empty()) {
    out += "&dn=";
    append_encoded(out, m.name);
  }
  for (const auto& t : m.trackers) {
    out += "&tr=";
    append_encoded(out, t);
  }
  for (const auto& w : m.web_seeds) {
    out += "&ws=";
    append_encoded(out, w);
  }
  for (const auto& p : m.peers) {
    out += "&x.pe=";
    const bool v6 = p.host.find(':') != std::string::npos;
    append_encoded(out, v6 ? "[" + p.host + "]:" + std::to_string(p.port)
                           : p.host + ":" + std::to_string(p.port));
  }
  return out;
}

}  // namespace tessera
