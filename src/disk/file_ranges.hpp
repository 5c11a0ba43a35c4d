// Mapping a range of the torrent's byte stream (BEP 3: the files concatenated in metainfo order)
// onto the files that hold it.
#pragma once

#include <algorithm>
#include <cstdint>

#include "tessera/torrent_info.hpp"

namespace tessera::detail {

/// One piece of a torrent byte range that lies inside one file.
struct file_range {
  int file;                    ///< index into torrent_info::files
  std::int64_t file_offset;    ///< byte offset inside that file
  std::int64_t buffer_offset;  ///< byte offset from the start of the requested range
  std::int64_t length;         ///< bytes, > 0
};

/// Calls `fn(file_range)` for each file overlapping [offset, offset + length), in order, skipping
/// zero-length files. `fn` returns false to stop early. The caller checks that the range lies
/// inside [0, ti.total_size()). Files must be laid out contiguously by offset, as parse_torrent makes
/// them. O(log files + files touched).
template <class Fn>
void for_each_file_range(const torrent_info& ti, std::int64_t offset, std::int64_t length,
                         Fn&& fn) {
  const auto& files = ti.files();
  auto it = std::upper_bound(files.begin(), files.end(), offset,
                             [](std::int64_t v, const file_entry& f) { return v < f.offset; });
  std::size_t i = it == files.begin() ? 0 : static_cast<std::size_t>(it - files.begin()) - 1;
  std::int64_t pos = offset;
  const std::int64_t end = offset + length;
  for (; i < files.size() && pos < end; ++i) {
    const file_entry& f = files[i];
    if (f.offset + f.size <= pos) continue;  // empty file, or one before the range
    if (f.offset > pos) break;               // a hole in the layout: not a valid torrent_info
    std::int64_t n = std::min(end, f.offset + f.size) - pos;
    if (!fn(file_range{static_cast<int>(i), pos - f.offset, pos - offset, n})) return;
    pos += n;
  }
}

}  // namespace tessera::detail
