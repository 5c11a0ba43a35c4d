// libFuzzer target for .torrent parsing (BEP 3/12/19/27/47). A torrent that parses must satisfy
// what the rest of the engine relies on: safe relative paths, consistent offsets and sizes, one
// hash per piece, and an info-hash over the exact `info` bytes.
#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

#include "tessera/torrent_info.hpp"

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}

bool safe_relative_path(std::string_view p) {
  if (p.empty() || p.front() == '/' || p.back() == '/') return false;
  if (p.find('\\') != std::string_view::npos || p.find('\0') != std::string_view::npos) return false;
  std::size_t start = 0;
  while (start <= p.size()) {
    std::size_t end = p.find('/', start);
    if (end == std::string_view::npos) end = p.size();
    const std::string_view c = p.substr(start, end - start);
    if (c.empty() || c == "." || c == "..") return false;
    start = end + 1;
  }
  return true;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto r = tessera::parse_torrent(std::as_bytes(std::span(data, size)));
  if (!r) return 0;
  const tessera::torrent_info& ti = *r;

  std::int64_t offset = 0;
  for (const auto& f : ti.files) {
    check(safe_relative_path(f.path));
    check(f.size >= 0 && f.offset == offset);
    offset += f.size;
  }
  check(!ti.files.empty() && offset == ti.total_size);
  check(ti.piece_length > 0);
  const std::int64_t pieces = (ti.total_size + ti.piece_length - 1) / ti.piece_length;
  check(ti.num_pieces() == pieces);
  std::int64_t sum = 0;
  for (int p = 0; p < ti.num_pieces(); ++p) {
    const auto s = ti.piece_size(tessera::piece_index{p});
    check(s > 0 && s <= ti.piece_length);
    sum += s;
  }
  check(sum == ti.total_size);

  tessera::sha1_hash h;
  unsigned int len = 0;
  check(EVP_Digest(ti.info_bytes.data(), ti.info_bytes.size(), h.bytes.data(), &len, EVP_sha1(),
                   nullptr) == 1);
  check(h == ti.info_hash);
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  check(in.find(ti.info_bytes) != std::string_view::npos);
  return 0;
}
