// BEP 52 `file tree` (info dictionary of a v2 or hybrid .torrent): the nested dictionaries of path
// components flattened into the list of files, in the order of the tree. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/bencode.hpp"
#include "tessera/result.hpp"
#include "tessera/types.hpp"

namespace tessera::detail {

/// One file of a v2 file tree.
struct v2_file {
  /// Path below the tree's root, components joined by '/'. Each component is checked and
  /// sanitised as a v1 path component (core/path_component.hpp: "", ".", "..", '/', '\\' and NUL
  /// refused; control characters, bidirectional marks and invalid UTF-8 replaced by '_'; longer
  /// than 255 bytes truncated). At least one and at most max_path_components components, at
  /// most max_path_bytes in all.
  std::string path;
  std::int64_t length = 0;  ///< bytes, >= 0
  /// The file's merkle root (BEP 52 `pieces root`): required for a non-empty file, zero for an
  /// empty one (which has none; one given for an empty file is ignored).
  sha256_hash pieces_root;
  /// BEP 47 `attr` as written (e.g. "x", "h", "p"), empty when absent; raw bytes.
  std::string attr;
};

/// Most bytes of all the paths parse_file_tree returns, together. A tree shares its folders'
/// names between the files beneath them, so its paths can be far longer than its bencode (100
/// folders of 40 bytes over 100,000 one-line files): the budget keeps memory bounded.
inline constexpr std::size_t max_file_tree_path_bytes = std::size_t{256} << 20;

/// Flattens a bencoded `file tree` into its files, in the tree's order (dictionary keys sorted
/// as raw bytes, which is the order BEP 52 maps files into the piece space). A key "" holds a
/// file's properties; a node holding "" must hold nothing else, and the root must not be a
/// file. Errors (metainfo_errc): bad_file_tree (shape; also a tree with no file), bad_length
/// (missing, negative, or a total above INT64_MAX), bad_pieces_root (missing, not 32 bytes, or all zeros), bad_path (a component
/// refused), path_too_deep (more than max_path_components components; the walk goes no deeper),
/// path_too_long (also beyond max_file_tree_path_bytes in all), duplicate_path (two files, or a file and a folder, at one sanitised path).
/// At most `max_files` files (bad_file_tree beyond). Time and memory linear in the tree; the
/// recursion is at most max_path_components + 1 deep.
result<std::vector<v2_file>> parse_file_tree(const bvalue& tree, std::size_t max_files);

}  // namespace tessera::detail
