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
/// `dirfd`, but never resolves to anything outside `dirfd`: uses openat2 with RESOLVE_BENEATH
/// (symlinks that stay inside are followed; an escape fails with EXDEV). Where the kernel has no
/// openat2 (ENOSYS, or EPERM from a seccomp filter), walks the components with O_NOFOLLOW, so every
/// symlink is refused (ELOOP/ENOTDIR). O_CLOEXEC is always added. Retries on EINTR.
/// Returns the new descriptor, or -1 with errno set.
int open_beneath(int dirfd, const std::string& rel, int flags, mode_t mode = 0);

/// Creates (mode 0755) every missing directory of components[0 .. count) beneath `dirfd`, each
/// one resolved with open_beneath. A directory created concurrently by another thread is fine.
/// Returns the errno of the first failure as a std::error_code (system category), or {}.
std::error_code make_dirs_beneath(int dirfd, const std::vector<std::string>& components,
                                  std::size_t count);

/// Tests only: with `false`, open_beneath behaves as on a kernel without openat2 (the
/// O_NOFOLLOW walk). Process-wide; not meant to be flipped while other threads open files.
void set_openat2_enabled_for_testing(bool enabled);

}  // namespace tessera::detail
