// Why a peer connection was closed by our side: the peer-level disconnect reasons. Network errors
// (connection refused, reset, end of file) are reported as the Asio/system error codes themselves,
// and malformed messages as tessera.wire codes; these values cover the protocol decisions.
#pragma once

#include <system_error>

namespace tessera::detail {

/// Category name "tessera.peer".
enum class peer_errc {
  info_hash_mismatch = 1,  ///< the peer's handshake names another torrent (BEP 3)
  handshake_rejected,      ///< the torrent refused the peer (peer_host::on_handshake returned false)
  self_connection,         ///< the peer id is our own: we connected to ourselves (set by the host)
  duplicate,               ///< the peer id is already connected to this torrent (set by the host)
  bad_bitfield,            ///< bitfield of the wrong length or with spare bits set (BEP 3)
  unexpected_bitfield,     ///< a later bitfield that drops a piece the peer announced before
  have_out_of_range,       ///< a have for a piece index outside the torrent
  bad_request,             ///< a request/cancel outside the torrent or above 16 KiB (BEP 3)
  timeout,                 ///< connect or handshake did not complete in time
  inactivity,              ///< nothing received for peer_connection_settings::inactivity_timeout
  closed_by_host,          ///< the torrent closed the connection (stopping, too many peers...)
  too_many_requests,       ///< the peer queued more requests than we accept
  invalid_requests,        ///< too many requests for pieces we do not have
  idle,                    ///< neither side interested for peer_connection_settings::idle_timeout
  both_seeds,              ///< we and the peer both have every piece: nothing to exchange
  pex_flood,               ///< more ut_pex messages than peer_connection_settings allows (BEP 11)
  metadata_mismatch,       ///< the metadata the peer sent did not hash to the info-hash (BEP 9)
  send_backlog,            ///< what we queued for the peer passed max_send_backlog_hard: it does not read
  send_stalled,            ///< a write to the peer took no byte for send_stall_timeout
  internal_error,          ///< an exception escaped the connection's code (a broken invariant)
  fast_not_negotiated,     ///< a BEP 6 message (have all/none, suggest, reject, allowed fast) from a peer without the bit
  unexpected_have_all,     ///< have all / have none after the peer's piece set was already given (BEP 6)
  unexpected_reject,       ///< a reject for a block we never requested (BEP 6)
  piece_out_of_range,      ///< a suggest piece or allowed fast for a piece index outside the torrent
};

const std::error_category& peer_category() noexcept;
inline std::error_code make_error_code(peer_errc e) { return {static_cast<int>(e), peer_category()}; }

}  // namespace tessera::detail

template <>
struct std::is_error_code_enum<tessera::detail::peer_errc> : std::true_type {};
