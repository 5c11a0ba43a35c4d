// The one way (besides the parsers, which use it too) to make a torrent_info: set fields, then
// build(). For the library's own makers (parser, torrent creation, magnet stand-ins, resume)
// and for tests; not a public header.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tessera/torrent_info.hpp"

namespace tessera::detail {

/// The fields of a torrent_info, public and writable, with the meaning torrent_info's
/// accessors of the same names document. build() checks the invariants the parser guarantees
/// and makes the immutable torrent_info (with its folder_tree). Not thread-safe; a value type.
class torrent_info_builder {
 public:
  torrent_info_builder() = default;
  /// A builder holding every field of `ti`: to make an edited copy of it.
  explicit torrent_info_builder(const torrent_info& ti);

  info_hash_t info_hash;
  int meta_version = 1;
  std::map<sha256_hash, std::vector<sha256_hash>> piece_layers;
  std::string name;
  std::int64_t piece_length = 0;
  std::vector<sha1_hash> piece_hashes;
  std::vector<file_entry> files;
  std::int64_t total_size = 0;
  bool multi_file = false;
  std::vector<std::vector<std::string>> trackers;
  std::vector<std::string> web_seeds;
  bool is_private = false;
  std::vector<dht_node_address> dht_nodes;
  std::string comment;
  std::string created_by;
  std::int64_t creation_date = 0;
  std::string info_bytes;

  /// The torrent_info of these fields (copied; the builder keeps them). Throws std::logic_error
  /// on a broken invariant, which only a bug in our own code can cause: meta_version not 1 or
  /// 2; a negative piece_length or file size; a file whose offset is not the sum of the sizes
  /// before it, or a total_size that is not the sum of all; v1 piece_hashes whose count is not
  /// ceil(total_size / piece_length) (any files need piece_length > 0); a v2-only torrent with
  /// more than max_v2_pieces pieces.
  torrent_info build() const&;
  /// As build() const&, moving the fields out (the builder is left valid but unspecified).
  torrent_info build() &&;

 private:
  void check() const;
};

}  // namespace tessera::detail

namespace tessera::detail {

/// A copy of `ti` with `edit(builder&)` applied to its fields, rebuilt (and checked) by build().
template <class Edit>
torrent_info edited(const torrent_info& ti, Edit&& edit) {
  torrent_info_builder b(ti);
  edit(b);
  return std::move(b).build();
}

}  // namespace tessera::detail
