#include "core/path_tree.hpp"

#include <functional>

namespace tessera::detail {

std::size_t path_tree::child_key_hash::operator()(const child_key& k) const noexcept {
  const std::size_t h = std::hash<std::string_view>{}(k.name);
  return h ^ (std::hash<std::uint32_t>{}(k.parent) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
}

bool path_tree::add_file(std::string_view path) {
  std::uint32_t parent = 0;  // the top level
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = path.find('/', start);
    const bool last = slash == std::string_view::npos;
    const std::size_t end = last ? path.size() : slash;
    const child_key key{parent, path.substr(start, end - start)};
    auto it = children_.find(key);
    if (it != children_.end()) {
      // An existing node: a file may never be reused, and a folder not as a file.
      if (last || nodes_[it->second].is_file) return false;
      parent = it->second + 1;
    } else {
      const auto index = static_cast<std::uint32_t>(nodes_.size());
      nodes_.push_back({last});
      children_.emplace(key, index);
      parent = index + 1;
    }
    if (last) return true;
    start = slash + 1;
  }
}

}  // namespace tessera::detail
