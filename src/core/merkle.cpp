#include "core/merkle.hpp"

#include <array>
#include <bit>
#include <stdexcept>

#include "tessera/hasher.hpp"

namespace tessera::merkle {

std::int64_t next_power_of_two(std::int64_t n) {
  if (n <= 1) return 1;
  return static_cast<std::int64_t>(std::bit_ceil(static_cast<std::uint64_t>(n)));
}

int log2_exact(std::int64_t n) { return std::countr_zero(static_cast<std::uint64_t>(n)); }

sha256_hash parent(const sha256_hash& left, const sha256_hash& right) {
  std::array<std::uint8_t, 64> both;
  std::copy(left.bytes.begin(), left.bytes.end(), both.begin());
  std::copy(right.bytes.begin(), right.bytes.end(), both.begin() + 32);
  // One hasher per thread: a one-shot digest would set up an OpenSSL context per node.
  thread_local sha256_hasher hasher;
  return hasher.update(std::as_bytes(std::span(both))).final();
}

const sha256_hash& pad_hash(int layer) {
  static const std::array<sha256_hash, 64> pads = [] {
    std::array<sha256_hash, 64> p{};
    for (std::size_t i = 1; i < p.size(); ++i) p[i] = parent(p[i - 1], p[i - 1]);
    return p;
  }();
  return pads.at(static_cast<std::size_t>(layer));
}

std::vector<sha256_hash> parent_layer(std::span<const sha256_hash> layer, int layer_index) {
  std::vector<sha256_hash> out;
  out.reserve((layer.size() + 1) / 2);
  for (std::size_t i = 0; i < layer.size(); i += 2) {
    out.push_back(parent(layer[i], i + 1 < layer.size() ? layer[i + 1] : pad_hash(layer_index)));
  }
  return out;
}

sha256_hash root(std::span<const sha256_hash> nodes, std::int64_t width, int layer_index) {
  const int height = log2_exact(width);
  if (nodes.empty()) return pad_hash(layer_index + height);
  std::vector<sha256_hash> layer(nodes.begin(), nodes.end());
  for (int k = 0; k < height; ++k) layer = parent_layer(layer, layer_index + k);
  return layer.front();
}

sha256_hash piece_root(std::span<const sha256_hash> block_hashes, std::int64_t piece_length) {
  return root(block_hashes, piece_length / block_size);
}

sha256_hash piece_layer_root(std::span<const sha256_hash> piece_layer, std::int64_t piece_length) {
  return root(piece_layer, next_power_of_two(static_cast<std::int64_t>(piece_layer.size())),
              log2_exact(piece_length / block_size));
}

file_tree_hashes hash_file(std::span<const sha256_hash> block_hashes, std::int64_t file_size,
                           std::int64_t piece_length) {
  if (piece_length < block_size || !std::has_single_bit(static_cast<std::uint64_t>(piece_length))) {
    throw std::invalid_argument("merkle::hash_file: piece length is not a power of two >= 16 KiB");
  }
  const std::int64_t blocks = (file_size + block_size - 1) / block_size;
  if (file_size < 0 || static_cast<std::int64_t>(block_hashes.size()) != blocks) {
    throw std::invalid_argument("merkle::hash_file: block hash count does not match the file size");
  }
  file_tree_hashes out;
  if (file_size == 0) return out;
  const int piece_layer_index = log2_exact(piece_length / block_size);
  const int height = tree_height(blocks);
  std::vector<sha256_hash> layer(block_hashes.begin(), block_hashes.end());
  for (int k = 0; k < height; ++k) {
    if (k == piece_layer_index && file_size > piece_length) out.piece_layer = layer;
    layer = parent_layer(layer, k);
  }
  out.pieces_root = layer.front();
  return out;
}

int tree_height(std::int64_t blocks) { return log2_exact(next_power_of_two(blocks)); }

std::vector<node_position> proof_uncles(int base, std::int64_t index, std::int64_t length, int proof_layers) {
  const int k = log2_exact(length);
  std::vector<node_position> out;
  for (int layer = base + k; layer <= base + proof_layers; ++layer) {
    const std::int64_t ancestor = index >> (layer - base);
    out.push_back({layer, ancestor ^ 1});
  }
  return out;
}

proof_top fold_proof(std::span<const sha256_hash> base_hashes, int base, std::int64_t index,
                     std::span<const sha256_hash> uncles) {
  const auto length = static_cast<std::int64_t>(base_hashes.size());
  const int k = log2_exact(length);
  proof_top top{{base + k, index >> k}, root(base_hashes, length, base)};
  for (const auto& uncle : uncles) {
    top.hash = (top.position.index & 1) == 0 ? parent(top.hash, uncle) : parent(uncle, top.hash);
    top.position = {top.position.layer + 1, top.position.index >> 1};
  }
  return top;
}

tree_layers::tree_layers(std::span<const sha256_hash> nodes, int first_layer, int height)
    : first_layer_(first_layer) {
  if (first_layer < 0 || height < first_layer || height - first_layer > 62 || nodes.empty() ||
      static_cast<std::int64_t>(nodes.size()) > (std::int64_t{1} << (height - first_layer))) {
    throw std::invalid_argument("merkle::tree_layers: nodes do not fit the tree");
  }
  layers_.emplace_back(nodes.begin(), nodes.end());
  for (int layer = first_layer; layer < height; ++layer) layers_.push_back(parent_layer(layers_.back(), layer));
}

sha256_hash tree_layers::node(node_position p) const {
  if (p.layer < first_layer_ || p.layer > height() || p.index < 0 ||
      p.index >= (std::int64_t{1} << (height() - p.layer))) {
    throw std::out_of_range("merkle::tree_layers::node: outside the tree");
  }
  const auto& layer = layers_[static_cast<std::size_t>(p.layer - first_layer_)];
  return p.index < static_cast<std::int64_t>(layer.size()) ? layer[static_cast<std::size_t>(p.index)]
                                                           : pad_hash(p.layer);
}

}  // namespace tessera::merkle
