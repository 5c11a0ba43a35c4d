#include "disk/symlink_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "disk/path_beneath.hpp"
#include "disk/posix.hpp"

namespace tessera::detail {

namespace {

auto bad() { return unexpected{std::make_error_code(std::errc::invalid_argument)}; }

// True when `path`'s components start with those of `root` and go further.
bool beneath(const std::vector<std::string>& path, const std::vector<std::string>& root) {
  if (path.size() <= root.size()) return false;
  for (std::size_t i = 0; i < root.size(); ++i)
    if (path[i] != root[i]) return false;
  return true;
}

bool link_has_text(int dir_fd, const std::string& name, const std::string& text) {
  std::string existing(text.size() + 1, '\0');
  const ssize_t n = ::readlinkat(dir_fd, name.c_str(), existing.data(), existing.size());
  return n >= 0 && static_cast<std::size_t>(n) == text.size() && existing.compare(0, text.size(), text) == 0;
}

}  // namespace

result<std::string> symlink_text(std::string_view link_path, std::string_view target_path,
                                 std::string_view root) {
  auto link = split_relative_path(link_path);
  auto target = split_relative_path(target_path);
  auto top = split_relative_path(root);
  if (!link || !target || !top || !beneath(*link, *top) || !beneath(*target, *top)) return bad();
  // The folders of the link: all its components but the last.
  const std::size_t link_dirs = link->size() - 1;
  std::size_t common = 0;
  while (common < link_dirs && common < target->size() - 1 && (*link)[common] == (*target)[common]) ++common;
  std::string text;
  for (std::size_t i = common; i < link_dirs; ++i) text += "../";
  for (std::size_t i = common; i < target->size(); ++i) {
    if (i > common) text += '/';
    text += (*target)[i];
  }
  if (!symlink_stays_beneath(link_path, text, root)) return bad();
  return text;
}

bool symlink_stays_beneath(std::string_view link_path, std::string_view text, std::string_view root) {
  auto link = split_relative_path(link_path);
  auto top = split_relative_path(root);
  if (!link || !top || !beneath(*link, *top) || text.empty() || text.front() == '/') return false;
  std::vector<std::string> at(link->begin(), link->end() - 1);  // the link's folder
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = text.find('/', start);
    const std::string_view c = text.substr(start, slash == std::string_view::npos ? text.npos : slash - start);
    if (c.empty() || c.find('\0') != c.npos) return false;
    if (c == "..") {
      if (at.size() <= top->size()) return false;  // would leave the root folder
      at.pop_back();
    } else if (c != ".") {
      at.emplace_back(c);
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return beneath(at, *top);
}

result<std::string> symlink_text_of(const torrent_info& ti, int file) {
  if (file < 0 || static_cast<std::size_t>(file) >= ti.files().size()) return bad();
  const file_entry& fe = ti.files()[static_cast<std::size_t>(file)];
  if (!fe.symlink || !ti.multi_file() || fe.symlink_target.empty()) return bad();
  return symlink_text(fe.path, ti.name() + "/" + fe.symlink_target, ti.name());
}

result<bool> create_symlink_beneath(int root_fd, const std::string& link_path, const std::string& text,
                                    std::string_view root) {
  if (!symlink_stays_beneath(link_path, text, root)) return bad();
  auto comps = split_relative_path(link_path);
  if (!comps) return bad();
  if (auto ec = make_dirs_beneath(root_fd, *comps, comps->size() - 1)) return unexpected{ec};
  fd_guard parent(open_parent_beneath(root_fd, *comps));
  if (parent.fd < 0) return unexpected{errno_code(errno)};
  if (::symlinkat(text.c_str(), parent.fd, comps->back().c_str()) == 0) return true;
  if (errno != EEXIST) return unexpected{errno_code(errno)};
  // Something is there: ours only if it is a link with this very text.
  return link_has_text(parent.fd, comps->back(), text);
}

bool symlink_in_place(int root_fd, const std::string& link_path, const std::string& text) {
  auto comps = split_relative_path(link_path);
  if (!comps) return false;
  fd_guard parent(open_parent_beneath(root_fd, *comps));
  return parent.fd >= 0 && link_has_text(parent.fd, comps->back(), text);
}

}  // namespace tessera::detail
