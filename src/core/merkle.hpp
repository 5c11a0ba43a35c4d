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

/// A file's pieces root from its piece layer (one hash per piece, more than one piece): the
/// layer padded with zero-piece subtrees to the next power of two, hashed up to the root.
sha256_hash piece_layer_root(std::span<const sha256_hash> piece_layer, std::int64_t piece_length);

// --- Proofs (BEP 52 `hashes` messages) ---------------------------------------------------------
//
// A file of `blocks` 16 KiB blocks has a tree of next_power_of_two(blocks) leaves, `height` =
// log2 of that many layers above the leaves; the root is the one node of layer `height`. A
// `hash request` names `length` (a power of two >= 2) nodes of layer `base` starting at `index`
// (a multiple of length): they are the bottom of a subtree whose top is at layer base +
// log2(length). Its `proof layers` P count the layers above the base, base + 1 .. base + P, and
// a proof layer whose nodes the base hashes already give is left out (the first log2(length) - 1
// of them); from the subtree's top upwards each proof layer adds one uncle: the sibling of the
// requested range's ancestor there. So a reply carries length + max(0, P - log2(length) + 1)
// hashes, the uncles lowest layer first, and the highest uncle is at layer base + P, which must be
// below the root. (libtorrent 2.0.8, asked over the wire, answers exactly these counts and nodes.)

/// log2(next_power_of_two(blocks)): the layer of a file's root above its leaves (0 for a file of
/// one block). `blocks` in 1..2^49.
int tree_height(std::int64_t blocks);

/// A node of a file's tree: its layer (0 = the leaves, one per block) and its index in the layer.
struct node_position {
  int layer = 0;
  std::int64_t index = 0;
  auto operator<=>(const node_position&) const = default;
};

/// The uncles, lowest first, that prove `length` nodes of layer `base` from `index` with
/// `proof_layers` proof layers (see above): one per layer base + log2(length) .. base +
/// proof_layers. The caller has checked the request (length a power of two >= 2, index a
/// multiple of it, base + proof_layers below the root).
std::vector<node_position> proof_uncles(int base, std::int64_t index, std::int64_t length, int proof_layers);

/// Where a proof leads: the node the base hashes and the uncles hash up to, and its hash.
struct proof_top {
  node_position position;
  sha256_hash hash;
};

/// Hashes `base_hashes` (a power of two of them, >= 2, at layer `base` from `index`) up to the
/// top of their subtree, then up with each of `uncles` in turn (as proof_uncles orders them). The
/// caller compares the result with the root, or with a node it has already verified.
proof_top fold_proof(std::span<const sha256_hash> base_hashes, int base, std::int64_t index,
                     std::span<const sha256_hash> uncles);

/// Every layer of one file's tree from a known layer up to the root: what a seeder answers
/// hash requests from (built from the block hashes, or from the piece layer of the .torrent).
/// Keeps only the nodes that cover file data (a layer of n nodes has ceil(n/2) parents); any
/// node beyond them is pad_hash(layer). Memory: twice the known layer. Immutable; any thread.
class tree_layers {
 public:
  /// `nodes` are layer `first_layer` of a tree `height` high (nodes.size() in 1..2^(height -
  /// first_layer), first_layer <= height). Throws std::invalid_argument otherwise.
  tree_layers(std::span<const sha256_hash> nodes, int first_layer, int height);

  int first_layer() const { return first_layer_; }  ///< the lowest layer held
  int height() const { return first_layer_ + static_cast<int>(layers_.size()) - 1; }  ///< the root's layer
  const sha256_hash& root() const { return layers_.back().front(); }  ///< the file's pieces root
  /// The node at `p`: p.layer in first_layer()..height(), p.index in 0..2^(height - layer) - 1
  /// (pad_hash(p.layer) past the file's data). Throws std::out_of_range outside the tree.
  sha256_hash node(node_position p) const;

 private:
  int first_layer_;
  std::vector<std::vector<sha256_hash>> layers_;  // [0] = first_layer_, back() = the root
};

}  // namespace tessera::merkle
