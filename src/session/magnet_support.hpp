// Session-side support for torrents added from magnet links (BEP 9): the stand-in metainfo a
// torrent runs on until its metadata arrives, and saving the fetched .torrent.
#pragma once

#include <memory>
#include <string>

#include "tessera/session.hpp"

namespace tessera::detail {

/// A torrent_info holding only what a magnet gives: the info-hash, the name (`params.name`, or
/// the info-hash in hex when empty) and the trackers (one tier each). No pieces, no files.
std::shared_ptr<const torrent_info> magnet_stand_in(const add_torrent_params& params);

/// Writes `torrent_file` as `<dir>/<info_hash.to_hex()>.torrent` atomically (temporary file, fsync,
/// rename), creating `dir` when missing. Does nothing when `dir` is empty; failures are logged
/// (the download goes on without the saved copy). Blocking: a small file.
void save_torrent_file(const std::string& dir, const info_hash_t& info_hash, const std::string& torrent_file);

}  // namespace tessera::detail
