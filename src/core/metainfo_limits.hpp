// The decoder limits of .torrent parsing (metainfo.cpp), declared apart so that the fuzz targets
// run the decoder with exactly the limits production uses instead of copies of the numbers.
#pragma once

#include <cstddef>

#include "core/bencode.hpp"

namespace tessera::detail {

/// Largest .torrent (or fetched info dictionary) parse_torrent accepts: 10 MiB.
inline constexpr std::size_t max_metainfo_bytes = 10 * 1024 * 1024;
/// Most entries of `files` parse_torrent accepts.
inline constexpr std::size_t max_metainfo_files = 1'000'000;

/// The bencode limits of parse_torrent: nesting depth 100, at most 4,000,000 values (the most
/// permissive limits any parser of tessera uses).
bdecode_limits metainfo_bdecode_limits();

}  // namespace tessera::detail
