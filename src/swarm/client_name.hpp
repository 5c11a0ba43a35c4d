// A readable client name from a BEP 3 peer id (BEP 20 conventions, as clients use them).
#pragma once

#include <string>

#include "tessera/types.hpp"

namespace tessera::detail {

/// Azureus style "-XX1234-...": "<name> 1234", where a few known codes are spelled out
/// (LT libtorrent, TR Transmission, qB qBittorrent, DE Deluge, UT uTorrent, TS tessera) and
/// other codes stay as the two letters ("-XY1234-" -> "XY 1234"). aria2's "A2-1-36-0-" ->
/// "aria2 1.36.0". Anything else: the hex of the first 8 bytes. Never throws for any input.
std::string client_name_from_peer_id(const peer_id& id);

}  // namespace tessera::detail
