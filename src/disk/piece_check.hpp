// One whole piece checked against what the torrent says of it: v1's SHA-1 (BEP 3), v2's SHA-256
// merkle root of the file's blocks (BEP 52), or both for a hybrid torrent. Used by the disk pool
// for downloaded pieces (disk_io::async_hash_and_write) and the start-up check. Pure; any thread.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/v2_hash_store.hpp"
#include "tessera/hasher.hpp"
#include "tessera/torrent_info.hpp"

namespace tessera::detail {

/// Whether `data`, the whole of piece `p` (torrent_info::piece_size bytes; the caller checks),
/// is right:
/// - a v1 torrent: its SHA-1 is piece_hashes[p];
/// - a v2-only torrent: `v2` is known, the first v2->file_bytes bytes hash to v2->target
///   (core/piece_verify), and the rest (layout padding) is zeros;
/// - a hybrid: the SHA-1 matches, and, when `v2` is known, so does the v2 target (a piece whose
///   two hashes disagree fails: the torrent is bad). Without `v2` (a hybrid magnet before its
///   layers) the SHA-1 alone decides.
/// A v2-only piece without `v2` never passes (nothing to verify it against).
bool piece_matches(const torrent_info& ti, piece_index p, std::span<const std::uint8_t> data,
                   const std::optional<v2_piece_check>& v2);

/// The digest of each 16 KiB block of `bytes` (the last may be shorter), one `Hasher` reset by
/// each final(), so no allocation per block: with sha1_hasher, the block hashes the smart ban
/// compares; with sha256_hasher over a v2 piece's file bytes, its leaf hashes, which peers'
/// `hashes` replies (base layer 0) are compared with to blame one block, and which a seeder sends.
template <class Hasher>
auto block_hashes(std::span<const std::uint8_t> bytes) {
  Hasher hasher;
  std::vector<decltype(hasher.final())> out;
  out.reserve((bytes.size() + block_size - 1) / block_size);
  for (std::size_t at = 0; at < bytes.size(); at += block_size) {
    const std::size_t n = std::min<std::size_t>(block_size, bytes.size() - at);
    out.push_back(hasher.update(bytes.data() + at, n).final());
  }
  return out;
}

}  // namespace tessera::detail
