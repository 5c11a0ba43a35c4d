// The single-blob storage backend: the whole torrent as one file.
#pragma once

#include <filesystem>
#include <memory>

#include "disk/storage.hpp"

namespace tessera::detail {

/// A storage (storage.hpp) that keeps the torrent's byte stream in ONE file at `path`: byte
/// offset in the blob = byte offset in the torrent, padding included, so the blob is at most
/// ti->total_size bytes. For embedded uses and for callers that manage files themselves.
/// - The blob (and its parent directories, mode 0755) is created on the first write, mode 0644,
///   and grows sparsely; it is never truncated or pre-allocated. initialize() only checks that the
///   parent directory exists or can be created and is writable.
/// - Writes skip padding files' bytes (BEP 47) and leave holes there; reads return zeros for
///   padding whatever the blob holds. pread/pwrite loops (EINTR retried).
/// - A missing blob, or one that ends inside the range, makes a short read (not an error).
///   on_disk_sizes(): per file, how many of its bytes lie before the blob's end, -1 when the blob
///   does not reach the file's start (or does not exist); padding reports its full size.
/// - A blob path that names something other than a regular file is refused (op=open,
///   errc::invalid_argument). Errors are storage_error with `path` and the operation.
/// `path` comes from the user, not from the torrent: it is opened as given.
/// Thread-safe: concurrent reads and writes share one descriptor (pread/pwrite); close_all()
/// lets running calls finish on the descriptor they hold. Keeps its own reference to `ti`.
std::shared_ptr<storage> make_blob_storage(std::shared_ptr<const torrent_info> ti,
                                           std::filesystem::path path);

}  // namespace tessera::detail
