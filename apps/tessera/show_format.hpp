// What `tessera show` prints about a parsed .torrent, as text: pure, so that the v1/v2/hybrid
// cases are unit tested without a file or a terminal.
#pragma once

#include <string>

#include "tessera/torrent_info.hpp"

namespace tessera::cli {

/// The lines of `tessera show` for `ti`, each ending in '\n': name; version (v1, v2, or hybrid
/// with both); the info-hashes it has (v1 as 40 hex digits, v2 as 64); size; pieces; private;
/// comment, creator and date when present; for a v2 torrent whether the piece layers are
/// present; the files with their index (what `download --select` takes), size and path, padding
/// files marked, and under each non-empty file of a v2 torrent its pieces root; the trackers and
/// web seeds. Every string from the torrent goes through printable().
std::string describe_torrent(const torrent_info& ti);

}  // namespace tessera::cli
