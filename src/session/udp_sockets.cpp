// The session's UDP sockets per address family (udp_sockets.hpp).
#include "session/udp_sockets.hpp"

#include <spdlog/spdlog.h>

#include "discovery/peer_address.hpp"
#include "session/listen_addresses.hpp"

namespace tessera::detail {

namespace asio = boost::asio;
using udp = asio::ip::udp;

udp_sockets udp_sockets::open(asio::any_io_executor ex, std::string_view listen_interface, std::uint16_t port,
                              const utp_manager_settings& utp) {
  udp_sockets out;
  for (const auto& addr : listen_addresses(listen_interface)) {
    boost::system::error_code ec;
    auto s = udp_socket::open(ex, udp::endpoint(addr, port), utp, ec);
    if (!s && port != 0) {
      spdlog::warn("udp: port {} on {} unavailable ({}); uTP peers cannot reach us there, using another port",
                   port, addr.to_string(), ec.message());
      s = udp_socket::open(ex, udp::endpoint(addr, 0), utp, ec);
    }
    if (!s) {
      spdlog::warn("udp: no socket on {} ({}): no uTP or DHT over {}", addr.to_string(), ec.message(),
                   addr.is_v6() ? "IPv6" : "IPv4");
      continue;
    }
    out.sockets_.push_back(std::move(s));
  }
  return out;
}

std::vector<dht_socket_binding> udp_sockets::dht_bindings() const {
  std::vector<dht_socket_binding> out;
  for (const auto& s : sockets_) {
    std::weak_ptr<udp_socket> weak = s;
    out.push_back({s->local_endpoint(), [weak](std::span<const std::uint8_t> bytes, const udp::endpoint& to) {
                     if (auto self = weak.lock()) (void)self->send_to(bytes, to);
                   }});
  }
  return out;
}

void udp_sockets::set_other_handler(const udp_socket::other_handler& h) {
  for (const auto& s : sockets_) s->set_other_handler(h);
}

void udp_sockets::set_accept_handler(const std::function<void(utp_stream)>& h) {
  for (const auto& s : sockets_) s->utp()->set_accept_handler(h);
}

std::shared_ptr<utp_socket_manager> udp_sockets::utp_for(const asio::ip::address& peer) const {
  const bool v6 = unmapped(peer).is_v6();
  for (const auto& s : sockets_) {
    if (s->local_endpoint().address().is_v6() == v6) return s->utp();
  }
  return nullptr;
}

void udp_sockets::close() {
  for (const auto& s : sockets_) s->close();
  sockets_.clear();
}

}  // namespace tessera::detail
