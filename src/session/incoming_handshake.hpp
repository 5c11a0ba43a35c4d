// The handshake stage of an incoming peer connection, on a peer_stream (so that any transport
// can use it): tells a plaintext BitTorrent handshake from MSE/PE by the first bytes, runs the
// MSE responder (the torrent found among the session's info-hashes), and reads the peer's
// BitTorrent handshake, through the selected cipher (it may arrive inside MSE's initial payload).
#pragma once

#include <cstdint>
#include <functional>

#include <boost/asio/awaitable.hpp>

#include "core/encryption_mode.hpp"
#include "core/mse_handshake.hpp"
#include "core/wire.hpp"
#include "swarm/peer_stream.hpp"
#include "tessera/result.hpp"

namespace tessera::detail {

/// What the stage needs from the session.
struct incoming_handshake_context {
  /// The incoming policy: forced refuses plaintext handshakes (mse_errc::plaintext_refused) and
  /// MSE peers not offering RC4; the others accept both (core/encryption_mode.hpp).
  encryption_mode policy = encryption_mode::enabled;
  /// HASH('req2', h) -> h for every torrent of the session (add_mse_skeys). Not owned: it must
  /// outlive the stage's coroutine; it may change while the stage waits for bytes.
  const mse_skey_map* skeys = nullptr;
  /// Asked once per MSE peer before its Diffie-Hellman computation: false refuses the peer
  /// (std::errc::resource_unavailable_try_again). Unset: always allowed.
  std::function<bool()> allow_dh;
};

/// Runs the stage on `stream` (a freshly accepted connection, no cipher set). On success the
/// stream carries the selected cipher (RC4, or none) and holds, decrypted, every byte read past
/// the handshake; the handshake is returned (for an MSE peer it must name the torrent its SKEY
/// named, else std::errc::protocol_error). Errors: the stream's read/write error,
/// an mse_errc, the handshake parser's error. Memory: the MSE responder's bounds
/// (mse_handshake.hpp) plus 4 KiB of read buffer; time: the caller's deadline (close the stream).
boost::asio::awaitable<result<wire::handshake>> run_incoming_handshake(peer_stream& stream,
                                                                       incoming_handshake_context ctx);

}  // namespace tessera::detail
