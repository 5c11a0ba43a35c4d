// The "tessera.peer" error category (peer_errc in peer_error.hpp).
#include "swarm/peer_error.hpp"

#include <string>

namespace tessera::detail {

namespace {
class peer_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tessera.peer"; }
  std::string message(int ev) const override {
    switch (static_cast<peer_errc>(ev)) {
      case peer_errc::info_hash_mismatch: return "peer handshake names another info-hash";
      case peer_errc::handshake_rejected: return "peer rejected after its handshake";
      case peer_errc::self_connection: return "connected to ourselves";
      case peer_errc::duplicate: return "peer id already connected";
      case peer_errc::bad_bitfield: return "bitfield of wrong length or with spare bits set";
      case peer_errc::unexpected_bitfield: return "bitfield without a piece the peer announced before";
      case peer_errc::have_out_of_range: return "have for a piece index outside the torrent";
      case peer_errc::bad_request: return "request or cancel outside the torrent or too long";
      case peer_errc::timeout: return "connect or handshake timed out";
      case peer_errc::inactivity: return "nothing received from the peer for too long";
      case peer_errc::closed_by_host: return "connection closed by the torrent";
      case peer_errc::too_many_requests: return "too many queued requests from the peer";
      case peer_errc::invalid_requests: return "too many requests for pieces we do not have";
      case peer_errc::idle: return "neither side interested for too long";
      case peer_errc::both_seeds: return "both sides are seeds";
      case peer_errc::pex_flood: return "too many peer exchange messages";
      case peer_errc::metadata_mismatch: return "metadata does not match the info-hash";
      case peer_errc::send_backlog: return "send backlog over its limit: the peer does not read";
      case peer_errc::send_stalled: return "the peer has not read anything for too long";
      case peer_errc::internal_error: return "internal error in the peer connection";
      case peer_errc::fast_not_negotiated: return "fast extension message without the fast extension";
      case peer_errc::unexpected_have_all: return "have all/have none after the piece set was known";
      case peer_errc::unexpected_reject: return "reject for a block never requested";
      case peer_errc::piece_out_of_range: return "suggested or allowed-fast piece outside the torrent";
    }
    return "unknown peer error";
  }
};
}  // namespace

const std::error_category& peer_category() noexcept {
  static const peer_category_impl category;
  return category;
}

}  // namespace tessera::detail
