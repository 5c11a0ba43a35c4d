#include "create/file_scan.hpp"

#include <dirent.h>
#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <memory>

#include "disk/posix.hpp"

namespace tessera::detail {

/// realpath(3) as a string; empty with errno set on failure.
std::string real_path(const std::string& p) {
  char* r = ::realpath(p.c_str(), nullptr);
  if (r == nullptr) return {};
  std::string out(r);
  std::free(r);
  return out;
}

namespace {

constexpr std::size_t max_files = 1'000'000;
constexpr std::size_t max_depth = max_path_components;

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}


struct walker {
  const std::vector<std::string>& exclude;
  std::string root_real;  // resolved root folder, no trailing '/'
  scanned_tree& tree;

  result<bool, create_error> fail(std::error_code ec, std::string path) {
    return unexpected{create_error{ec, std::move(path)}};
  }

  bool inside_root(const std::string& resolved) const {
    return resolved.size() > root_real.size() && resolved.compare(0, root_real.size(), root_real) == 0 &&
           resolved[root_real.size()] == '/';
  }

  result<bool, create_error> walk(const std::string& dir, std::vector<std::string>& rel) {
    if (rel.size() >= max_depth) return fail(create_errc::too_large, dir);
    struct dir_closer {
      void operator()(DIR* p) const { ::closedir(p); }
    };
    std::unique_ptr<DIR, dir_closer> d(::opendir(dir.c_str()));
    if (!d) return fail(errno_code(errno), dir);
    std::vector<std::string> names;
    errno = 0;
    while (const dirent* e = ::readdir(d.get())) {
      std::string_view n = e->d_name;
      if (n != "." && n != "..") names.emplace_back(n);
    }
    if (errno != 0) return fail(errno_code(errno), dir);
    d.reset();
    // Order does not matter here (sort_files orders the result); sorted makes the skipped list
    // and any error deterministic.
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
      rel.push_back(name);
      auto r = visit(dir + "/" + name, rel);
      rel.pop_back();
      if (!r) return r;
    }
    return true;
  }

  result<bool, create_error> visit(const std::string& path, std::vector<std::string>& rel) {
    const std::string rel_text = join(rel);
    if (excluded_by(exclude, rel_text, rel.back())) return true;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return fail(errno_code(errno), path);
    std::string disk_path = path;
    if (S_ISLNK(st.st_mode)) {
      // A link is listed only when it resolves to a regular file inside the root; a link to a
      // folder is not followed (the folder, when inside, is listed under its own path, and no
      // link can loop the walk).
      const std::string target = real_path(path);
      struct stat ts {};
      if (target.empty() || ::stat(target.c_str(), &ts) != 0) {
        tree.skipped.push_back(rel_text + ": dangling symlink");
        return true;
      }
      if (!inside_root(target)) {
        tree.skipped.push_back(rel_text + ": symlink out of the root");
        return true;
      }
      if (!S_ISREG(ts.st_mode)) {
        tree.skipped.push_back(rel_text + (S_ISDIR(ts.st_mode) ? ": symlink to a folder" : ": symlink to a special file"));
        return true;
      }
      st = ts;
      disk_path = target;
    } else if (S_ISDIR(st.st_mode)) {
      return walk(path, rel);
    } else if (!S_ISREG(st.st_mode)) {
      tree.skipped.push_back(rel_text + ": not a regular file");
      return true;
    }
    if (tree.files.size() >= max_files) return fail(create_errc::too_large, path);
    tree.files.push_back(scanned_file{rel, std::move(disk_path), static_cast<std::int64_t>(st.st_size),
                                      (st.st_mode & S_IXUSR) != 0});
    return true;
  }
};

}  // namespace

}  // namespace tessera::detail

namespace tessera {

std::string torrent_name(const std::string& root) {
  std::string_view given = root;
  while (given.size() > 1 && given.back() == '/') given.remove_suffix(1);
  const auto slash = given.rfind('/');
  std::string name(slash == std::string_view::npos ? given : given.substr(slash + 1));
  if (name.empty() || name == "." || name == ".." || name == "/") {
    const std::string real = detail::real_path(root);
    name = real.substr(real.rfind('/') == std::string::npos ? 0 : real.rfind('/') + 1);
  }
  return name;
}

}  // namespace tessera

namespace tessera::detail {

bool excluded_by(const std::vector<std::string>& globs, std::string_view rel, std::string_view name) {
  const std::string r(rel), n(name);
  for (const auto& g : globs) {
    if (::fnmatch(g.c_str(), r.c_str(), 0) == 0 || ::fnmatch(g.c_str(), n.c_str(), 0) == 0) return true;
  }
  return false;
}

result<scanned_tree, create_error> scan_files(const std::string& root, const std::vector<std::string>& exclude) {
  if (root.empty()) return unexpected{create_error{std::make_error_code(std::errc::no_such_file_or_directory), root}};
  const std::string real = real_path(root);
  if (real.empty()) return unexpected{create_error{errno_code(errno), root}};
  scanned_tree tree;
  tree.name = torrent_name(root);
  if (tree.name.empty()) return unexpected{create_error{create_errc::bad_name, root}};

  struct stat st {};
  if (::stat(real.c_str(), &st) != 0) return unexpected{create_error{errno_code(errno), root}};
  if (S_ISREG(st.st_mode)) {
    tree.single_file = true;
    tree.files.push_back(scanned_file{{}, real, static_cast<std::int64_t>(st.st_size), (st.st_mode & S_IXUSR) != 0});
    return tree;
  }
  if (!S_ISDIR(st.st_mode)) return unexpected{create_error{create_errc::no_files, root}};
  walker w{exclude, real, tree};
  std::vector<std::string> rel;
  if (auto r = w.walk(real, rel); !r) return unexpected{r.error()};
  if (tree.files.empty()) return unexpected{create_error{create_errc::no_files, root}};
  return tree;
}

void sort_files(std::vector<scanned_file>& files, bool by_component) {
  if (by_component) {
    std::sort(files.begin(), files.end(), [](const scanned_file& a, const scanned_file& b) { return a.path < b.path; });
    return;
  }
  // Whole paths: joined once, not at every comparison.
  std::vector<std::pair<std::string, std::size_t>> keys;
  keys.reserve(files.size());
  for (std::size_t i = 0; i < files.size(); ++i) keys.emplace_back(join(files[i].path), i);
  std::sort(keys.begin(), keys.end());
  std::vector<scanned_file> sorted;
  sorted.reserve(files.size());
  for (const auto& k : keys) sorted.push_back(std::move(files[k.second]));
  files = std::move(sorted);
}

}  // namespace tessera::detail
