#include "swarm/socket_options.hpp"

#include <cerrno>

#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/socket.h>

namespace tessera::detail {

std::error_code set_traffic_class(boost::asio::ip::tcp::socket& socket, int tos) {
  if (tos < 0 || tos > 255) return std::make_error_code(std::errc::invalid_argument);
  if (!socket.is_open()) return std::make_error_code(std::errc::bad_file_descriptor);
  const int fd = socket.native_handle();
  // The family of the socket itself (an open, unbound socket has one too).
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return {errno, std::generic_category()};
  const bool v6 = addr.ss_family == AF_INET6;
  if (v6) {
    if (::setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof tos) != 0) {
      return {errno, std::generic_category()};
    }
    (void)::setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof tos);  // IPv4-mapped traffic
    return {};
  }
  if (::setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof tos) != 0) return {errno, std::generic_category()};
  return {};
}

}  // namespace tessera::detail
