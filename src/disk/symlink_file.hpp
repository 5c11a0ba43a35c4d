// BEP 47 symlink files (`attr` 'l', `symlink path`): the link's text, and creating it safely
// beneath the download directory.
#pragma once

#include <string>
#include <string_view>
#include <system_error>

#include "tessera/result.hpp"
#include "tessera/torrent_info.hpp"

namespace tessera::detail {

/// The text of a relative symbolic link at `link_path` pointing at `target_path`, both relative
/// to the download directory ('/'-separated, checked by split_relative_path): one "../" for each
/// folder of the link below the folder both share, then the rest of the target ("a/l" -> "a/x/y"
/// gives "x/y"; "a/b/l" -> "a/x" gives "../x"). Both must lie beneath the folder `root` (the
/// torrent's root folder, "name"): the text, resolved from the link's folder, then never leaves
/// it. std::errc::invalid_argument otherwise (a bad path, or one outside `root`). Pure.
result<std::string> symlink_text(std::string_view link_path, std::string_view target_path,
                                 std::string_view root);

/// True when `text`, resolved lexically from the folder of `link_path` (relative to the
/// download directory), is relative and stays beneath the folder `root`, never going above it
/// even on the way ("../../root/x" from root/l is refused). Pure.
bool symlink_stays_beneath(std::string_view link_path, std::string_view text, std::string_view root);

/// The link text of `ti.files()[file]`, a symlink entry (file_entry::symlink): symlink_text of its
/// path and ti.name() + "/" + its symlink_target, beneath ti.name(). std::errc::invalid_argument for
/// a non-symlink entry, a single-file torrent, or a target that fails the checks.
result<std::string> symlink_text_of(const torrent_info& ti, int file);

/// Creates the symbolic link `link_path` (relative to the directory `root_fd`, its folders made
/// with make_dirs_beneath) with the text `text`, which must pass symlink_stays_beneath for
/// `root` (std::errc::invalid_argument otherwise, nothing created). Never follows a symlink on
/// the way (the folders are opened with open_beneath) and never replaces anything: when
/// something is already at the path, returns false and leaves it, unless it is a link with this
/// very text (a link made earlier), which counts as created (true). Errors: the errno of a failed
/// mkdir, open or symlinkat, as a system error code (ELOOP/ENOTDIR for a symlinked folder).
result<bool> create_symlink_beneath(int root_fd, const std::string& link_path, const std::string& text,
                                    std::string_view root);

/// True when a symbolic link with the text `text` is at `link_path` beneath `root_fd` (its
/// folders opened with open_beneath's rules: none of them a symlink). Never follows the link.
bool symlink_in_place(int root_fd, const std::string& link_path, const std::string& text);

}  // namespace tessera::detail
