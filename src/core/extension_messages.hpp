// The extension protocol's handshake (BEP 10): the bencoded dictionary sent as extended message
// id 0, which maps extension names to the message ids the sender wants to receive, and carries
// the client name, listen port, request queue depth, metadata size and the address the sender
// sees us at. Pure: payload bytes in, values or error codes out. Also defines the error enum
// shared by the extension message codecs (ut_metadata.hpp, ut_pex.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "core/bencode.hpp"
#include "core/compact_peer.hpp"
#include "tessera/result.hpp"

namespace tessera::detail {

/// Why an extension message payload was rejected. Category name "tessera.extension".
enum class extension_errc {
  bad_bencode = 1,       ///< payload is not valid bencode (or too deep / too many items)
  not_a_dictionary,      ///< the top-level value is not a dictionary
  bad_metadata_size,     ///< `metadata_size` / `total_size` not in 1..max_metadata_size
  bad_msg_type,          ///< ut_metadata `msg_type` missing or not 0, 1 or 2
  bad_piece,             ///< ut_metadata `piece` missing, negative or beyond the metadata
  bad_piece_length,      ///< ut_metadata data of the wrong length for its piece
  metadata_size_mismatch,///< a data message's `total_size` differs from the known metadata size
  no_metadata_size,      ///< a piece arrived before the metadata size was known
  hash_mismatch,         ///< assembled metadata does not hash to the info-hash
  bad_compact_peers,     ///< a PEX peer list whose length is not a multiple of 6 (or 18)
};
const std::error_category& extension_category() noexcept;
inline std::error_code make_error_code(extension_errc e) { return {static_cast<int>(e), extension_category()}; }

/// Largest info dictionary accepted through ut_metadata, in bytes (BEP 9 sets no limit; real
/// ones are at most a few MiB).
inline constexpr std::int64_t max_metadata_size = 16 * 1024 * 1024;
/// Largest extension message payload we parse, in bytes (a data message is 16 KiB + its dict).
inline constexpr std::size_t max_extension_payload = 1024 * 1024;
/// Extended message id of the handshake itself (BEP 10).
inline constexpr std::uint8_t extended_handshake_id = 0;

/// The extended handshake (BEP 10). Every field is optional on the wire; absent or invalid
/// values read as "not given" rather than failing the whole handshake, as BEP 10 asks receivers
/// to ignore what they do not understand.
struct extension_handshake {
  /// Message id the sender wants for ut_metadata (BEP 9); 0 = not supported or disabled.
  std::uint8_t ut_metadata = 0;
  /// Message id the sender wants for ut_pex (BEP 11); 0 = not supported or disabled.
  std::uint8_t ut_pex = 0;
  /// `v`: client name and version, UTF-8, at most max_client_name bytes kept.
  std::string client;
  /// `p`: the sender's TCP listen port; nullopt when absent or not in 1..65535.
  std::optional<std::uint16_t> listen_port;
  /// `reqq`: how many outstanding requests the sender queues; nullopt when absent or not in
  /// 1..max_reqq. Bounds our request pipeline to that peer.
  std::optional<std::int32_t> reqq;
  /// `metadata_size` in bytes (BEP 9); nullopt when absent. A value outside 1..max_metadata_size
  /// fails the parse (extension_errc::bad_metadata_size): such a peer cannot give us metadata.
  std::optional<std::int64_t> metadata_size;
  /// `yourip`: our address as the sender sees it (port 0); nullopt unless 4 or 16 bytes.
  std::optional<peer_endpoint> yourip;
  /// BEP 21 `upload_only`: the sender is a seed or partial seed that will not download.
  bool upload_only = false;

  static constexpr std::size_t max_client_name = 256;
  static constexpr std::int32_t max_reqq = 100000;

  bool operator==(const extension_handshake&) const = default;
};

/// Parses an extended handshake payload (the bytes after the extended message id 0).
/// Errors: extension_errc (bad_bencode, not_a_dictionary, bad_metadata_size).
result<extension_handshake> parse_extension_handshake(std::string_view payload);

/// Encodes `h` as a bencoded dictionary; fields that are 0 / empty / nullopt are left out
/// (except `m`, always present so the peer knows we speak BEP 10).
std::string make_extension_handshake(const extension_handshake& h);

/// Decoding limits for extension payloads: shallow, few items.
bdecode_limits extension_bdecode_limits();

}  // namespace tessera::detail

template <>
struct std::is_error_code_enum<tessera::detail::extension_errc> : std::true_type {};
