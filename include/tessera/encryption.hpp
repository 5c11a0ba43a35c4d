// MSE/PE (message stream encryption) policy of peer connections, the public form of the
// session setting (session_settings::encryption).
#pragma once

#include <cstdint>

namespace tessera {

/// How much a direction insists on encryption. The names follow libtorrent's (pe_disabled,
/// pe_enabled, pe_forced); the meaning follows Transmission's `encryption` setting they map to
/// (tolerated, preferred, required), so that a Transmission RPC client sees the behaviour it
/// asked for.
enum class encryption_mode : std::uint8_t {
  /// Transmission "tolerated": outgoing connections send a plaintext BitTorrent handshake;
  /// incoming ones may be plaintext or MSE, and an MSE peer offering plaintext gets plaintext.
  disabled,
  /// Transmission "preferred": outgoing connections start MSE offering RC4 and plaintext (a
  /// peer that drops the attempt is retried once in plaintext); incoming ones may be plaintext
  /// or MSE, and an MSE peer offering RC4 gets RC4.
  enabled,
  /// Transmission "required": outgoing connections start MSE offering RC4 only; incoming
  /// plaintext handshakes are refused and MSE peers must offer RC4.
  forced,
};

}  // namespace tessera
