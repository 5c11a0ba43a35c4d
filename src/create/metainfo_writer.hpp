// The bencoded .torrent of a torrent being created: the info dictionary (v1 `pieces`/`files`,
// v2 `file tree`, or both), `piece layers`, trackers, web seeds. Pure.
#pragma once

#include <string>

#include "create/piece_hashing.hpp"
#include "create/torrent_layout.hpp"
#include "tessera/create_torrent.hpp"

namespace tessera::detail {

/// The encoded torrent and its info-hashes.
struct written_torrent {
  std::string bytes;
  info_hash_t info_hashes;
};

/// Encodes the torrent named `name` (single_file: `length` and a one-entry file tree instead of
/// `files` and folders) from its layout and hashes, with params' trackers, web seeds, private
/// flag, comment, source, creator and `creation_date` (seconds; negative: none). `creator` is
/// written when non-empty.
written_torrent write_metainfo(const create_torrent_params& params, const std::string& name, bool single_file,
                               const torrent_layout& layout, const hash_result& hashes, const std::string& creator,
                               std::int64_t creation_date);

}  // namespace tessera::detail
