// Compact endpoints (BEP 11, BEP 23 form, BEP 5/32). Text conversion goes through inet_pton /
// inet_ntop, which are pure libc functions (no socket is opened).
#include "core/compact_peer.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace tessera::detail {

std::string peer_endpoint::address_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (!inet_ntop(v6 ? AF_INET6 : AF_INET, addr.data(), buf, sizeof buf)) return {};
  return buf;
}

std::string peer_endpoint::to_string() const {
  std::string a = address_string();
  std::string p = std::to_string(port);
  return v6 ? "[" + a + "]:" + p : a + ":" + p;
}

std::optional<peer_endpoint> peer_endpoint::from_string(std::string_view s) {
  const auto colon = s.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view host = s.substr(0, colon);
  std::string_view port = s.substr(colon + 1);
  if (port.empty() || port.size() > 5) return std::nullopt;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc{} || end != port.data() + port.size() || value > 65535) return std::nullopt;
  // inet_pton reads a C string: a NUL inside `host` would hide the bytes after it.
  if (host.find('\0') != std::string_view::npos) return std::nullopt;
  peer_endpoint ep;
  ep.port = static_cast<std::uint16_t>(value);
  char text[INET6_ADDRSTRLEN + 1] = {};
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    if (host.size() >= sizeof text) return std::nullopt;
    std::memcpy(text, host.data(), host.size());
    if (inet_pton(AF_INET6, text, ep.addr.data()) != 1) return std::nullopt;
    ep.v6 = true;
    return ep;
  }
  if (host.size() >= sizeof text) return std::nullopt;
  std::memcpy(text, host.data(), host.size());
  if (inet_pton(AF_INET, text, ep.addr.data()) != 1) return std::nullopt;
  return ep;
}

std::optional<peer_endpoint> parse_compact_address(std::string_view raw) {
  if (raw.size() != 4 && raw.size() != 16) return std::nullopt;
  peer_endpoint ep;
  ep.v6 = raw.size() == 16;
  std::memcpy(ep.addr.data(), raw.data(), raw.size());
  return ep;
}

std::optional<peer_endpoint> parse_compact_endpoint(std::string_view raw) {
  if (raw.size() != compact_v4_size && raw.size() != compact_v6_size) return std::nullopt;
  auto ep = parse_compact_address(raw.substr(0, raw.size() - 2));
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data() + raw.size() - 2);
  ep->port = static_cast<std::uint16_t>((p[0] << 8) | p[1]);
  return ep;
}

std::string compact_address(const peer_endpoint& ep) {
  return {reinterpret_cast<const char*>(ep.addr.data()), ep.v6 ? 16u : 4u};
}

void append_compact_endpoint(std::string& out, const peer_endpoint& ep) {
  out += compact_address(ep);
  out.push_back(static_cast<char>(ep.port >> 8));
  out.push_back(static_cast<char>(ep.port & 0xff));
}

}  // namespace tessera::detail
