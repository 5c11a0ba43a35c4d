// The folders and files of a torrent as a tree (torrent_info::file_tree()).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/types.hpp"

namespace tessera {

struct file_entry;

/// A torrent's files and the folders their paths imply, as a tree: one node per folder and per
/// file, stored by indices in flat vectors (a value type: copying it copies the vectors; no
/// pointers inside). Built once, from the file list, when the torrent_info is made; never
/// changed afterwards. Any thread may read a tree no thread changes.
///
/// The root (node 0) is the download directory itself, with an empty name. Its children are
/// the top-level components of the paths: the torrent's folder (`name`) for a multi-file
/// torrent, its one file for a single-file torrent. BEP 47 padding files are not in the tree
/// (they are never on disk, and several may share one ".pad/<size>" path); neither are folders
/// that hold only padding files. A file whose path collides with a node already there (a file
/// twice, or a file where a folder is: the parser refuses such torrents, see
/// metainfo_errc::duplicate_path) gets no node of its own.
///
/// Nodes are numbered in the order they first appear in the file list, so a node's parent
/// always has a smaller index than the node: walking the indices downwards visits every node
/// before its parent (the order in which empty folders can be removed).
class folder_tree {
 public:
  /// A node's index: 0 is the root, 1..size()-1 the others.
  using node_id = std::int32_t;
  /// "No node": the root's parent, a failed lookup, a padding file's node.
  static constexpr node_id no_node = -1;
  /// The root: the download directory.
  static constexpr node_id root = 0;

  /// A tree with only the root (no files).
  folder_tree();
  /// Builds the tree of `files` (their `path`, '/'-separated, components never empty), skipping
  /// padding files. Time O(total bytes of the paths + n log n), memory linear in it.
  explicit folder_tree(std::span<const file_entry> files);

  /// Number of nodes, root included (1 for an empty tree).
  std::size_t size() const { return nodes_.size(); }
  /// Number of folder nodes, root excluded.
  std::size_t num_folders() const { return nodes_.size() - 1 - num_files_; }
  /// The last component of node `n`'s path ("" for the root). `n` must be < size().
  std::string_view name(node_id n) const;
  /// The node holding `n`: no_node for the root.
  node_id parent(node_id n) const { return nodes_[static_cast<std::size_t>(n)].parent; }
  /// The nodes directly inside `n`, in the order they first appear in the file list; empty for
  /// a file.
  std::span<const node_id> children(node_id n) const;
  /// True when `n` is a file (a leaf made by one file_entry); false for a folder and the root.
  bool is_file(node_id n) const { return nodes_[static_cast<std::size_t>(n)].file >= 0; }
  /// The file_entry index of file node `n`; file_index{-1} for a folder or the root.
  file_index file(node_id n) const { return file_index{nodes_[static_cast<std::size_t>(n)].file}; }
  /// The node of file `f`; no_node for a padding file, a colliding file, or `f` out of range.
  node_id node_of_file(file_index f) const;
  /// The path of node `n` relative to the download directory, components joined by '/' (as
  /// file_entry::path); "" for the root.
  std::string path(node_id n) const;
  /// The node at `path` (relative, '/'-separated; one trailing '/' is ignored; "" is the root);
  /// no_node when there is none (a miss, an empty component, a padding file's path). Time
  /// O(components x log(children)).
  node_id find(std::string_view path) const;
  /// The indices of the files at or beneath node `n`, ascending (metainfo order); padding
  /// files excluded. Linear in the size of n's subtree.
  std::vector<file_index> files_under(node_id n) const;
  /// Every folder node (root excluded), deepest first: a folder comes before the folder that
  /// holds it. Order among folders of the same depth: highest index first.
  std::vector<node_id> folders_deepest_first() const;

 private:
  struct node {
    std::uint32_t name_offset = 0;   // into names_
    std::uint32_t name_size = 0;
    node_id parent = no_node;
    std::int32_t file = -1;          // file_entry index, -1 for a folder
    std::uint32_t children_begin = 0;  // into children_ and by_name_
    std::uint32_t children_count = 0;
    std::uint32_t depth = 0;         // 0 for the root
  };
  std::vector<node> nodes_;
  std::string names_;                  // every node's name, back to back
  std::vector<node_id> children_;      // each node's children, first-appearance order
  std::vector<node_id> by_name_;       // the same ranges, each sorted by name (for find)
  std::vector<node_id> file_nodes_;    // file_entry index -> node (no_node for padding)
  std::size_t num_files_ = 0;
};

}  // namespace tessera
