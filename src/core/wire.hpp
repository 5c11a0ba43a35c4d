// The BEP 3 peer wire protocol as a pure codec: handshake and length-prefixed messages over bytes.
// Decoding never allocates for payloads: spans in a decoded message point into the input buffer and
// are valid only as long as it is.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>
#include <variant>
#include <vector>

#include "core/hash_messages.hpp"
#include "tessera/result.hpp"
#include "tessera/types.hpp"

namespace tessera::detail::wire {

/// Why bytes from a peer were rejected. Category name "tessera.wire".
enum class wire_errc {
  bad_protocol = 1,     ///< handshake does not start with "\x13BitTorrent protocol"
  message_too_long,     ///< length prefix above the caller's limit
  bad_message_length,   ///< a fixed-size message (choke, have, request...) with the wrong length
};
const std::error_category& wire_category() noexcept;
inline std::error_code make_error_code(wire_errc e) { return {static_cast<int>(e), wire_category()}; }

inline constexpr std::size_t handshake_length = 68;

/// BEP 3 handshake: pstr, 8 reserved bytes, info-hash, peer id.
struct handshake {
  std::array<std::uint8_t, 8> reserved{};
  /// The 20 bytes that name the torrent (BEP 3; for a v2 swarm the v2 info-hash truncated, BEP
  /// 52): what we send is info_hash_t::best(); what we receive is matched with
  /// info_hash_t::matches().
  sha1_hash info_hash;
  peer_id id;  ///< the sender's peer id
  bool supports_extensions() const { return reserved[5] & 0x10; }  ///< BEP 10
  bool supports_fast() const { return reserved[7] & 0x04; }        ///< BEP 6 (set in ours)
  bool supports_dht() const { return reserved[7] & 0x01; }         ///< BEP 5
  /// BEP 52 ("Upgrade Path"): the sender supports v2 torrents and the hash messages 21-23.
  bool supports_v2() const { return reserved[7] & 0x10; }
};
/// Appends the 68 handshake bytes.
void write_handshake(std::vector<std::uint8_t>& out, const handshake& h);
/// Parses the first 68 bytes of `in` (which must hold at least 68).
result<handshake> parse_handshake(std::span<const std::uint8_t> in);

enum class msg_id : std::uint8_t {
  choke = 0, unchoke = 1, interested = 2, not_interested = 3, have = 4, bitfield = 5,
  request = 6, piece = 7, cancel = 8, port = 9,
  suggest_piece = 0x0D, have_all = 0x0E, have_none = 0x0F, reject_request = 0x10,
  allowed_fast = 0x11,  ///< BEP 6 (Fast Extension), only between peers that both set its bit
  extended = 20,
  hash_request = 21, hashes = 22, hash_reject = 23,  ///< BEP 52 (core/hash_messages.hpp)
};

struct keep_alive { bool operator==(const keep_alive&) const = default; };
struct choke { bool operator==(const choke&) const = default; };
struct unchoke { bool operator==(const unchoke&) const = default; };
struct interested { bool operator==(const interested&) const = default; };
struct not_interested { bool operator==(const not_interested&) const = default; };
struct have { piece_index piece; bool operator==(const have&) const = default; };
struct bitfield { std::span<const std::uint8_t> bits; };
/// `request` and `cancel` share a shape: piece, byte offset inside it, length in bytes.
struct request {
  piece_index piece; std::int32_t begin = 0; std::int32_t length = 0;
  bool operator==(const request&) const = default;
};
struct cancel {
  piece_index piece; std::int32_t begin = 0; std::int32_t length = 0;
  bool operator==(const cancel&) const = default;
};
struct piece { piece_index piece; std::int32_t begin = 0; std::span<const std::uint8_t> data; };
struct port { std::uint16_t port = 0; bool operator==(const struct port&) const = default; };  ///< BEP 5
struct extended { std::uint8_t id = 0; std::span<const std::uint8_t> payload; };          ///< BEP 10
// BEP 6 (Fast Extension). The codec decodes them whatever the handshakes said; whether the
// extension was negotiated is the connection's check (a peer that did not set the bit and sends
// one of them is closed).
/// `suggest piece` (0x0D, 5 bytes): advisory, the sender suggests downloading `piece`.
struct suggest_piece { piece_index piece; bool operator==(const suggest_piece&) const = default; };
/// `have all` (0x0E, 1 byte): the sender has every piece; in place of a bitfield.
struct have_all { bool operator==(const have_all&) const = default; };
/// `have none` (0x0F, 1 byte): the sender has no piece; in place of a bitfield.
struct have_none { bool operator==(const have_none&) const = default; };
/// `reject request` (0x10, 13 bytes): the sender will not serve our request (piece, begin, length).
struct reject_request {
  piece_index piece; std::int32_t begin = 0; std::int32_t length = 0;
  bool operator==(const reject_request&) const = default;
};
/// `allowed fast` (0x11, 5 bytes): the sender serves requests of `piece` even while it chokes us.
struct allowed_fast { piece_index piece; bool operator==(const allowed_fast&) const = default; };
/// BEP 52 `hash request` (21) and `hash reject` (23): the 48-byte payload decoded and its fields
/// range-checked by core/hash_messages (decode_hash_request); whether it fits a file's tree is the
/// receiver's check (check_request).
struct hash_request_msg { detail::hash_request request; };
struct hash_reject_msg { detail::hash_request request; };
/// BEP 52 `hashes` (22): the header decoded and checked as a request's, and the payload's length
/// checked to be exactly the header plus 32 bytes per hash it implies (length + uncle_count).
/// `payload` is the whole payload after the id (header included), for decode_hashes, which
/// copies the hashes out; valid as long as the input buffer.
struct hashes_msg { detail::hash_request request; std::span<const std::uint8_t> payload; };
/// Any other id: skipped, not fatal.
/// `payload` is what of it was in the input (all of it unless decode_result::skip is set).
struct unknown { std::uint8_t id = 0; std::span<const std::uint8_t> payload; };

using message = std::variant<keep_alive, choke, unchoke, interested, not_interested, have, bitfield,
                             request, piece, cancel, port, extended, hash_request_msg, hashes_msg,
                             hash_reject_msg, suggest_piece, have_all, have_none, reject_request,
                             allowed_fast, unknown>;

/// Outcome of decoding the front of a receive buffer.
struct decode_result {
  std::size_t consumed = 0;  ///< bytes used by `msg`; 0 means "need more bytes" (or an error)
  message msg;
  /// Set on malformed input: the peer should be disconnected. wire_errc, or hash_errc for a BEP 52
  /// hash message whose payload core/hash_messages refuses.
  std::error_code ec;
  /// When more bytes are needed: the total the whole message will take (length prefix + body),
  /// or 4 when even the prefix is incomplete. Lets the reader size its next read.
  std::size_t needed = 0;
  /// Set when the front message has an id this codec does not know and is not complete in the
  /// input: `msg` is `unknown` with the payload bytes present, `consumed` is the whole input, and
  /// the next `skip` bytes to arrive belong to the same message: the reader discards them as they
  /// stream in instead of buffering up to `max_length` bytes only to drop them. 0 otherwise.
  std::size_t skip = 0;
};

/// Decodes one message from the front of `in`. `max_length` bounds the length prefix (body size)
/// and should be max(16 KiB + 9, bitfield bytes + 1) plus what extensions need; it applies to
/// unknown ids too (a longer one is an error, even though its bytes would only be skipped).
decode_result decode_message(std::span<const std::uint8_t> in, std::uint32_t max_length);

// Encoders append one complete message (length prefix included) to `out`.
void write_keep_alive(std::vector<std::uint8_t>& out);
void write_choke(std::vector<std::uint8_t>& out);
void write_unchoke(std::vector<std::uint8_t>& out);
void write_interested(std::vector<std::uint8_t>& out);
void write_not_interested(std::vector<std::uint8_t>& out);
void write_have(std::vector<std::uint8_t>& out, piece_index p);
void write_bitfield(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> bits);
void write_request(std::vector<std::uint8_t>& out, const request& r);
void write_cancel(std::vector<std::uint8_t>& out, const cancel& c);
/// The 13-byte header of a `piece` message carrying `length` bytes of data (sent separately).
void write_piece_header(std::vector<std::uint8_t>& out, piece_index p, std::int32_t begin, std::int32_t length);
void write_port(std::vector<std::uint8_t>& out, std::uint16_t port);
void write_extended(std::vector<std::uint8_t>& out, std::uint8_t id, std::span<const std::uint8_t> payload);
// BEP 6; to send only when both handshakes set reserved[7] & 0x04.
void write_suggest_piece(std::vector<std::uint8_t>& out, piece_index p);
void write_have_all(std::vector<std::uint8_t>& out);
void write_have_none(std::vector<std::uint8_t>& out);
void write_reject_request(std::vector<std::uint8_t>& out, const reject_request& r);
void write_allowed_fast(std::vector<std::uint8_t>& out, piece_index p);

}  // namespace tessera::detail::wire

template <>
struct std::is_error_code_enum<tessera::detail::wire::wire_errc> : std::true_type {};
