// The addresses named by session_settings::listen_interface, for the services that bind one
// socket per address family (the DHT, BEP 32). Pure: text in, addresses out, nothing resolved.
#pragma once

#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

namespace tessera::detail {

/// "" means every address of both families: {0.0.0.0, ::}. Otherwise a comma-separated list of
/// IP literals ("127.0.0.1", "::1", "0.0.0.0,::", "127.0.0.1, ::1"; spaces around entries are
/// ignored, an IPv6 literal may be bracketed). Keeps the first address of each family, IPv4
/// first; entries that are not IP literals are skipped. Empty when no entry is usable.
std::vector<boost::asio::ip::address> listen_addresses(std::string_view listen_interface);

}  // namespace tessera::detail
