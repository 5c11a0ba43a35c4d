#include "torrent/host_counts.hpp"

namespace tessera::detail {

namespace ip = boost::asio::ip;

ip::address host_address(const ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return ip::make_address_v4(ip::v4_mapped, a.to_v6());
  return a;
}

subnet_key subnet_of(const ip::address& a) {
  const ip::address h = host_address(a);
  subnet_key k;
  if (h.is_v4()) {
    const auto b = h.to_v4().to_bytes();
    for (int i = 0; i < 3; ++i) k.prefix[i] = b[i];
  } else {
    k.v6 = true;
    const auto b = h.to_v6().to_bytes();
    for (int i = 0; i < 8; ++i) k.prefix[i] = b[i];
  }
  return k;
}

void host_counts::add(const ip::address& a) {
  ++hosts_[host_address(a)];
  ++subnets_[subnet_of(a)];
  ++total_;
}

void host_counts::remove(const ip::address& a) {
  auto h = hosts_.find(host_address(a));
  if (h == hosts_.end()) return;
  if (--h->second == 0) hosts_.erase(h);
  auto s = subnets_.find(subnet_of(a));
  if (s != subnets_.end() && --s->second == 0) subnets_.erase(s);
  --total_;
}

int host_counts::on_host(const ip::address& a) const {
  auto it = hosts_.find(host_address(a));
  return it == hosts_.end() ? 0 : it->second;
}

int host_counts::on_subnet(const ip::address& a) const {
  auto it = subnets_.find(subnet_of(a));
  return it == subnets_.end() ? 0 : it->second;
}

bool host_counts::has_room(const ip::address& a, int per_host, int per_subnet) const {
  if (per_host > 0 && on_host(a) >= per_host) return false;
  if (per_subnet > 0 && on_subnet(a) >= per_subnet) return false;
  return true;
}

}  // namespace tessera::detail
