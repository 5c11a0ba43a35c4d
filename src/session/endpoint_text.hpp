// Endpoints written as text by users and magnet links ("x.pe", connect_peer, DHT bootstrap
// nodes): numeric only, so that parsing never resolves a name. Pure.
#pragma once

#include <optional>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>

namespace tessera::detail {

/// Parses "a.b.c.d:port" or "[v6]:port" into an endpoint; nullopt when malformed, when the port
/// is 0 or above 65535, or when the address is not an IP literal.
std::optional<boost::asio::ip::tcp::endpoint> parse_endpoint(std::string_view text);

}  // namespace tessera::detail
