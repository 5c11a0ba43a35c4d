// BEP 52 `piece layers` (top level of a v2 or hybrid .torrent, outside `info`): for every file
// larger than one piece, the layer of its merkle tree whose nodes each cover one piece, checked
// against the file's `pieces root`. Pure.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "core/bencode.hpp"
#include "core/file_tree.hpp"
#include "tessera/result.hpp"
#include "tessera/types.hpp"

namespace tessera::detail {

/// Piece layers by pieces root. Files with the same content have the same root and share one
/// layer; files of at most one piece have none (their root is their one piece's hash).
using piece_layer_map = std::map<sha256_hash, std::vector<sha256_hash>>;

/// Checks and decodes a bencoded `piece layers` against `files` (parse_file_tree's output) and
/// `piece_length` (a power of two >= 16 KiB; the caller checks it). Each value must be a string
/// of 32 * ceil(length / piece_length) bytes, keyed by the `pieces root` of a file larger than
/// one piece of that length, and its merkle root (merkle::root over the layer, padded with
/// pad_hash(log2(piece_length / 16 KiB)) to the next power of two) must be that pieces root.
/// Errors (metainfo_errc): bad_piece_layers (not a dictionary; a value not a string; a key that
/// is no such file's root; a length that does not match; a file larger than a piece without
/// its layer), piece_layer_mismatch (the layer does not hash up to its root). Each layer is
/// hashed once: time linear in the bytes of `piece_layers`, memory that of its hashes.
result<piece_layer_map> parse_piece_layers(const bvalue& piece_layers, std::span<const v2_file> files,
                                           std::int64_t piece_length);

/// The number of pieces of a file of `length` bytes: ceil(length / piece_length).
inline std::int64_t file_piece_count(std::int64_t length, std::int64_t piece_length) {
  return length / piece_length + (length % piece_length != 0);
}

}  // namespace tessera::detail
