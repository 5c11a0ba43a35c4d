// Base64 (RFC 4648, standard alphabet, with padding) for the RPC client: a .torrent sent as
// torrent-add's `metainfo`, and HTTP basic credentials.
#pragma once

#include <string>
#include <string_view>

namespace tessera::cli {

/// `data` in base64, no line breaks. Pure; any thread.
std::string base64_encode(std::string_view data);

}  // namespace tessera::cli
