// Hashing the files of a torrent being created: v1 SHA-1 piece hashes and v2 SHA-256 merkle
// hashes in one pass, on a pool of threads that each take whole pieces of the stream.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <stop_token>
#include <string>
#include <vector>

#include "create/torrent_layout.hpp"
#include "tessera/create_torrent.hpp"
#include "tessera/result.hpp"
#include "tessera/types.hpp"

namespace tessera::detail {

/// Bytes of one read (and of each thread's buffer): small enough that the bytes are still in the
/// core's L2 cache when they are hashed just after the copy (4 MiB reads cost 7 % more CPU on a
/// 1 GiB v1 torrent), and a multiple of 16 KiB, so that a read never splits a block of a v2 file.
inline constexpr std::int64_t create_read_size = 256 * 1024;
/// Bytes of stream one thread takes at a time (whole pieces, at least this much): long
/// sequential runs per thread, few hand-offs.
inline constexpr std::int64_t create_item_size = 4 * 1024 * 1024;

/// What to hash and how.
struct hash_request {
  const torrent_layout* layout = nullptr;
  /// Where to read each layout entry's source (indexed by layout_entry::source).
  const std::vector<std::string>* disk_paths = nullptr;
  bool v1 = true;  ///< compute the SHA-1 hash of every stream piece
  bool v2 = true;  ///< compute the SHA-256 hashes of every file
  int threads = 1;  ///< >= 1
  /// Called from the calling thread at most every 100 ms and once at the end; false cancels.
  create_progress_callback progress;
  std::stop_token stop;
};

/// The hashes of one file (v2).
struct file_hashes {
  /// A file larger than one piece: its piece layer (one hash per piece of the file, the last one
  /// padded with zero leaves to a whole piece). Otherwise: the hash of each 16 KiB block.
  std::vector<sha256_hash> hashes;
  bool piece_layer = false;  ///< which of the two `hashes` holds
};

struct hash_result {
  std::vector<sha1_hash> pieces;    ///< v1: one per stream piece; empty without v1
  std::vector<file_hashes> files;   ///< v2: one per layout entry (empty for padding and empty files)
};

/// Reads every file of the layout once and hashes it. Pad entries and gaps are zeros for v1.
/// Errors: the errno of a failed open or read naming the file; create_errc::file_changed when a
/// file ends before its size in the layout; create_errc::cancelled. Blocking; runs `threads`
/// threads and waits for them.
result<hash_result, create_error> hash_files(const hash_request& req);

/// The `pieces root` of a file from its hashes (BEP 52); zero for an empty file.
sha256_hash file_root(const file_hashes& h, std::int64_t file_size, std::int64_t piece_length);

}  // namespace tessera::detail
