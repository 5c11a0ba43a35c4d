// Magnet links (BEP 9): "magnet:?xt=urn:btih:<info-hash>&dn=<name>&tr=<tracker>&x.pe=<peer>...",
// and the v2 form "xt=urn:btmh:1220<v2 info-hash>" (BEP 52 "Magnet links"); a hybrid torrent's
// link carries both `xt` parameters.
// Parsing is pure (a string in, a value or an error code out) and never throws on bad input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "tessera/result.hpp"
#include "tessera/types.hpp"

namespace tessera {

/// Why a magnet URI was rejected. Category name "tessera.magnet".
enum class magnet_errc {
  not_magnet = 1,          ///< does not start with "magnet:?" (scheme compared case-insensitively)
  too_long,                ///< longer than max_magnet_uri_length
  bad_escape,              ///< a '%' not followed by two hex digits
  missing_info_hash,       ///< neither an `xt=urn:btih:` nor an `xt=urn:btmh:` parameter
  /// a `urn:btih:` value that is neither 40 hex digits nor 32 base32 characters, or a `urn:btmh:`
  /// value that is not "1220" + 64 hex digits (a multihash of another function than sha2-256,
  /// 0x12, or of another length than 32 bytes, 0x20, is refused too), or an all-zero hash
  bad_info_hash,
  conflicting_info_hash,   ///< two `urn:btih:` (or two `urn:btmh:`) parameters with different hashes
  bad_peer,                ///< an `x.pe` that is not host:port, [v6]:port or has a bad port
  bad_tracker,             ///< an empty `tr` or `ws` value
};
/// The category of magnet_errc values ("tessera.magnet"); one static object, any thread.
const std::error_category& magnet_category() noexcept;
/// Lets a magnet_errc compare with and convert to std::error_code.
inline std::error_code make_error_code(magnet_errc e) { return {static_cast<int>(e), magnet_category()}; }

/// Longest magnet URI accepted, in bytes (far above real links; bounds work on hostile input).
inline constexpr std::size_t max_magnet_uri_length = 64 * 1024;
/// At most this many `tr`, `ws` and `x.pe` values each are kept; the rest are ignored.
inline constexpr std::size_t max_magnet_list_entries = 200;

/// A peer from `x.pe` (BEP 9): a host name, an IPv4 literal or an IPv6 literal (without the
/// brackets) and a port in 1..65535. Not resolved here.
struct magnet_peer {
  std::string host;        ///< host name or IP literal (IPv6 without brackets)
  std::uint16_t port = 0;  ///< TCP port, 1..65535
  bool operator==(const magnet_peer&) const = default;
};

/// The contents of a magnet link. Parameters we do not know are ignored.
struct magnet_link {
  /// `v1` from `xt=urn:btih:`, `v2` from `xt=urn:btmh:`; at least one is set, both for a hybrid.
  info_hash_t info_hash;
  std::string name;                       ///< `dn`, percent-decoded ('+' read as a space); may be empty
  std::vector<std::string> trackers;      ///< `tr`, decoded, in order, duplicates dropped
  std::vector<magnet_peer> peers;         ///< `x.pe`, in order, duplicates dropped
  std::vector<std::string> web_seeds;     ///< `ws` (BEP 19 URLs), decoded, duplicates dropped
  bool operator==(const magnet_link&) const = default;
};

/// Parses a magnet URI. A `urn:btih:` info-hash may be 40 hex digits or 32 base32 characters
/// (RFC 4648 alphabet, either case); a `urn:btmh:` one is the multihash "1220" (sha2-256, 32
/// bytes) + 64 hex digits, either case. `urn:btih:` and `urn:btmh:` in one link make a hybrid. Parameter names may carry a ".N" index suffix ("tr.1", "xt.2"), as
/// some clients write them. Errors: magnet_errc. Any thread; no allocation beyond the result.
result<magnet_link> parse_magnet(std::string_view uri);

/// Builds a magnet URI: `xt=urn:btih:` with v1 in lowercase hex when present, `xt=urn:btmh:1220`
/// + v2 in lowercase hex when present (both for a hybrid), then dn, tr, ws and x.pe, each value
/// percent-encoded so that parse_magnet(make_magnet_uri(m)) == m for a valid `m`.
std::string make_magnet_uri(const magnet_link& m);

}  // namespace tessera

template <>
struct std::is_error_code_enum<tessera::magnet_errc> : std::true_type {};
