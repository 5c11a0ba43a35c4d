// Strong types shared by every layer: indexes, hashes, peer ids, byte counts.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace tessera {

/// An index that cannot be mixed up with another kind of index (a piece index is not a file
/// index). `Tag` only distinguishes the types; `value` is the plain number.
template <class Tag, class T = std::int32_t>
struct strong_index {
  T value{};  ///< the plain number

  constexpr strong_index() = default;  ///< index 0
  constexpr explicit strong_index(T v) : value(v) {}  ///< explicit: no silent int -> index
  /// Compares the numbers; only indexes of the same kind compare.
  constexpr auto operator<=>(const strong_index&) const = default;
  constexpr strong_index& operator++() { ++value; return *this; }
  constexpr strong_index operator++(int) { auto old = *this; ++value; return old; }
};

/// Index of a piece in a torrent, 0-based (BEP 3 "index").
using piece_index = strong_index<struct piece_index_tag>;
/// Index of a file in a torrent's file list, 0-based, in metainfo order (padding files included).
using file_index = strong_index<struct file_index_tag>;
/// Index of a 16 KiB block inside one piece, 0-based.
using block_index = strong_index<struct block_index_tag>;

/// Size of a block: the unit of `request` and `piece` messages (BEP 3 recommends 2^14 bytes).
inline constexpr std::int32_t block_size = 16 * 1024;

/// A 20-byte SHA-1 digest: a v1 info-hash or a piece hash.
struct sha1_hash {
  std::array<std::uint8_t, 20> bytes{};  ///< the digest, most significant byte first

  /// Byte-wise (lexicographic) order, so hashes can key ordered containers.
  auto operator<=>(const sha1_hash&) const = default;
  /// 40 lowercase hex digits.
  std::string to_hex() const;
  /// The raw 20 bytes as a string (for bencoding and URL-encoding).
  std::string to_bytes() const { return {reinterpret_cast<const char*>(bytes.data()), bytes.size()}; }
  /// Parses 40 hex digits (either case); nullopt on any other input.
  static std::optional<sha1_hash> from_hex(std::string_view hex);
  /// Takes exactly 20 raw bytes; nullopt if `raw` has another length.
  static std::optional<sha1_hash> from_bytes(std::string_view raw);
  /// True for all 20 bytes zero: the default value, "no hash".
  bool is_zero() const { return *this == sha1_hash{}; }
};

/// The 20-byte peer id of the handshake (BEP 3). Ours is Azureus style: "-TS0001-" + 12 random
/// characters (see `make_peer_id`).
using peer_id = sha1_hash;

/// Returns a fresh peer id "-TSvvvv-" + 12 random alphanumerics; `version4` is four characters.
peer_id make_peer_id(std::string_view version4 = "0001");

}  // namespace tessera

template <class Tag, class T>
struct std::hash<tessera::strong_index<Tag, T>> {
  std::size_t operator()(const tessera::strong_index<Tag, T>& i) const noexcept {
    return std::hash<T>{}(i.value);
  }
};

template <>
struct std::hash<tessera::sha1_hash> {
  std::size_t operator()(const tessera::sha1_hash& h) const noexcept {
    std::size_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | h.bytes[i];
    return v;
  }
};
