// folder_tree: the folders and files of a torrent as an index-linked tree. Pure.
#include "tessera/folder_tree.hpp"

#include <algorithm>
#include <functional>
#include <unordered_map>

#include "tessera/torrent_info.hpp"

namespace tessera {

namespace {

struct child_key {
  folder_tree::node_id parent;
  std::string_view name;
  bool operator==(const child_key&) const = default;
};
struct child_key_hash {
  std::size_t operator()(const child_key& k) const noexcept {
    const std::size_t h = std::hash<std::string_view>{}(k.name);
    return h ^ (std::hash<std::int32_t>{}(k.parent) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
  }
};

}  // namespace

folder_tree::folder_tree() : nodes_(1) {}

folder_tree::folder_tree(std::span<const file_entry> files) : nodes_(1), file_nodes_(files.size(), no_node) {
  // Pass 1: intern every component once, keyed by (parent, name); the views point into `files`,
  // which outlive this constructor. Node names are copied into names_ as nodes are made.
  std::unordered_map<child_key, node_id, child_key_hash> index;
  std::vector<std::string_view> names(1);
  for (std::size_t i = 0; i < files.size(); ++i) {
    const file_entry& f = files[i];
    if (f.pad || f.path.empty()) continue;
    const std::string_view path = f.path;
    node_id parent = root;
    std::size_t start = 0;
    for (;;) {
      const std::size_t slash = path.find('/', start);
      const bool last = slash == std::string_view::npos;
      const std::string_view part = path.substr(start, (last ? path.size() : slash) - start);
      auto it = index.find({parent, part});
      if (it != index.end()) {
        // A file may not reuse a node, nor may a path pass through a file: no node for it.
        if (last || nodes_[static_cast<std::size_t>(it->second)].file >= 0) break;
        parent = it->second;
      } else {
        const auto id = static_cast<node_id>(nodes_.size());
        node n;
        n.parent = parent;
        n.depth = nodes_[static_cast<std::size_t>(parent)].depth + 1;
        if (last) n.file = static_cast<std::int32_t>(i);
        nodes_.push_back(n);
        names.push_back(part);
        index.emplace(child_key{parent, part}, id);
        parent = id;
      }
      if (last) {
        file_nodes_[i] = parent;
        ++num_files_;
        break;
      }
      start = slash + 1;
    }
  }
  // Names back to back; children grouped by parent (counting sort keeps first-appearance order).
  std::size_t bytes = 0;
  for (auto n : names) bytes += n.size();
  names_.reserve(bytes);
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    nodes_[i].name_offset = static_cast<std::uint32_t>(names_.size());
    nodes_[i].name_size = static_cast<std::uint32_t>(names[i].size());
    names_ += names[i];
  }
  for (std::size_t i = 1; i < nodes_.size(); ++i) ++nodes_[static_cast<std::size_t>(nodes_[i].parent)].children_count;
  std::uint32_t begin = 0;
  for (auto& n : nodes_) {
    n.children_begin = begin;
    begin += n.children_count;
  }
  children_.resize(nodes_.size() - 1);
  std::vector<std::uint32_t> fill(nodes_.size(), 0);
  for (std::size_t i = 1; i < nodes_.size(); ++i) {
    const auto p = static_cast<std::size_t>(nodes_[i].parent);
    children_[nodes_[p].children_begin + fill[p]++] = static_cast<node_id>(i);
  }
  by_name_ = children_;
  for (const auto& n : nodes_) {
    auto first = by_name_.begin() + n.children_begin;
    std::sort(first, first + n.children_count, [&](node_id a, node_id b) { return name(a) < name(b); });
  }
}

std::string_view folder_tree::name(node_id n) const {
  const node& x = nodes_[static_cast<std::size_t>(n)];
  return std::string_view(names_).substr(x.name_offset, x.name_size);
}

std::span<const folder_tree::node_id> folder_tree::children(node_id n) const {
  const node& x = nodes_[static_cast<std::size_t>(n)];
  return std::span<const node_id>(children_).subspan(x.children_begin, x.children_count);
}

folder_tree::node_id folder_tree::node_of_file(file_index f) const {
  if (f.value < 0 || static_cast<std::size_t>(f.value) >= file_nodes_.size()) return no_node;
  return file_nodes_[static_cast<std::size_t>(f.value)];
}

std::string folder_tree::path(node_id n) const {
  std::vector<std::string_view> parts;
  for (node_id at = n; at != root && at != no_node; at = parent(at)) parts.push_back(name(at));
  std::string out;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    if (!out.empty()) out += '/';
    out += *it;
  }
  return out;
}

folder_tree::node_id folder_tree::find(std::string_view path) const {
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  node_id at = root;
  if (path.empty()) return at;
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = path.find('/', start);
    const bool last = slash == std::string_view::npos;
    const std::string_view part = path.substr(start, (last ? path.size() : slash) - start);
    if (part.empty()) return no_node;
    const node& x = nodes_[static_cast<std::size_t>(at)];
    const auto first = by_name_.begin() + x.children_begin;
    const auto end = first + x.children_count;
    const auto it = std::lower_bound(first, end, part, [&](node_id a, std::string_view p) { return name(a) < p; });
    if (it == end || name(*it) != part) return no_node;
    at = *it;
    if (last) return at;
    start = slash + 1;
  }
}

std::vector<file_index> folder_tree::files_under(node_id n) const {
  std::vector<file_index> out;
  std::vector<node_id> stack{n};
  while (!stack.empty()) {
    const node_id at = stack.back();
    stack.pop_back();
    if (is_file(at)) out.push_back(file(at));
    for (node_id c : children(at)) stack.push_back(c);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<folder_tree::node_id> folder_tree::folders_deepest_first() const {
  std::vector<node_id> out;
  out.reserve(num_folders());
  for (std::size_t i = nodes_.size(); i-- > 1;)
    if (nodes_[i].file < 0) out.push_back(static_cast<node_id>(i));
  std::stable_sort(out.begin(), out.end(), [&](node_id a, node_id b) {
    return nodes_[static_cast<std::size_t>(a)].depth > nodes_[static_cast<std::size_t>(b)].depth;
  });
  return out;
}

}  // namespace tessera
