// BEP 29 (uTorrent transport protocol, uTP): the 20-byte packet header and its extension chain,
// as a pure codec over one UDP payload. core/utp_connection drives one connection with it; the
// transport (one UDP socket shared with the DHT) routes datagrams by connection id.
//
// Header, all integers big-endian:
//   byte 0      type (high 4 bits) | version (low 4 bits, always 1)
//   byte 1      type of the first extension (0 = none)
//   bytes 2-3   connection_id
//   bytes 4-7   timestamp_microseconds          (sender's clock when sent, low 32 bits)
//   bytes 8-11  timestamp_difference_microseconds (sender's clock minus the timestamp of the last
//                                                   packet it received, modulo 2^32)
//   bytes 12-15 wnd_size                         (bytes the sender can still receive)
//   bytes 16-17 seq_nr
//   bytes 18-19 ack_nr
// then each extension: next extension type (1 byte), length (1 byte), `length` bytes; then the
// payload. Extension 1 is the selective ACK (BEP 29 "extension"); others are skipped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>
#include <vector>

#include "tessera/result.hpp"

namespace tessera::detail {

/// Why a uTP datagram was refused, or why a connection ended. Category name "tessera.utp".
enum class utp_errc {
  /// fewer than the 20 bytes of the header
  truncated_header = 1,
  /// the version nibble is not 1
  bad_version,
  /// the type nibble is not one of ST_DATA..ST_SYN (0..4)
  bad_type,
  /// an extension's header or body runs past the end of the datagram
  truncated_extension,
  /// a selective ACK whose bitmask is empty, not a multiple of 4 bytes, or above max_sack_bytes
  bad_sack_length,
  /// two selective ACK extensions in one packet
  duplicate_sack,
  /// more than max_extensions extensions in one packet (a chain of empty extensions)
  too_many_extensions,
  /// (connection) the peer sent ST_RESET
  connection_reset,
  /// (connection) no acknowledgement for max_timeouts retransmission timeouts in a row
  timed_out,
  /// (connection) a SYN handed to utp_connection::accept that is not a SYN
  not_a_syn,
};
/// The category of utp_errc values; one static object, any thread.
const std::error_category& utp_category() noexcept;
inline std::error_code make_error_code(utp_errc e) { return {static_cast<int>(e), utp_category()}; }

/// Packet types (the header's high nibble).
enum class utp_type : std::uint8_t {
  data = 0,   ///< ST_DATA: payload, consumes a sequence number
  fin = 1,    ///< ST_FIN: the sender's last sequence number; consumes one
  state = 2,  ///< ST_STATE: an acknowledgement only; consumes none
  reset = 3,  ///< ST_RESET: the connection is gone
  syn = 4,    ///< ST_SYN: opens a connection; consumes one
};

inline constexpr std::uint8_t utp_version = 1;
inline constexpr std::size_t utp_header_size = 20;
/// The selective ACK extension's type (BEP 29).
inline constexpr std::uint8_t utp_sack_extension = 1;
/// Largest selective ACK bitmask we accept or send: 128 bytes cover 1,024 packets past ack_nr + 1,
/// more than our reorder buffer holds (utp_connection's max_reorder_packets).
inline constexpr std::size_t max_sack_bytes = 128;
/// Most extensions one packet may carry. The chain always advances (2 header bytes each), so
/// this bounds work per packet even below the datagram size; BEP 29 defines one extension.
inline constexpr std::size_t max_extensions = 8;

/// The fixed header. Values as on the wire (no wrap-around interpretation here).
struct utp_header {
  utp_type type = utp_type::data;
  std::uint16_t connection_id = 0;
  std::uint32_t timestamp_us = 0;       ///< timestamp_microseconds
  std::uint32_t timestamp_diff_us = 0;  ///< timestamp_difference_microseconds
  std::uint32_t wnd_size = 0;           ///< receive window, bytes
  std::uint16_t seq_nr = 0;
  std::uint16_t ack_nr = 0;
  bool operator==(const utp_header&) const = default;
};

/// A decoded datagram. `sack` and `payload` view the decoded buffer (the caller keeps it alive
/// while it uses them). Bit i of the selective ACK (byte i / 8, least significant bit first)
/// says packet ack_nr + 2 + i was received; empty when the packet has none.
struct utp_packet {
  utp_header header;
  std::span<const std::uint8_t> sack;
  std::span<const std::uint8_t> payload;
};

/// Decodes one UDP payload. Errors: truncated_header, bad_version, bad_type,
/// truncated_extension, bad_sack_length, duplicate_sack, too_many_extensions. Unknown extensions
/// are skipped whatever their length (within the datagram). Work is O(size).
result<utp_packet> decode_utp_packet(std::span<const std::uint8_t> datagram);

/// Appends one packet to `out`: the header, a selective ACK extension when `sack` is non-empty
/// (its size must be a multiple of 4 and at most max_sack_bytes; checked by assert), then
/// `payload`. decode_utp_packet of the result gives back `h`, `sack` and `payload`.
void encode_utp_packet(std::vector<std::uint8_t>& out, const utp_header& h,
                       std::span<const std::uint8_t> sack, std::span<const std::uint8_t> payload);

/// Sequence-number arithmetic modulo 2^16: how far `b` is after `a` (0..65535).
constexpr std::uint16_t seq_distance(std::uint16_t a, std::uint16_t b) {
  return static_cast<std::uint16_t>(b - a);
}
/// True when `a` comes before `b` in sequence space (b is at most 32,767 after a).
constexpr bool seq_less(std::uint16_t a, std::uint16_t b) {
  const std::uint16_t d = seq_distance(a, b);
  return d != 0 && d < 0x8000;
}

}  // namespace tessera::detail

template <>
struct std::is_error_code_enum<tessera::detail::utp_errc> : std::true_type {};
