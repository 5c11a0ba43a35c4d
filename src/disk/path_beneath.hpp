// Opening files strictly beneath a directory: the defence that keeps a torrent's files inside its
// download directory, whatever its metainfo or the directory's symlinks say.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "tessera/result.hpp"

namespace tessera::detail {

/// Splits a '/'-separated relative path into its components. Fails with
/// std::errc::invalid_argument when the path is empty or absolute, or when a component is empty,
/// ".", ".." or contains a NUL. The metainfo parser already refuses such paths; this is the
/// second line of defence, at the point where bytes reach the file system.
result<std::vector<std::string>> split_relative_path(std::string_view path);

/// Like openat(2) on `rel` (a path checked by split_relative_path) relative to the directory
/// `dirfd`, but never resolves to anything outside `dirfd` and never follows a symbolic link:
/// uses openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, so a symlink anywhere on the path
/// fails with ELOOP, whether it points inside or outside (with O_CREAT|O_EXCL a symlink as the
/// last component fails with EEXIST, as with openat). Where the kernel has no openat2 (ENOSYS,
/// or EPERM from a seccomp filter), walks the components with O_NOFOLLOW, which refuses every
/// symlink the same way (ELOOP, or ENOTDIR for a directory component). O_CLOEXEC is always
/// added. Retries on EINTR. Returns the new descriptor, or -1 with errno set.
int open_beneath(int dirfd, const std::string& rel, int flags, mode_t mode = 0);

/// The directory holding the last of `components` beneath `dirfd` (a duplicate of `dirfd` for a
/// single component), opened O_PATH|O_DIRECTORY with open_beneath's rules; -1 with errno set.
int open_parent_beneath(int dirfd, const std::vector<std::string>& components);

/// The index of the first of components[0 .. count) that is a symbolic link beneath `dirfd`
/// (looked at without following anything), or -1 when none is (or the walk stops at a missing
/// component or at one that is not a directory). For error messages: tells "a directory on the
/// path is a symlink" from other failures.
int symlink_component_beneath(int dirfd, const std::vector<std::string>& components,
                              std::size_t count);

/// Creates (mode 0755) every missing directory of components[0 .. count) beneath `dirfd`, each
/// one resolved with open_beneath. A directory created concurrently by another thread is fine.
/// Returns the errno of the first failure as a std::error_code (system category), or {}.
std::error_code make_dirs_beneath(int dirfd, const std::vector<std::string>& components,
                                  std::size_t count);

/// Tests only: with `false`, open_beneath behaves as on a kernel without openat2 (the
/// O_NOFOLLOW walk). Process-wide; not meant to be flipped while other threads open files.
void set_openat2_enabled_for_testing(bool enabled);

}  // namespace tessera::detail
