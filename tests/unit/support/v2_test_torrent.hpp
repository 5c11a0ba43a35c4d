// An in-memory v2-only or hybrid torrent_info over given file contents, laid out as the parser
// lays them out (torrent_info's comment): each non-empty file on a piece boundary, padding
// between them. For tests of the engine's v2 piece verification; no bencode involved.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "core/merkle.hpp"
#include "core/torrent_info_builder.hpp"
#include "tessera/hasher.hpp"
#include "tessera/torrent_info.hpp"

namespace tessera::test_support {

struct v2_test_torrent {
  torrent_info ti;
  std::vector<std::uint8_t> stream;  ///< the torrent's byte stream, padding as zeros
};

inline std::vector<std::uint8_t> random_bytes(std::size_t n, unsigned seed) {
  std::vector<std::uint8_t> out(n);
  std::mt19937 rng(seed);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng());
  return out;
}

inline std::vector<sha256_hash> sha256_blocks(std::span<const std::uint8_t> data) {
  std::vector<sha256_hash> out;
  for (std::size_t at = 0; at < data.size(); at += block_size) {
    const std::size_t n = std::min<std::size_t>(block_size, data.size() - at);
    out.push_back(sha256(std::as_bytes(data.subspan(at, n))));
  }
  return out;
}

/// `contents`: the files in order (empty ones allowed). `hybrid`: v1 piece hashes too, with
/// BEP 47 pad files listed; else v2-only. `with_layers`: piece_layers filled (a .torrent), else
/// empty (a bare info dictionary, as a magnet's).
inline v2_test_torrent make_v2_torrent(const std::vector<std::vector<std::uint8_t>>& contents,
                                       std::int64_t piece_length, bool hybrid, bool with_layers = true) {
  v2_test_torrent t;
  tessera::detail::torrent_info_builder ti;
  ti.name = "v2test";
  ti.piece_length = piece_length;
  ti.meta_version = 2;
  ti.multi_file = true;
  for (std::size_t i = 0; i < contents.size(); ++i) {
    const auto& c = contents[i];
    if (!c.empty() && t.stream.size() % static_cast<std::size_t>(piece_length) != 0) {
      const std::size_t pad = static_cast<std::size_t>(piece_length) - t.stream.size() % static_cast<std::size_t>(piece_length);
      file_entry p;
      p.path = "v2test/.pad/" + std::to_string(pad);
      p.size = static_cast<std::int64_t>(pad);
      p.offset = static_cast<std::int64_t>(t.stream.size());
      p.pad = true;
      ti.files.push_back(p);
      t.stream.resize(t.stream.size() + pad, 0);
    }
    file_entry f;
    f.path = "v2test/f" + std::to_string(i);
    f.size = static_cast<std::int64_t>(c.size());
    f.offset = static_cast<std::int64_t>(t.stream.size());
    if (!c.empty()) {
      auto h = merkle::hash_file(sha256_blocks(c), f.size, piece_length);
      f.pieces_root = h.pieces_root;
      if (with_layers && !h.piece_layer.empty()) ti.piece_layers[h.pieces_root] = h.piece_layer;
    }
    ti.files.push_back(f);
    t.stream.insert(t.stream.end(), c.begin(), c.end());
  }
  ti.total_size = static_cast<std::int64_t>(t.stream.size());
  ti.info_hash.v2 = sha256(std::as_bytes(std::span(t.stream)));  // any non-zero name
  if (hybrid) {
    ti.info_hash.v1 = sha1(std::as_bytes(std::span(t.stream)));
    for (std::size_t at = 0; at < t.stream.size(); at += static_cast<std::size_t>(piece_length)) {
      const std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(piece_length), t.stream.size() - at);
      ti.piece_hashes.push_back(sha1(std::as_bytes(std::span(t.stream).subspan(at, n))));
    }
  }
  t.ti = std::move(ti).build();
  return t;
}

}  // namespace tessera::test_support
