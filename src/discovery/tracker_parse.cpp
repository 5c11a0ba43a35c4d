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

std::size_t reply_peer_collector::endpoint_hash::operator()(const ip::tcp::endpoint& ep) const noexcept {
  // FNV-1a over the address bytes and the port: cheap, and a tracker choosing colliding
  // addresses gains nothing since at most `cap` entries are ever stored.
  std::uint64_t h = 0xcbf29ce484222325ULL;
  auto mix = [&h](unsigned char c) {
    h ^= c;
    h *= 0x100000001b3ULL;
  };
  if (ep.address().is_v4()) {
    for (unsigned char c : ep.address().to_v4().to_bytes()) mix(c);
  } else {
    for (unsigned char c : ep.address().to_v6().to_bytes()) mix(c);
  }
  mix(static_cast<unsigned char>(ep.port() >> 8));
  mix(static_cast<unsigned char>(ep.port()));
  return static_cast<std::size_t>(h);
}

reply_peer_collector::reply_peer_collector(std::vector<ip::tcp::endpoint>& out, std::size_t cap)
    : out_(out), cap_(cap) {
  seen_.insert(out_.begin(), out_.end());
}

void reply_peer_collector::add(const ip::tcp::endpoint& ep) {
  if (full()) return;
  if (ep.port() == 0 || ep.address().is_unspecified()) return;
  if (!seen_.insert(ep).second) return;
  out_.push_back(ep);
}

bool append_compact_peers(std::string_view bytes, std::size_t stride, reply_peer_collector& out) {
  if (stride != 6 && stride != 18) return false;
  if (bytes.size() % stride != 0) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  for (std::size_t off = 0; off < bytes.size() && !out.full(); off += stride) {
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
    out.add(ip::tcp::endpoint(addr, port));
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
