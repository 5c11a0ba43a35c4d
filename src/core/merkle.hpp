// SHA-256 merkle trees of BEP 52 ("pieces root" and "piece layers"): pure functions over hashes.
//
// A file's tree has one leaf per 16 KiB block (the SHA-256 of the block; the last block may be
// shorter and is hashed as it is), padded with zero hashes (32 zero bytes) to the next power of
// two; each node above is SHA-256(left || right). Layer 0 is the leaves, layer k holds nodes that
// cover 2^k blocks; the root is the one node of the top layer. The piece layer is the layer whose
// nodes cover one piece (piece_length / 16 KiB blocks), cut to the file's piece count.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "tessera/types.hpp"

namespace tessera::merkle {

/// The smallest power of two >= n (1 for n <= 1). n must be at most 2^30.
std::int64_t next_power_of_two(std::int64_t n);

/// log2 of a power of two `n` (n > 0).
int log2_exact(std::int64_t n);

/// SHA-256(left || right): the parent of two nodes.
sha256_hash parent(const sha256_hash& left, const sha256_hash& right);

/// The node at layer `layer` of a subtree made only of zero leaves: the zero hash at layer 0,
/// parent(pad(k-1), pad(k-1)) above. `layer` in 0..63 (cached; any thread).
const sha256_hash& pad_hash(int layer);

/// The layer above `layer`, whose nodes are at layer `layer_index`: pairs hashed together, a
/// missing right sibling taken as pad_hash(layer_index). An empty input gives an empty output.
std::vector<sha256_hash> parent_layer(std::span<const sha256_hash> layer, int layer_index);

/// The root over `nodes` taken as layer `layer_index` of a tree `width` nodes wide at that layer
/// (a power of two >= nodes.size()), the missing nodes being pad_hash(layer_index).
/// An empty `nodes` gives pad_hash(layer_index + log2(width)).
sha256_hash root(std::span<const sha256_hash> nodes, std::int64_t width, int layer_index = 0);

/// What a torrent stores for one file (BEP 52): its `pieces root`, and its piece layer (empty when
/// the file is not larger than one piece, which then needs none).
struct file_tree_hashes {
  sha256_hash pieces_root;                ///< zero for an empty file (it has no `pieces root`)
  std::vector<sha256_hash> piece_layer;   ///< one hash per piece, or empty
};

/// Builds the root and piece layer of a file of `file_size` bytes from its block hashes (one per
/// 16 KiB block, `block_hashes.size()` == ceil(file_size / 16 KiB)). `piece_length` is a power of
/// two >= 16 KiB. Throws std::invalid_argument when the count or the piece length is wrong.
file_tree_hashes hash_file(std::span<const sha256_hash> block_hashes, std::int64_t file_size,
                           std::int64_t piece_length);

/// The hash of one piece of a file from the hashes of its blocks (the subtree root, padded with
/// zero leaves to piece_length / 16 KiB): what the piece layer holds for it.
sha256_hash piece_root(std::span<const sha256_hash> block_hashes, std::int64_t piece_length);

}  // namespace tessera::merkle
