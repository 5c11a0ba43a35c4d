// Decoding one UTF-8 code point (RFC 3629), strictly: what the metainfo path sanitiser needs to
// tell text from bytes that only look like it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tessera::detail {

/// One decoded code point and the bytes it took.
struct utf8_char {
  std::int32_t code_point = -1;  ///< -1: the bytes at that position are not valid UTF-8
  std::size_t length = 1;        ///< bytes consumed: 1..4; 1 for an invalid byte
};

/// Decodes the code point starting at s[pos] (pos < s.size()). Overlong forms, UTF-16 surrogates
/// (U+D800..U+DFFF), values above U+10FFFF, stray continuation bytes and truncated sequences are
/// invalid: code_point -1 and length 1, so a caller replacing invalid input goes on with the next
/// byte. Reads at most 4 bytes.
constexpr utf8_char decode_utf8(std::string_view s, std::size_t pos) {
  const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(s[pos + i]); };
  const std::uint8_t b0 = byte(0);
  if (b0 < 0x80) return {b0, 1};
  std::size_t len = 0;
  std::int32_t cp = 0;
  std::int32_t min = 0;
  if ((b0 & 0xe0) == 0xc0) {
    len = 2, cp = b0 & 0x1f, min = 0x80;
  } else if ((b0 & 0xf0) == 0xe0) {
    len = 3, cp = b0 & 0x0f, min = 0x800;
  } else if ((b0 & 0xf8) == 0xf0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return {};  // a continuation byte, or 0xf8..0xff
  }
  if (s.size() - pos < len) return {};
  for (std::size_t i = 1; i < len; ++i) {
    if ((byte(i) & 0xc0) != 0x80) return {};
    cp = (cp << 6) | (byte(i) & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return {};
  return {cp, len};
}

}  // namespace tessera::detail
