// Whole-torrent file operations of the files-on-disk backend: deleting a torrent's files (remove
// with data) and moving them to another download directory (move storage). Every path is
// resolved beneath its download directory (path_beneath.hpp), so a symlink planted inside it
// never makes us delete or move anything outside.
#pragma once

#include <filesystem>
#include <vector>

#include "disk/storage.hpp"

namespace tessera::detail {

/// Deletes the torrent's files under `save_path` that `files` selects (files[i] true: file i;
/// the torrent's own, see file_ownership.hpp; padding files are never on disk), then the
/// directories of its layout that end up empty, deepest first; a missing file is fine. Files that
/// are not regular files are left alone. Errors: the first failure (op and path), after trying
/// every file. Blocking; call it from a thread that may wait for the disk.
result<bool, storage_error> delete_torrent_files(const torrent_info& ti,
                                                 const std::filesystem::path& save_path,
                                                 const std::vector<bool>& files);

/// Moves the existing files that `files` selects (the torrent's own) from `from` to the same
/// relative paths under `to` (created as needed): rename(2) when both are on one file system,
/// else copy, fsync, then delete the original. Files missing under `from` are skipped. A file
/// already at a target is never replaced unless `replace_existing` (the torrent's
/// overwrite_existing_files): the move then fails with storage_errc::target_exists naming that
/// target before anything is moved (a target appearing during the move fails the same way, the
/// files moved so far staying moved). On failure the error says which file failed; a later retry
/// finishes the job. Empty directories left under `from` are removed.
result<bool, storage_error> move_torrent_files(const torrent_info& ti, const std::filesystem::path& from,
                                               const std::filesystem::path& to,
                                               const std::vector<bool>& files, bool replace_existing);

/// Renames `from` to `to` (relative paths differing only in their last component) beneath
/// `save_path`: the parent directory is resolved with open_beneath's rules (no symlink followed),
/// and renameat2(RENAME_NOREPLACE) renames the entry itself (a symlink there is renamed, not
/// followed). Nothing at `from` (or no save_path, or no parent directory): nothing to do, true.
/// Errors: op=rename with storage_errc::target_exists when something is at `to`, otherwise the
/// OS error; invalid_argument for paths that are not a valid pair. Blocking.
result<bool, storage_error> rename_beneath(const std::filesystem::path& save_path, const std::string& from,
                                           const std::string& to);

}  // namespace tessera::detail
