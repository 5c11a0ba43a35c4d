// BEP 52 file tree: a recursive walk over the dictionaries, bounded by the path limits of
// tessera/torrent_info.hpp, with the collision check of core/path_tree on the sanitised paths.
#include "core/file_tree.hpp"

#include <limits>

#include "core/path_component.hpp"
#include "core/path_tree.hpp"
#include "tessera/torrent_info.hpp"

namespace tessera::detail {

namespace {

struct walker {
  std::size_t max_files;
  std::vector<v2_file> files;
  std::string current;   // sanitised path of the current node, components joined with '/'
  std::size_t depth = 0;  // components in `current`
  std::int64_t total = 0;
  std::size_t path_bytes = 0;  // of every file's path so far

  std::error_code add_file(const bvalue& props) {
    if (!props.is_dict()) return metainfo_errc::bad_file_tree;
    const bvalue* length = props.find("length");
    if (!length) return metainfo_errc::bad_file_tree;
    if (!length->is_int() || length->as_int() < 0) return metainfo_errc::bad_length;
    if (length->as_int() > std::numeric_limits<std::int64_t>::max() - total) return metainfo_errc::bad_length;
    if (files.size() >= max_files) return metainfo_errc::bad_file_tree;
    if (current.size() > max_file_tree_path_bytes - path_bytes) return metainfo_errc::path_too_long;
    path_bytes += current.size();
    v2_file f;
    f.length = length->as_int();
    total += f.length;
    if (f.length > 0) {
      const auto* root = props.find_string("pieces root");
      if (!root) return metainfo_errc::bad_pieces_root;
      auto h = sha256_hash::from_bytes(*root);
      // All zeros is no root (nothing hashes to it): the "absent" value of sha256_hash.
      if (!h || h->is_zero()) return metainfo_errc::bad_pieces_root;
      f.pieces_root = *h;
    }
    if (const auto* attr = props.find_string("attr")) f.attr = *attr;
    f.path = current;
    files.push_back(std::move(f));
    return {};
  }

  std::error_code walk(const bvalue& node) {
    if (!node.is_dict()) return metainfo_errc::bad_file_tree;
    const bdict& d = node.as_dict();
    if (auto it = d.find(std::string_view()); it != d.end()) {
      // A file: its properties, and no sibling entries. The tree's root is never a file.
      if (depth == 0 || d.size() != 1) return metainfo_errc::bad_file_tree;
      return add_file(it->second);
    }
    // Refused before looking at the children: the walk never goes deeper than the limit.
    if (!d.empty() && depth >= max_path_components) return metainfo_errc::path_too_deep;
    const std::size_t parent_size = current.size();
    for (const auto& [key, child] : d) {
      if (depth > 0) current += '/';
      if (!append_path_component(current, key)) return metainfo_errc::bad_path;
      if (current.size() > max_path_bytes) return metainfo_errc::path_too_long;
      ++depth;
      if (auto ec = walk(child)) return ec;
      --depth;
      current.resize(parent_size);
    }
    return {};
  }
};

}  // namespace

result<std::vector<v2_file>> parse_file_tree(const bvalue& tree, std::size_t max_files) {
  walker w{max_files, {}, {}, 0, 0, 0};
  if (auto ec = w.walk(tree)) return unexpected{ec};
  if (w.files.empty()) return unexpected{make_error_code(metainfo_errc::bad_file_tree)};
  // Sanitising can make two keys one name ("a\x01" and "a\x02" both become "a_"), and a file
  // may collide with a folder of that name: the same check as v1 file lists.
  path_tree paths;
  for (const auto& f : w.files)
    if (!paths.add_file(f.path)) return unexpected{make_error_code(metainfo_errc::duplicate_path)};
  return std::move(w.files);
}

}  // namespace tessera::detail
