#include "session/lsd_driver.hpp"

#include <spdlog/spdlog.h>

#include "discovery/swarm_hashes.hpp"


namespace tessera::detail {

namespace asio = boost::asio;

std::optional<lsd_driver_settings> lsd_driver_settings_from(const session_settings& s, std::uint16_t port,
                                                            std::string* why) {
  auto off = [why](std::string reason) -> std::optional<lsd_driver_settings> {
    if (why) *why = std::move(reason);
    return std::nullopt;
  };
  if (!s.enable_lsd) return off("turned off");
  lsd_driver_settings d;
  d.listen_port = port != 0 ? port : s.listen_port;
  d.group_port = s.lsd_port;
  if (!s.listen_interface.empty()) {
    boost::system::error_code ec;
    const auto addr = asio::ip::make_address(s.listen_interface, ec);
    if (ec) return off("listen interface " + s.listen_interface + " is not an IP address");
    if (addr.is_v6()) {
      return off("listen interface " + s.listen_interface +
                 " is IPv6: peers on the IPv4 group could not reach it");
    }
    // Only this interface, only IPv4: nothing goes out on any other interface.
    d.interface_v4 = addr.to_v4();
    d.ipv6 = false;
  }
  return d;
}

lsd_driver::lsd_driver(lsd_driver_settings settings, std::shared_ptr<lsd> service)
    : settings_(settings), service_(std::move(service)) {}

lsd_driver::~lsd_driver() { stop(); }

result<std::shared_ptr<lsd_driver>> lsd_driver::start(asio::any_io_executor ex, lsd_driver_settings settings,
                                                      peer_sink sink) {
  lsd_options o;
  o.listen_port = settings.listen_port;
  o.interface_v4 = settings.interface_v4;
  o.ipv6 = settings.ipv6;
  o.group_port = settings.group_port;
  o.log = [](std::string_view text) { spdlog::info("{}", text); };
  auto service = lsd::start(ex, std::move(o),
                            [sink = std::move(sink)](const sha1_hash& ih, const asio::ip::tcp::endpoint& peer) {
                              spdlog::debug("lsd: peer {}:{} for {}", peer.address().to_string(), peer.port(),
                                            ih.to_hex());
                              if (sink) sink(ih, peer);
                            });
  if (!service) return unexpected{service.error()};
  return std::shared_ptr<lsd_driver>(new lsd_driver(settings, std::move(*service)));
}

std::shared_ptr<lsd_driver> lsd_driver::start_for(asio::any_io_executor ex, const session_settings& s,
                                                  std::uint16_t port, peer_sink sink) {
  std::string why;
  auto settings = lsd_driver_settings_from(s, port, &why);
  if (!settings) {
    if (s.enable_lsd) spdlog::info("lsd: off: {}", why);
    return nullptr;
  }
  auto d = start(std::move(ex), *settings, std::move(sink));
  if (!d) {
    spdlog::warn("lsd: disabled, multicast socket failed: {}", d.error().message());
    return nullptr;
  }
  spdlog::info("lsd: on group port {} via {}{}", settings->group_port,
               settings->interface_v4.is_unspecified() ? std::string("the default interface")
                                                       : settings->interface_v4.to_string(),
               (*d)->service_->has_ipv6() ? " (IPv4 and IPv6)" : " (IPv4)");
  return std::move(*d);
}

bool lsd_driver::add_torrent(const torrent_info& ti) {
  if (stopped_) return false;
  // The 20 bytes LSD carries (BEP 14): a hybrid's v1 hash and truncated v2 hash, its two
  // swarms (BEP 52); both go out in the same message while they are due together.
  const auto swarms = swarm_hashes(ti.info_hash());
  if (ti.is_private()) {  // BEP 27: private torrents are never announced
    for (const auto& s : swarms) service_->remove(s.hash);
    return false;
  }
  for (const auto& s : swarms) service_->announce(s.hash);
  return true;
}

void lsd_driver::remove_torrent(const info_hash_t& info_hash) {
  if (stopped_) return;
  for (const auto& s : swarm_hashes(info_hash)) service_->remove(s.hash);
}

void lsd_driver::stop() {
  if (stopped_) return;
  stopped_ = true;
  service_->stop();
}

const lsd_stats& lsd_driver::stats() const { return service_->stats(); }

}  // namespace tessera::detail
