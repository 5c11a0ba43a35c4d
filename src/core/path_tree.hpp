// The folders and files a torrent's paths make, each component interned once: for the collision
// check of the metainfo parser (v1 `files` and the v2 `file tree`), which runs before a
// torrent_info (and its folder_tree) exists and must stop at the first collision. Pure.
#pragma once

#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tessera::detail {

/// A tree of '/'-separated relative paths. Every node is found from its parent by one hash
/// lookup of its own component, so adding a path costs time linear in its length, whatever its
/// depth. (Keying folders by their full path, as a set of strings does, hashes every prefix of
/// every path: quadratic in the path's length.)
///
/// The tree keeps string_views into the paths it is given: they must outlive it and stay where
/// they are. Not thread-safe; one thread at a time.
class path_tree {
 public:
  /// Adds the file at `path` (components separated by single '/', none empty) and every folder
  /// before its last component. Returns false when the file collides with what is there: its
  /// path is already a file or a folder, or one of its folders is already a file. The folders
  /// before the collision stay added.
  bool add_file(std::string_view path);

 private:
  struct node {
    bool is_file = false;
  };
  struct child_key {
    std::uint32_t parent;  // index into nodes_ + 1; 0 for the top level
    std::string_view name;
    bool operator==(const child_key&) const = default;
  };
  struct child_key_hash {
    std::size_t operator()(const child_key& k) const noexcept;
  };

  std::vector<node> nodes_;
  std::unordered_map<child_key, std::uint32_t, child_key_hash> children_;  // -> index into nodes_
};

}  // namespace tessera::detail
