// Verifying one piece's bytes against the hash a torrent gives for it: SHA-1 for v1 pieces
// (BEP 3), the SHA-256 merkle subtree root for v2 pieces (BEP 52, "piece layers"). Pure; used by
// the data check (disk/check_files) and meant for every other place that checks a whole piece.
//
// Both hashers are incremental so that a piece may arrive in any number of slices (a reader
// whose buffer is smaller than the piece, or a piece spanning files); feed the piece's bytes in
// order, then ask whether they match.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "tessera/hasher.hpp"
#include "tessera/types.hpp"

namespace tessera::detail {

/// A v1 piece: the SHA-1 of its bytes (BEP 3 `pieces`).
class v1_piece_hasher {
 public:
  void update(std::span<const std::uint8_t> bytes) { h_.update(bytes.data(), bytes.size()); }
  /// True when the bytes fed since the last finish() hash to `expected`; resets.
  bool finish(const sha1_hash& expected) { return h_.final() == expected; }

 private:
  sha1_hasher h_;
};

/// What a v2 piece is checked against (BEP 52). For a file larger than one piece: entry
/// `piece_in_file` of the file's piece layer, the root of a subtree of piece_length / 16 KiB
/// leaves (the last piece's missing leaves are zero hashes). For a file of one piece (or less):
/// the file's `pieces root`, the root of a tree as wide as the next power of two of its block
/// count (no piece layer exists for it).
struct v2_piece_target {
  sha256_hash expected;
  bool whole_file = false;  ///< true: `expected` is the pieces root of a one-piece file
};

/// The target of piece `piece_in_file` of a file of `file_size` bytes whose pieces root is
/// `pieces_root` and piece layer `piece_layer` (empty for a file of at most one piece). Null
/// (std::nullopt) when the file is empty, the index is out of range or the layer's length does
/// not match ceil(file_size / piece_length): such a piece cannot be verified.
std::optional<v2_piece_target> v2_target(const sha256_hash& pieces_root,
                                         std::span<const sha256_hash> piece_layer,
                                         std::int64_t file_size, std::int64_t piece_length,
                                         std::int64_t piece_in_file);

/// A v2 piece: its bytes cut into 16 KiB blocks (the last one may be shorter), each hashed with
/// SHA-256, then merkle::piece_root (or, for a whole_file target, merkle::root over the next
/// power of two of the block count). Bytes may be fed in slices of any size. `piece_length` is a
/// power of two >= 16 KiB (the torrent's).
class v2_piece_hasher {
 public:
  explicit v2_piece_hasher(std::int64_t piece_length) : piece_length_(piece_length) {}
  void update(std::span<const std::uint8_t> bytes);
  /// True when the bytes fed since the last finish() hash to `target`; resets. A piece of no
  /// bytes, or of more than piece_length, never matches.
  bool finish(const v2_piece_target& target);

 private:
  std::int64_t piece_length_;
  sha256_hasher block_;
  std::int32_t in_block_ = 0;     // bytes fed into block_
  std::int64_t fed_ = 0;          // bytes of this piece
  std::vector<sha256_hash> blocks_;
};

}  // namespace tessera::detail
