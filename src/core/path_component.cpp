#include "core/path_component.hpp"

#include "core/utf8.hpp"
#include "tessera/torrent_info.hpp"

namespace tessera::detail {

namespace {

/// Longest suffix (from the last '.') kept when a long name is truncated: enough for every real
/// extension, short enough that most of the name survives.
constexpr std::size_t max_kept_extension_bytes = 16;

/// Cuts the component out[start..] to max_path_component_bytes, keeping a short extension.
void truncate_component(std::string& out, std::size_t start) {
  const std::string_view comp = std::string_view(out).substr(start);
  std::string_view ext;
  if (const auto dot = comp.rfind('.'); dot != comp.npos && dot > 0 &&
                                        comp.size() - dot <= max_kept_extension_bytes) {
    ext = comp.substr(dot);
  }
  std::size_t cut = max_path_component_bytes - ext.size();
  // The sanitised text is valid UTF-8: step back over continuation bytes to a code point start.
  while (cut > 0 && (static_cast<unsigned char>(comp[cut]) & 0xc0) == 0x80) --cut;
  const std::string kept_ext(ext);  // `ext` views `out`, which is about to change
  out.resize(start + cut);
  out += kept_ext;
}

}  // namespace

bool is_replaced_in_path(std::int32_t cp) {
  if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f)) return true;
  return cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

bool append_path_component(std::string& out, std::string_view raw) {
  if (raw.empty() || raw == "." || raw == "..") return false;
  if (raw.find_first_of(std::string_view("/\\\0", 3)) != raw.npos) return false;
  const std::size_t start = out.size();
  out.reserve(start + raw.size());
  for (std::size_t i = 0; i < raw.size();) {
    const utf8_char c = decode_utf8(raw, i);
    if (c.code_point < 0 || is_replaced_in_path(c.code_point)) {
      out += '_';
    } else {
      out.append(raw.substr(i, c.length));
    }
    i += c.length;
  }
  if (out.size() - start > max_path_component_bytes) truncate_component(out, start);
  return true;
}

}  // namespace tessera::detail
