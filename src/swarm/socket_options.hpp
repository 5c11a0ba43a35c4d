// Socket options of peer connections that Asio has no portable type for.
#pragma once

#include <system_error>

#include <boost/asio/ip/tcp.hpp>

namespace tessera::detail {

/// Sets the IP TOS byte (`tos`, 0..255: DSCP in the upper six bits, ECN in the lower two) of an
/// open socket: IP_TOS on IPv4; IPV6_TCLASS on IPv6, plus IP_TOS so that IPv4-mapped peers of a
/// dual-stack socket are marked too (that second one may fail harmlessly and is ignored).
/// Errors: the setsockopt error (std::errc::bad_file_descriptor when the socket is not open,
/// std::errc::invalid_argument for `tos` outside 0..255).
std::error_code set_traffic_class(boost::asio::ip::tcp::socket& socket, int tos);

}  // namespace tessera::detail
