// BEP 14 local service discovery: the BT-SEARCH announce message. Pure codec, no I/O.
//
//   BT-SEARCH * HTTP/1.1\r\n
//   Host: 239.192.152.143:6771\r\n
//   Port: 6881\r\n
//   Infohash: <40 hex digits>\r\n        (one or more, consecutive)
//   cookie: <opaque token>\r\n           (optional; lets a sender recognise its own announces)
//   \r\n
//   \r\n
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "tessera/result.hpp"
#include "tessera/types.hpp"

namespace tessera::detail {

/// Why a received LSD datagram was rejected. Category name "tessera.lsd".
enum class lsd_errc {
  too_large = 1,        ///< longer than lsd_max_message bytes
  bad_request_line,     ///< the first line is not "BT-SEARCH * HTTP/1.1"
  bad_header,           ///< a header line without ':', with control bytes, or too long a value
  truncated,            ///< no empty line ends the header block
  missing_port,         ///< no Port header
  bad_port,             ///< Port is not a decimal number in 1..65535, or appears twice
  missing_info_hash,    ///< no Infohash header
  bad_info_hash,        ///< an Infohash value is not 40 hex digits
  too_many_info_hashes, ///< more than lsd_max_info_hashes Infohash headers
};
const std::error_category& lsd_category() noexcept;
inline std::error_code make_error_code(lsd_errc e) { return {static_cast<int>(e), lsd_category()}; }

/// Largest datagram we build or accept, in bytes. BEP 14 asks senders to stay under 1400 bytes
/// (MTU); receivers get some slack for other implementations' longer Host or extra headers.
inline constexpr std::size_t lsd_max_sent_message = 1400;
inline constexpr std::size_t lsd_max_message = 2048;
/// Most Infohash headers accepted in one received announce.
inline constexpr std::size_t lsd_max_info_hashes = 32;
/// Longest cookie value accepted or sent, in bytes.
inline constexpr std::size_t lsd_max_cookie = 64;

/// One BT-SEARCH announce.
struct lsd_announce {
  std::string host;                   ///< the Host header: the group "addr:port" ("[v6]:port")
  std::uint16_t port = 0;             ///< the sender's BitTorrent listen port (TCP)
  std::vector<sha1_hash> info_hashes; ///< in message order, without duplicates
  std::string cookie;                 ///< empty when absent
};

/// Builds one message announcing every hash of `a.info_hashes` (the caller keeps the list short
/// enough, see build_lsd_announces). `a.cookie` is omitted when empty. Hex is lowercase. Pure.
std::string build_lsd_announce(const lsd_announce& a);

/// Builds as few messages as possible that together announce `a.info_hashes`, each at most
/// lsd_max_sent_message bytes (BEP 14: several Infohash headers per announce). Empty input gives
/// no message. Pure.
std::vector<std::string> build_lsd_announces(const lsd_announce& a);

/// Parses a received datagram. Header names are case-insensitive, values trimmed of spaces and
/// tabs, lines end in CRLF (a bare LF is tolerated), unknown headers are ignored, duplicate
/// info-hashes are dropped. Errors: lsd_errc (never throws, whatever the bytes). Pure.
result<lsd_announce> parse_lsd_announce(std::string_view datagram);

}  // namespace tessera::detail

template <>
struct std::is_error_code_enum<tessera::detail::lsd_errc> : std::true_type {};
