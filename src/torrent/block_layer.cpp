#include "torrent/block_layer.hpp"

#include <algorithm>

namespace tessera::detail {

namespace {

std::int64_t blocks_per_piece(std::int64_t piece_length) { return piece_length / block_size; }

}  // namespace

std::optional<hash_request> block_hashes_request(const v2_file_place& f, piece_index p, std::int64_t piece_length) {
  const int height = merkle::tree_height(f.num_blocks);
  if (height == 0) return std::nullopt;
  const std::int64_t bpp = blocks_per_piece(piece_length);
  const std::int64_t first_block = std::int64_t{p.value - f.first_piece.value} * bpp;
  const std::int64_t length = std::min(std::max<std::int64_t>(bpp, 2), std::int64_t{1} << height);
  hash_request r;
  r.pieces_root = f.pieces_root;
  r.base_layer = 0;
  r.index = static_cast<std::int32_t>(first_block - first_block % length);
  r.length = static_cast<std::int32_t>(length);
  r.proof_layers = merkle::log2_exact(length) - 1;  // no uncle: the subtree's top is verified
  return r;
}

std::vector<sha256_hash> piece_blocks_of(const v2_file_place& f, piece_index p, std::int64_t piece_length,
                                         const hash_request& r, std::span<const sha256_hash> base) {
  const std::int64_t bpp = blocks_per_piece(piece_length);
  const std::int64_t first_block = std::int64_t{p.value - f.first_piece.value} * bpp;
  const std::int64_t count = std::min(bpp, f.num_blocks - first_block);
  std::vector<sha256_hash> out;
  for (std::int64_t i = 0; i < count; ++i) {
    const std::int64_t at = first_block + i - r.index;
    if (at < 0 || at >= static_cast<std::int64_t>(base.size())) break;
    out.push_back(base[static_cast<std::size_t>(at)]);
  }
  return out;
}

std::vector<peer_key> blame_blocks(std::span<const sha256_hash> received, std::span<const peer_key> senders,
                                   std::span<const sha256_hash> expected) {
  std::vector<peer_key> out;
  const std::size_t n = std::min({received.size(), senders.size(), expected.size()});
  for (std::size_t i = 0; i < n; ++i) {
    if (received[i] == expected[i]) continue;
    if (std::find(out.begin(), out.end(), senders[i]) == out.end()) out.push_back(senders[i]);
  }
  return out;
}

piece_span pieces_for_block_request(const hash_request& r, std::int64_t num_blocks, int piece_layer) {
  const std::int64_t bpp = std::int64_t{1} << piece_layer;
  const std::int64_t first = std::int64_t{r.index} << r.base_layer;                 // first block covered
  const std::int64_t end = std::min((std::int64_t{r.index} + r.length) << r.base_layer, num_blocks);
  if (end <= first) return {first / bpp, 0};
  const std::int64_t first_piece = first / bpp;
  const std::int64_t last_piece = (end - 1) / bpp;
  return {first_piece, last_piece - first_piece + 1};
}

result<std::vector<sha256_hash>> answer_block_request(const hash_request& r, std::int64_t num_blocks,
                                                      const merkle::tree_layers& tree, std::int64_t first_block,
                                                      std::span<const sha256_hash> blocks) {
  if (auto ec = check_request(r, num_blocks)) return unexpected{ec};
  const int piece_layer = tree.first_layer();
  if (r.base_layer >= piece_layer) return unexpected{make_error_code(hash_errc::unavailable)};
  const std::int64_t known_end = first_block + static_cast<std::int64_t>(blocks.size());
  bool missing = false;
  // A node below the piece layer: the root of its blocks, pad hashes past the file's end.
  const auto node = [&](merkle::node_position pos) -> sha256_hash {
    if (pos.layer >= piece_layer) return tree.node(pos);
    const std::int64_t from = pos.index << pos.layer;
    const std::int64_t width = std::int64_t{1} << pos.layer;
    if (from >= num_blocks) return merkle::pad_hash(pos.layer);
    const std::int64_t to = std::min(from + width, num_blocks);
    if (from < first_block || to > known_end) {
      missing = true;
      return {};
    }
    const auto leaves = blocks.subspan(static_cast<std::size_t>(from - first_block), static_cast<std::size_t>(to - from));
    return pos.layer == 0 ? leaves.front() : merkle::root(leaves, width, 0);
  };
  std::vector<sha256_hash> out;
  out.reserve(static_cast<std::size_t>(r.length + uncle_count(r)));
  for (std::int64_t i = 0; i < r.length; ++i) out.push_back(node({r.base_layer, r.index + i}));
  for (const auto& pos : merkle::proof_uncles(r.base_layer, r.index, r.length, r.proof_layers)) out.push_back(node(pos));
  if (missing) return unexpected{make_error_code(hash_errc::unavailable)};
  return out;
}

}  // namespace tessera::detail
