// Strong types shared by every layer: indexes, hashes, peer ids, byte counts.
#pragma once

#include <algorithm>
#include <array>
#include <compare>
#include <cstddef>
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

/// A fixed-size digest of `N` bytes. `Tag` keeps digests of different meaning apart (a peer id is
/// not a SHA-1 hash, though both are 20 bytes); the aliases below are the ones in use.
template <std::size_t N, class Tag>
struct basic_digest {
  static constexpr std::size_t size = N;  ///< bytes
  std::array<std::uint8_t, N> bytes{};    ///< the digest, most significant byte first

  /// Byte-wise (lexicographic) order, so digests can key ordered containers.
  auto operator<=>(const basic_digest&) const = default;
  /// 2*N lowercase hex digits.
  std::string to_hex() const;
  /// The raw N bytes as a string (for bencoding and URL-encoding).
  std::string to_bytes() const { return {reinterpret_cast<const char*>(bytes.data()), bytes.size()}; }
  /// Parses 2*N hex digits (either case); nullopt on any other input.
  static std::optional<basic_digest> from_hex(std::string_view hex);
  /// Takes exactly N raw bytes; nullopt if `raw` has another length.
  static std::optional<basic_digest> from_bytes(std::string_view raw);
  /// True for all bytes zero: the default value, "no hash".
  bool is_zero() const { return *this == basic_digest{}; }
};

struct sha1_tag;    ///< basic_digest tag of SHA-1 digests
struct sha256_tag;  ///< basic_digest tag of SHA-256 digests
/// A 20-byte SHA-1 digest: a v1 info-hash, a v1 piece hash (BEP 3).
using sha1_hash = basic_digest<20, sha1_tag>;
/// A 32-byte SHA-256 digest: a v2 info-hash, a merkle tree node (BEP 52).
using sha256_hash = basic_digest<32, sha256_tag>;

extern template struct basic_digest<20, sha1_tag>;
extern template struct basic_digest<32, sha256_tag>;

/// The info-hashes of a torrent (BEP 52): `v1`, the SHA-1 of its info dictionary, and `v2`, the
/// SHA-256 of the same bytes. A v1 torrent has only v1, a v2-only torrent only v2, a hybrid both;
/// an absent one is all zeros (is_zero()).
struct info_hash_t {
  sha1_hash v1;    ///< zero when the torrent has no v1 part
  sha256_hash v2;  ///< zero when the torrent has no v2 part

  bool has_v1() const { return !v1.is_zero(); }
  bool has_v2() const { return !v2.is_zero(); }
  bool is_hybrid() const { return has_v1() && has_v2(); }
  /// The v2 info-hash truncated to its first 20 bytes: what a v2 swarm uses where 20 bytes are
  /// expected (handshake, tracker announce, DHT, LSD; BEP 52 "Peer protocol"). Zero without v2.
  sha1_hash v2_truncated() const {
    sha1_hash h;
    std::copy_n(v2.bytes.begin(), h.bytes.size(), h.bytes.begin());
    return h;
  }
  /// The 20 bytes that name the torrent where one is needed: v1 when present, else v2 truncated.
  sha1_hash best() const { return has_v1() ? v1 : v2_truncated(); }
  /// True when `h` (20 bytes from a handshake, tracker or DHT) names this torrent: v1 or v2
  /// truncated.
  bool matches(const sha1_hash& h) const {
    return !h.is_zero() && ((has_v1() && h == v1) || (has_v2() && h == v2_truncated()));
  }
  /// True when `other` names the same torrent: they share at least one hash (v1 or v2) and no
  /// hash both have differs. A hybrid's {v1, v2} and a v1 magnet's {v1} are the same torrent.
  bool same_torrent(const info_hash_t& other) const {
    const bool v1_both = has_v1() && other.has_v1(), v2_both = has_v2() && other.has_v2();
    return (v1_both || v2_both) && (!v1_both || v1 == other.v1) && (!v2_both || v2 == other.v2);
  }
  /// The torrent's name in text, where one hex string must name it (resume and .torrent file
  /// names, the daemon's catalogue, RPC `hashString`, CLI output): the 40 hex digits of v1 when
  /// present (unchanged for v1 torrents), else the 64 hex digits of v2; empty when neither.
  std::string to_hex() const { return has_v1() ? v1.to_hex() : has_v2() ? v2.to_hex() : std::string(); }
  /// Reads the form to_hex() writes: 40 hex digits -> v1, 64 hex digits -> v2 (either case);
  /// nullopt on any other input. A hybrid's to_hex() reads back as its v1 alone.
  static std::optional<info_hash_t> from_hex(std::string_view hex) {
    info_hash_t ih;
    if (auto h1 = sha1_hash::from_hex(hex)) ih.v1 = *h1;
    else if (auto h2 = sha256_hash::from_hex(hex)) ih.v2 = *h2;
    else return std::nullopt;
    return ih;
  }
  /// A v1-only info-hash (the form of every torrent before BEP 52).
  static info_hash_t from_v1(const sha1_hash& h) { return {h, {}}; }
  auto operator<=>(const info_hash_t&) const = default;
};

struct peer_id_tag;  ///< basic_digest tag of peer ids
/// The 20-byte peer id of the handshake and of tracker announces (BEP 3). Not a hash: a distinct
/// type, so it neither converts to nor compares with a sha1_hash. Ours is Azureus style:
/// "-TS0001-" + 12 random characters (see `make_peer_id`).
using peer_id = basic_digest<20, peer_id_tag>;

extern template struct basic_digest<20, peer_id_tag>;

/// Returns a fresh peer id "-TSvvvv-" + 12 random alphanumerics; `version4` is four characters.
peer_id make_peer_id(std::string_view version4 = "0001");

}  // namespace tessera

template <class Tag, class T>
struct std::hash<tessera::strong_index<Tag, T>> {
  std::size_t operator()(const tessera::strong_index<Tag, T>& i) const noexcept {
    return std::hash<T>{}(i.value);
  }
};

template <std::size_t N, class Tag>
struct std::hash<tessera::basic_digest<N, Tag>> {
  std::size_t operator()(const tessera::basic_digest<N, Tag>& h) const noexcept {
    std::size_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | h.bytes[i];
    return v;
  }
};

template <>
struct std::hash<tessera::info_hash_t> {
  std::size_t operator()(const tessera::info_hash_t& h) const noexcept {
    return std::hash<tessera::sha1_hash>{}(h.v1) ^ (std::hash<tessera::sha256_hash>{}(h.v2) * 31);
  }
};
