// BEP 52 piece layers: each layer's length from its file's size, then its root from the layer.
#include "core/piece_layers.hpp"

#include "core/merkle.hpp"
#include "tessera/torrent_info.hpp"

namespace tessera::detail {

result<piece_layer_map> parse_piece_layers(const bvalue& piece_layers, std::span<const v2_file> files,
                                           std::int64_t piece_length) {
  const auto fail = [](metainfo_errc e) { return unexpected{make_error_code(e)}; };
  if (!piece_layers.is_dict()) return fail(metainfo_errc::bad_piece_layers);
  // The length each root's layer must have; two files with one root have one length (the same
  // content), else one of the two roots is wrong and so is the layer for it.
  std::map<sha256_hash, std::int64_t> wanted;
  for (const auto& f : files) {
    if (f.length <= piece_length) continue;
    auto [it, added] = wanted.emplace(f.pieces_root, f.length);
    if (!added && it->second != f.length) return fail(metainfo_errc::bad_piece_layers);
  }
  piece_layer_map out;
  for (const auto& [key, value] : piece_layers.as_dict()) {
    const auto root = sha256_hash::from_bytes(key);
    if (!root || !value.is_string()) return fail(metainfo_errc::bad_piece_layers);
    const auto it = wanted.find(*root);
    if (it == wanted.end()) return fail(metainfo_errc::bad_piece_layers);
    const std::int64_t pieces = file_piece_count(it->second, piece_length);
    const std::string& bytes = value.as_string();
    // pieces <= 2^49 (a length below 2^63 over at least 2^14), so 32 * pieces cannot overflow.
    if (static_cast<std::int64_t>(bytes.size()) != 32 * pieces) return fail(metainfo_errc::bad_piece_layers);
    std::vector<sha256_hash> layer;
    layer.reserve(static_cast<std::size_t>(pieces));
    for (std::size_t i = 0; i < bytes.size(); i += 32)
      layer.push_back(*sha256_hash::from_bytes(std::string_view(bytes).substr(i, 32)));
    if (merkle::piece_layer_root(layer, piece_length) != *root)
      return fail(metainfo_errc::piece_layer_mismatch);
    out.emplace(*root, std::move(layer));
  }
  if (out.size() != wanted.size()) return fail(metainfo_errc::bad_piece_layers);
  return out;
}

}  // namespace tessera::detail
