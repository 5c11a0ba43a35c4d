// Whole-torrent file operations of the files-on-disk backend: deleting a torrent's files (remove
// with data) and moving them to another download directory (move storage). Every path is
// resolved beneath its download directory (path_beneath.hpp), so a symlink planted inside it
// never makes us delete or move anything outside.
#pragma once

#include <filesystem>

#include "disk/storage.hpp"

namespace tessera::detail {

/// Deletes the torrent's files under `save_path` (padding files are never on disk), then the
/// directories of its layout that end up empty, deepest first; a missing file is fine. Files that
/// are not regular files are left alone. Errors: the first failure (op and path), after trying
/// every file. Blocking; call it from a thread that may wait for the disk.
result<bool, storage_error> delete_torrent_files(const torrent_info& ti, const std::filesystem::path& save_path);

/// Moves the torrent's existing files from `from` to the same relative paths under `to`
/// (created as needed): rename(2) when both are on one file system, else copy, fsync, then
/// delete the original. Files missing under `from` are skipped. An existing file at the target
/// is replaced. On failure the files moved so far stay moved and the error says which file
/// failed; a later retry finishes the job. Empty directories left under `from` are removed.
result<bool, storage_error> move_torrent_files(const torrent_info& ti, const std::filesystem::path& from,
                                               const std::filesystem::path& to);

}  // namespace tessera::detail
