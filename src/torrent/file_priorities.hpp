// File priorities to piece priorities: a pure function of the priorities and the file layout.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "tessera/file_priority.hpp"
#include "tessera/torrent_info.hpp"

namespace tessera::detail {

/// One priority per file of `ti` (metainfo order): `given` extended with file_priority::normal
/// when shorter, cut when longer, values above 7 clamped to 7. Padding files (BEP 47) always get
/// `skip`: they are never downloaded as files.
std::vector<file_priority> normalize_file_priorities(const torrent_info& ti,
                                                     std::span<const file_priority> given);

/// The priority (0..7) of each piece of `ti`: the highest priority of the non-padding files it
/// overlaps, so a piece shared by a skipped file and a wanted one is wanted. A piece that
/// overlaps only padding or zero-length files gets normal (it must still be verified to finish).
/// `files` must hold one priority per file (see normalize_file_priorities).
/// With `first_last_first`, the first and the last piece of every wanted (priority > 0,
/// non-empty, non-padding) file get the highest priority, 7, so that a media file's headers and
/// index arrive early (previewing).
std::vector<std::uint8_t> piece_priorities_from_files(const torrent_info& ti,
                                                      std::span<const file_priority> files,
                                                      bool first_last_first);

/// Per file of `ti`: true when its priority is skip (padding files included).
std::vector<bool> skipped_files(std::span<const file_priority> files);

}  // namespace tessera::detail
