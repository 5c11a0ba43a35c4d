// libFuzzer target for the BEP 52 `file tree` and `piece layers` (core/file_tree,
// core/piece_layers). The input is bencode, decoded with the production metainfo limits; a
// dictionary's `file tree` is flattened, then its `piece layers` checked with `piece length`
// (rounded to a power of two in 16 KiB..2 MiB). An accepted tree must give safe relative paths
// within the limits, unique, roots for every non-empty file, a total that fits; accepted layers
// must hash to their roots and cover exactly the files larger than a piece.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "core/bencode.hpp"
#include "core/file_tree.hpp"
#include "core/merkle.hpp"
#include "core/metainfo_limits.hpp"
#include "core/piece_layers.hpp"
#include "fuzz_support.hpp"
#include "tessera/torrent_info.hpp"

namespace {

bool safe_component(std::string_view c) {
  if (c.empty() || c == "." || c == ".." || c.size() > tessera::max_path_component_bytes) return false;
  for (const char ch : c)
    if (ch == '\\' || ch == '\0' || static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) return false;
  return true;
}

bool safe_path(std::string_view p) {
  if (p.empty() || p.size() > tessera::max_path_bytes) return false;
  std::size_t components = 0;
  std::size_t start = 0;
  while (start <= p.size()) {
    std::size_t end = p.find('/', start);
    if (end == std::string_view::npos) end = p.size();
    if (!safe_component(p.substr(start, end - start))) return false;
    ++components;
    start = end + 1;
  }
  return components <= tessera::max_path_components;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tessera;
  using namespace tessera::detail;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto root = bdecode(in, metainfo_bdecode_limits());
  if (!root || !root->is_dict()) return 0;
  const bvalue* tree = root->find("file tree");
  if (!tree) return 0;
  auto files = parse_file_tree(*tree, max_metainfo_files);
  if (!files) return 0;

  FUZZ_CHECK(!files->empty());
  std::set<std::string> seen;
  std::int64_t total = 0;
  for (const auto& f : *files) {
    FUZZ_CHECK(safe_path(f.path));
    FUZZ_CHECK(seen.insert(f.path).second);
    FUZZ_CHECK(f.length >= 0 && f.length <= INT64_MAX - total);
    total += f.length;
    FUZZ_CHECK((f.length > 0) == !f.pieces_root.is_zero());
  }

  std::int64_t piece_length = 16 * 1024;
  if (const auto* pl = root->find_int("piece length")) piece_length <<= (static_cast<std::uint64_t>(*pl) % 8);
  const bvalue* layers_value = root->find("piece layers");
  if (!layers_value) return 0;
  auto layers = parse_piece_layers(*layers_value, *files, piece_length);
  if (!layers) return 0;
  const int layer_index = merkle::log2_exact(piece_length / block_size);
  std::set<sha256_hash> big;
  for (const auto& f : *files) {
    if (f.length > piece_length) {
      big.insert(f.pieces_root);
      const auto it = layers->find(f.pieces_root);
      FUZZ_CHECK(it != layers->end());
      FUZZ_CHECK(static_cast<std::int64_t>(it->second.size()) == file_piece_count(f.length, piece_length));
    }
  }
  FUZZ_CHECK(big.size() == layers->size());
  for (const auto& [r, layer] : *layers) {
    FUZZ_CHECK(merkle::root(layer, merkle::next_power_of_two(static_cast<std::int64_t>(layer.size())), layer_index) == r);
  }
  return 0;
}
