#include "discovery/tracker_parse.hpp"

#include <algorithm>
#include <array>

namespace tessera::detail {

namespace ip = boost::asio::ip;

std::chrono::seconds clamp_tracker_interval(std::int64_t seconds) {
  return std::chrono::seconds(std::clamp<std::int64_t>(seconds, tracker_min_interval_floor.count(),
                                                       tracker_interval_ceiling.count()));
}

std::chrono::seconds clamp_tracker_min_interval(std::int64_t seconds) {
  return std::chrono::seconds(std::clamp<std::int64_t>(seconds, 0, tracker_interval_ceiling.count()));
}

void append_peer(const ip::tcp::endpoint& ep, std::vector<ip::tcp::endpoint>& out) {
  if (ep.port() == 0 || ep.address().is_unspecified()) return;
  // Peer lists are at most a few hundred entries: a linear scan is cheaper than a set.
  if (std::find(out.begin(), out.end(), ep) != out.end()) return;
  out.push_back(ep);
}

bool append_compact_peers(std::string_view bytes, std::size_t stride,
                          std::vector<ip::tcp::endpoint>& out) {
  if (stride != 6 && stride != 18) return false;
  if (bytes.size() % stride != 0) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  for (std::size_t off = 0; off < bytes.size(); off += stride) {
    const unsigned char* e = p + off;
    ip::address addr;
    if (stride == 6) {
      addr = ip::address_v4(ip::address_v4::bytes_type{e[0], e[1], e[2], e[3]});
    } else {
      ip::address_v6::bytes_type b;
      std::copy(e, e + 16, b.begin());
      addr = ip::address_v6(b);
    }
    const auto port = static_cast<std::uint16_t>((e[stride - 2] << 8) | e[stride - 1]);
    append_peer(ip::tcp::endpoint(addr, port), out);
  }
  return true;
}

std::string percent_encode(std::string_view bytes) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(bytes.size() * 3);
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace tessera::detail
