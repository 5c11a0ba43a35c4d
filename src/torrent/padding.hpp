// BEP 47 padding files: their bytes are in the torrent's byte stream and piece hashes but are not
// payload, so sizes and progress shown to users leave them out.
#pragma once

#include <cstdint>
#include <vector>

#include "tessera/torrent_info.hpp"

namespace tessera::detail {

/// Bytes of padding files inside each piece (index = piece index). Empty when the torrent has no
/// padding file (the common case: callers then treat every piece as all payload).
std::vector<std::int32_t> padding_per_piece(const torrent_info& ti);

/// Total size of the non-padding files, in bytes.
std::int64_t payload_size(const torrent_info& ti);

}  // namespace tessera::detail
