// BEP 19 (web seeds, "GetRight style"): which HTTP requests fetch a range of a torrent's byte
// stream from a `url-list` server. Pure: no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/result.hpp"
#include "tessera/torrent_info.hpp"

namespace tessera::detail {

/// One part of a mapped range: either an HTTP request (a byte range of one file on the server)
/// or bytes that are zeros by definition (a BEP 47 padding file, or a gap between files).
struct web_seed_part {
  bool zeros = false;            ///< true: no request; `length` zero bytes
  std::string url;               ///< the file's full URL (empty when `zeros`)
  std::int64_t file_offset = 0;  ///< first byte of the file to fetch (Range: bytes=file_offset-)
  std::int64_t length = 0;       ///< bytes, > 0
  std::int64_t file_size = 0;    ///< the whole file's size (to judge a 200 reply that ignored Range)
  std::int64_t torrent_offset = 0;  ///< where the part's first byte sits in the torrent's byte stream
};

/// Why a range cannot be mapped.
enum class web_seed_map_errc {
  out_of_range,  ///< the range is empty, negative, or passes the end of the torrent
};

/// The URL of one file on a web seed `base` (BEP 19): for a single-file torrent (`multi_file`
/// false) `base` itself, or `base` + percent-encoded `name` when `base` ends in '/'; for a
/// multi-file torrent `base` (a '/' added when missing) + each component of `path` (which starts
/// with the torrent's name, file_entry::path) percent-encoded, joined by '/'. Every byte outside
/// RFC 3986's unreserved set is percent-encoded; `base` is used as given.
std::string web_seed_file_url(std::string_view base, bool multi_file, std::string_view name, std::string_view path);

/// The parts that fetch bytes [offset, offset + length) of the torrent's byte stream from web seed
/// `base`: one request per file the range touches (in order, contiguous), padding files and
/// gaps as `zeros` parts, zero-length files and symbolic links skipped. The parts' lengths add
/// up to `length`. `files` are the torrent's files in byte-stream order (file_entry::offset and
/// size); `total_size` the byte stream's length. Errors: out_of_range.
result<std::vector<web_seed_part>, web_seed_map_errc>
map_web_seed_range(std::string_view base, bool multi_file, std::string_view name,
                   std::span<const file_entry> files, std::int64_t total_size, std::int64_t offset,
                   std::int64_t length);

}  // namespace tessera::detail
