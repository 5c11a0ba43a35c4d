// The in-memory storage backend: the whole torrent in one buffer, for tests and embedded uses.
#pragma once

#include <memory>

#include "disk/storage.hpp"

namespace tessera::detail {

/// A storage (storage.hpp) that keeps the torrent's bytes in memory: at most ti->total_size bytes,
/// allocated on the first write (a storage that is only read holds nothing). It behaves like the
/// files-on-disk backend as seen through the interface:
/// - each file "exists" once a write touched it and has the length of its furthest written byte
///   (zero-length files exist once a write reaches their offset), so on_disk_sizes() and short
///   reads tell missing tails just like sparse files do;
/// - a read stops, short, at the first file whose written length does not cover the range;
///   padding files (BEP 47) always read as zeros and report their full size;
/// - writes to padding are dropped.
/// An allocation failure is a write error with ec=std::errc::not_enough_memory. Out-of-range
/// offsets are errc::invalid_argument (op=write or read, empty path), as in the file backend.
/// Thread-safe: every call takes one internal mutex (copies are memcpy; fine for tests and small
/// embedded torrents). close_all() does nothing. Keeps its own reference to `ti`.
std::shared_ptr<storage> make_memory_storage(std::shared_ptr<const torrent_info> ti);

}  // namespace tessera::detail
