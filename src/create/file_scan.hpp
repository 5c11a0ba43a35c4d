// The files a torrent is created from: a walk of the root (a file or a folder) that applies the
// exclude globs, refuses to leave the root through symlinks, and orders the files as the
// metainfo lists them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/create_torrent.hpp"
#include "tessera/result.hpp"

namespace tessera::detail {

/// One file found beneath the root.
struct scanned_file {
  /// Path relative to the root, by component ("sub", "a.txt"); empty for a root that is a file.
  std::vector<std::string> path;
  std::string disk_path;    ///< where to read it: root + path, or a symlink's target (in the root)
  std::int64_t size = 0;    ///< bytes at scan time
  bool executable = false;  ///< owner-executable (S_IXUSR): BEP 47 `attr` "x"
};

/// What scan_files found.
struct scanned_tree {
  std::string name;                 ///< the torrent's name: the root's last path component
  bool single_file = false;         ///< the root is a file (a single-file torrent)
  std::vector<scanned_file> files;  ///< in walk order (see sort_files)
  std::vector<std::string> skipped; ///< "relative/path: reason" for what was not listed
};

/// realpath(3) as a string: the absolute path with every symlink resolved; empty (errno set)
/// when it cannot be resolved.
std::string real_path(const std::string& p);

/// True when `glob` (fnmatch(3), no flags) matches the relative path `rel` or the name `name`.
bool excluded_by(const std::vector<std::string>& globs, std::string_view rel, std::string_view name);

/// Walks `root` (a symlink as the root is followed; nothing beneath it is followed out of it).
/// Errors: ENOENT and friends (system category) naming the root; create_errc::no_files when the
/// root is neither a file nor a folder; too_large past 1,000,000 files or 100 folders deep;
/// bad_name for "/". Files that cannot be looked at during the walk are errors naming them.
result<scanned_tree, create_error> scan_files(const std::string& root, const std::vector<std::string>& exclude);

/// Orders the files: by whole relative path bytes ("a b/x" < "a-b" < "a.txt" < "a/b", as
/// mktorrent lists them) when `by_component` is false, else component by component ("a/b" <
/// "a b/x" < "a-b" < "a.txt": BEP 52's file tree order, libtorrent's). Bytes compare unsigned.
void sort_files(std::vector<scanned_file>& files, bool by_component);

}  // namespace tessera::detail
