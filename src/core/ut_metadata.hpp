// The metadata exchange extension (BEP 9, ut_metadata): request / data / reject messages for
// 16 KiB pieces of the info dictionary, and a pure assembler that collects the pieces and checks
// the result against the info-hash. No I/O; the swarm layer sends and receives the messages.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "core/extension_messages.hpp"
#include "tessera/result.hpp"
#include "tessera/types.hpp"

namespace tessera::detail {

/// Size of one metadata piece in bytes; every piece but the last has exactly this size (BEP 9).
inline constexpr std::int64_t metadata_piece_size = 16 * 1024;

/// BEP 9 `msg_type`.
enum class metadata_msg_type : std::uint8_t { request = 0, data = 1, reject = 2 };

/// One ut_metadata message. For `data`, `data` views the raw piece bytes that follow the
/// dictionary in the payload (valid as long as the payload is); `total_size` is set only for data.
struct metadata_message {
  metadata_msg_type type = metadata_msg_type::request;
  std::int32_t piece = 0;          ///< 0-based metadata piece index
  std::int64_t total_size = 0;     ///< bytes of the whole info dictionary (data messages)
  std::string_view data;           ///< the piece bytes (data messages), else empty
};

/// Number of metadata pieces for `metadata_size` bytes (0 for a size outside 1..max_metadata_size).
std::int32_t metadata_piece_count(std::int64_t metadata_size);

/// Parses a ut_metadata payload (the bytes after the extended message id). The dictionary is
/// read with bdecode_prefix; for `data` the rest of the payload is the piece, for request and
/// reject any trailing bytes are ignored. Validates `piece` >= 0 and below the piece count of
/// max_metadata_size (for data: of `total_size`), `total_size` in 1..max_metadata_size, and the
/// data length against the piece (16 KiB, or the remainder for the last). Errors: extension_errc.
result<metadata_message> parse_metadata_message(std::string_view payload);

/// Encoders: the payload to send after the peer's ut_metadata extended message id.
std::string make_metadata_request(std::int32_t piece);
std::string make_metadata_reject(std::int32_t piece);
/// `data` is the piece's bytes; `total_size` the size of the whole info dictionary.
std::string make_metadata_data(std::int32_t piece, std::int64_t total_size, std::string_view data);

/// Collects the pieces of an info dictionary fetched with ut_metadata and verifies it.
/// Single-threaded (the owner's strand); holds at most max_metadata_size bytes.
class metadata_assembler {
 public:
  /// Verifies against `info_hash`: its v1 (SHA-1, BEP 9) and its v2 (SHA-256, BEP 52), each when
  /// present. With neither, no metadata can ever pass.
  explicit metadata_assembler(const info_hash_t& info_hash) : info_hash_(info_hash) {}

  /// Sets the metadata size (from a peer's extended handshake). Errors: bad_metadata_size for a
  /// size outside 1..max_metadata_size. Setting the same size again keeps received pieces; a
  /// different size discards them (the peer that told us first may have lied).
  std::error_code set_size(std::int64_t size);
  bool has_size() const { return size_ > 0; }
  std::int64_t size() const { return size_; }                 ///< bytes, 0 before set_size
  std::int32_t piece_count() const { return static_cast<std::int32_t>(have_.size()); }
  std::int32_t pieces_received() const { return received_; }
  bool have_piece(std::int32_t piece) const;
  /// Pieces not yet received, ascending: what to request next.
  std::vector<std::int32_t> missing_pieces() const;

  /// Accepts one piece's bytes. Returns false while pieces are missing (a duplicate is ignored),
  /// true when this piece completed the metadata and its hashes equal the info-hashes (SHA-1 =
  /// v1 when the torrent has v1, SHA-256 = v2 when it has v2); then
  /// take_info() yields the bytes. Errors: no_metadata_size, bad_piece, bad_piece_length,
  /// hash_mismatch (all pieces are dropped; the size is kept so the fetch can restart).
  result<bool> add_piece(std::int32_t piece, std::string_view data);
  /// Like add_piece for a parsed data message, also checking its total_size against size()
  /// (metadata_size_mismatch).
  result<bool> add_data(const metadata_message& msg);

  /// The verified info dictionary bytes once add_piece returned true; resets the assembler to
  /// the empty state without a size. Empty if the metadata is not complete.
  std::string take_info();
  /// Drops every received piece and the size.
  void reset();

 private:
  info_hash_t info_hash_;
  std::int64_t size_ = 0;
  std::string buffer_;        ///< size_ bytes once the size is known
  std::vector<bool> have_;    ///< one flag per piece
  std::int32_t received_ = 0;
  bool complete_ = false;
};

}  // namespace tessera::detail
