// libFuzzer target for .torrent parsing (BEP 3/12/19/27/47/52). A torrent that parses must satisfy
// what the rest of the engine relies on: safe relative paths within the path limits (no control
// character, valid UTF-8), consistent offsets and sizes, one hash per piece (v1), every non-empty
// file of a v2 torrent on a piece boundary with its pieces root, and info-hashes over the exact
// `info` bytes. It calls parse_torrent itself, so it runs with the production
// limits (core/metainfo_limits.hpp, tessera/torrent_info.hpp) by construction.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include "tessera/hasher.hpp"
#include "tessera/torrent_info.hpp"

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}

/// Valid UTF-8 without C0/DEL/C1 controls or bidirectional marks, written apart from the parser's decoder so that the
/// two check each other. Two-byte C1 controls are C2 80..C2 9F.
bool clean_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x20 || b == 0x7f) return false;
    if (b < 0x80) {
      ++i;
      continue;
    }
    const std::size_t len = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc2 ? 2 : 0;
    if (len == 0 || b > 0xf4 || s.size() - i < len) return false;
    for (std::size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (b == 0xc2 && b1 <= 0x9f) return false;                 // C1 control
    if (b == 0xe0 && b1 < 0xa0) return false;                  // overlong
    if (b == 0xed && b1 >= 0xa0) return false;                 // surrogate
    if (b == 0xf0 && b1 < 0x90) return false;                  // overlong
    if (b == 0xf4 && b1 >= 0x90) return false;                 // above U+10FFFF
    if (b == 0xe2) {  // bidirectional marks U+200E/F, U+202A..E, U+2066..9
      const auto b2 = static_cast<unsigned char>(s[i + 2]);
      if (b1 == 0x80 && (b2 == 0x8e || b2 == 0x8f || (b2 >= 0xaa && b2 <= 0xae))) return false;
      if (b1 == 0x81 && b2 >= 0xa6 && b2 <= 0xa9) return false;
    }
    i += len;
  }
  return true;
}

bool safe_relative_path(std::string_view p) {
  if (p.empty() || p.size() > tessera::max_path_bytes || p.front() == '/' || p.back() == '/') return false;
  if (p.find('\\') != std::string_view::npos || !clean_utf8(p)) return false;
  std::size_t start = 0;
  std::size_t components = 0;
  while (start <= p.size()) {
    std::size_t end = p.find('/', start);
    if (end == std::string_view::npos) end = p.size();
    const std::string_view c = p.substr(start, end - start);
    if (c.empty() || c == "." || c == ".." || c.size() > tessera::max_path_component_bytes) return false;
    ++components;
    start = end + 1;
  }
  return components <= tessera::max_path_components + 1;  // the name, then the `path` list
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto r = tessera::parse_torrent(std::as_bytes(std::span(data, size)));
  if (!r) return 0;
  const tessera::torrent_info& ti = *r;

  check(safe_relative_path(ti.name()) && ti.name().find('/') == std::string::npos);
  std::int64_t offset = 0;
  for (const auto& f : ti.files()) {
    check(safe_relative_path(f.path));
    check(f.size >= 0 && f.offset == offset);
    offset += f.size;
  }
  check(!ti.files().empty() && offset == ti.total_size());
  check(ti.piece_length() > 0);
  const std::int64_t pieces = (ti.total_size() + ti.piece_length() - 1) / ti.piece_length();
  check(ti.num_pieces() == pieces);
  check(ti.has_v1() || ti.has_v2());
  check(static_cast<std::int64_t>(ti.piece_hashes().size()) == (ti.has_v1() ? pieces : 0));
  if (ti.has_v2()) {
    check(ti.meta_version() == 2);
    for (const auto& f : ti.files()) {
      check(f.pieces_root.is_zero() == (f.pad || f.size == 0));
      if (!f.pad && f.size > 0) check(f.offset % ti.piece_length() == 0);
      if (!f.pad && f.size > ti.piece_length() && ti.piece_layers().count(f.pieces_root)) {
        const auto& layer = ti.piece_layers().at(f.pieces_root);
        check(static_cast<std::int64_t>(layer.size()) == (f.size + ti.piece_length() - 1) / ti.piece_length());
      }
    }
    check(tessera::sha256(ti.info_bytes()) == ti.info_hash().v2);
  } else {
    check(ti.meta_version() == 1 && ti.piece_layers().empty());
  }
  std::int64_t sum = 0;
  for (int p = 0; p < ti.num_pieces(); ++p) {
    const auto s = ti.piece_size(tessera::piece_index{p});
    check(s > 0 && s <= ti.piece_length());
    sum += s;
  }
  check(sum == ti.total_size());
  // The folder tree holds every real file at its own path (the parser refuses collisions), and
  // no padding file.
  const tessera::folder_tree& tree = ti.file_tree();
  for (std::size_t i = 0; i < ti.files().size(); ++i) {
    const auto& f = ti.files()[i];
    const auto n = tree.node_of_file(tessera::file_index{static_cast<std::int32_t>(i)});
    if (f.pad) {
      check(n == tessera::folder_tree::no_node);
      continue;
    }
    check(n != tessera::folder_tree::no_node && tree.is_file(n) && tree.find(f.path) == n);
  }

  check(ti.has_v1() ? tessera::sha1(ti.info_bytes()) == ti.info_hash().v1 : ti.info_hash().v1.is_zero());
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  check(in.find(ti.info_bytes()) != std::string_view::npos);
  return 0;
}
