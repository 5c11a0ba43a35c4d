// Test torrents of the BEP 52 kinds with their data, built in memory (no .torrent bytes): a
// v2-only or hybrid torrent_info over given files, laid out as parse_torrent lays them out, with
// pieces roots and piece layers (and a hybrid's SHA-1 piece hashes) computed from the content.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/merkle.hpp"
#include "disk_test_util.hpp"
#include "tessera/hasher.hpp"
#include "tessera/torrent_info.hpp"

namespace tessera::detail::test {

enum class v2_kind { v2_only, hybrid };

/// A v2-only or hybrid torrent over `files` (their paths and sizes; `pad` is ignored), with
/// `content` filled as the byte stream (pseudo-random file bytes, zeros in padding). v2-only: a
/// padding file after each non-empty file not ending on a piece boundary that another non-empty
/// file follows (torrent_info's layout); hybrid: after every such file, the last one too (as
/// libtorrent and `tessera create` pad). `with_layers` false: no piece layers (a bare info
/// dictionary). The info-hashes are stand-ins (the SHA-1/SHA-256 of the name), never zero.
inline std::shared_ptr<torrent_info> make_v2_torrent(const std::vector<file_spec>& files, std::int64_t piece_length,
                                                     v2_kind kind, std::vector<std::uint8_t>& content,
                                                     bool with_layers = true) {
  auto ti = std::make_shared<torrent_info>();
  ti->name = "t";
  ti->meta_version = 2;
  ti->piece_length = piece_length;
  ti->multi_file = files.size() > 1;
  std::int64_t offset = 0;
  std::size_t last_data = files.size();
  for (std::size_t i = 0; i < files.size(); ++i)
    if (files[i].size > 0) last_data = i;
  for (std::size_t i = 0; i < files.size(); ++i) {
    file_entry e;
    e.path = files[i].path;
    e.size = files[i].size;
    e.offset = offset;
    ti->files.push_back(e);
    offset += e.size;
    const std::int64_t gap = (piece_length - offset % piece_length) % piece_length;
    if (e.size > 0 && gap > 0 && (kind == v2_kind::hybrid || i < last_data)) {
      file_entry pad;
      pad.path = "t/.pad/" + std::to_string(gap);
      pad.size = gap;
      pad.offset = offset;
      pad.pad = true;
      ti->files.push_back(pad);
      offset += gap;
    }
  }
  ti->total_size = offset;
  content = make_content(offset, 52);
  for (const auto& f : ti->files)
    if (f.pad) std::fill_n(content.begin() + f.offset, f.size, 0);
  for (auto& f : ti->files) {
    if (f.pad || f.size == 0) continue;
    std::vector<sha256_hash> blocks;
    for (std::int64_t b = 0; b < f.size; b += block_size) {
      const auto n = static_cast<std::size_t>(std::min<std::int64_t>(block_size, f.size - b));
      blocks.push_back(sha256(std::as_bytes(std::span(content.data() + f.offset + b, n))));
    }
    auto h = merkle::hash_file(blocks, f.size, piece_length);
    f.pieces_root = h.pieces_root;
    if (with_layers && !h.piece_layer.empty()) ti->piece_layers[h.pieces_root] = h.piece_layer;
  }
  if (kind == v2_kind::hybrid) {
    for (std::int64_t p = 0; p * piece_length < offset; ++p) {
      const std::int64_t n = std::min(piece_length, offset - p * piece_length);
      ti->piece_hashes.push_back(
          sha1(std::as_bytes(std::span(content.data() + p * piece_length, static_cast<std::size_t>(n)))));
    }
    ti->info_hash.v1 = sha1(std::string_view(ti->name));
  }
  ti->info_hash.v2 = sha256(std::string_view(ti->name));
  return ti;
}

}  // namespace tessera::detail::test
