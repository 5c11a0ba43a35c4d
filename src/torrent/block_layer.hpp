// The block layer (layer 0, one SHA-256 per 16 KiB block) of a v2 file's merkle tree, around one
// piece: the `hash request` that fetches a piece's block hashes proved up to its piece-layer node
// (per-block blame after a failed piece: BEP 52 verification is per block, so the block that
// differs names its sender), the blame itself, and the seeder's answer to a request below the
// piece layer from the block hashes of pieces read back from disk. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/hash_messages.hpp"
#include "core/merkle.hpp"
#include "core/piece_picker.hpp"
#include "core/v2_hash_store.hpp"

namespace tessera::detail {

/// The request for the block hashes of piece `p` of file `f` (p inside f): `length` = the
/// piece's blocks (at least 2, at most the tree's width), aligned, with the proof layers that
/// fold them up to the piece's node in the piece layer (or the node above it for pieces of one
/// block, or the file's root for a file of one piece): no uncle, the top a verified node.
/// nullopt for a file of one block, whose pieces root is its block's hash.
std::optional<hash_request> block_hashes_request(const v2_file_place& f, piece_index p, std::int64_t piece_length);

/// The verified hashes of piece `p`'s blocks (ceil(its file bytes / 16 KiB) of them) out of
/// `base`, the base hashes of a verified reply to block_hashes_request(f, p, piece_length).
std::vector<sha256_hash> piece_blocks_of(const v2_file_place& f, piece_index p, std::int64_t piece_length,
                                         const hash_request& r, std::span<const sha256_hash> base);

/// The senders of the blocks whose received hash (`received[i]`, block i of the piece, sent by
/// `senders[i]`) differs from the verified one (`expected[i]`); each sender once, in block order.
/// Blocks beyond the shortest span prove nothing.
std::vector<peer_key> blame_blocks(std::span<const sha256_hash> received, std::span<const peer_key> senders,
                                   std::span<const sha256_hash> expected);

/// The file's pieces (indexes inside the file) whose blocks answer `r`, a request below the
/// piece layer `piece_layer` of a file of `num_blocks` blocks: those its base range covers
/// (clipped to the file), which also hold every uncle below the piece layer. {first, count}.
struct piece_span {
  std::int64_t first = 0;
  std::int64_t count = 0;
};
piece_span pieces_for_block_request(const hash_request& r, std::int64_t num_blocks, int piece_layer);

/// The answer to `r` (base layer below the piece layer) for a file of `num_blocks` blocks:
/// base hashes and uncles computed from `blocks`, the block hashes of the file from block
/// `first_block` (the pieces pieces_for_block_request named), and, for uncles at or above the
/// piece layer, `tree` (the file's tree from its piece layer, v2_hash_store::tree). Errors:
/// check_request's, hash_errc::unavailable when a needed block is not in `blocks`.
result<std::vector<sha256_hash>> answer_block_request(const hash_request& r, std::int64_t num_blocks,
                                                      const merkle::tree_layers& tree, std::int64_t first_block,
                                                      std::span<const sha256_hash> blocks);

}  // namespace tessera::detail
