// Which connections use MSE/PE (message stream encryption), as a policy per direction, and its
// mapping to Transmission's `encryption` session setting. Pure functions: the session setting
// and the connect/accept code that consult them live in the transport.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "tessera/encryption.hpp"

namespace tessera::detail {

/// The crypto methods of MSE's crypto_provide / crypto_select bit field (32-bit big-endian on
/// the wire). Other bits are reserved: ignored in crypto_provide, refused in crypto_select.
inline constexpr std::uint32_t crypto_plaintext = 0x01;  ///< the stream after the handshake in clear
inline constexpr std::uint32_t crypto_rc4 = 0x02;        ///< the stream after the handshake RC4-encrypted

/// The method a handshake ended with.
enum class mse_method : std::uint8_t {
  plaintext,  ///< no MSE at all, or MSE with crypto_select = plaintext
  rc4,        ///< MSE with crypto_select = RC4
};

/// How much a direction insists on encryption (the public enum, tessera/encryption.hpp).
using encryption_mode = tessera::encryption_mode;

/// The mode for each direction (libtorrent's in_enc_policy / out_enc_policy). Transmission has
/// one setting for both (from_transmission sets both).
struct encryption_policy {
  encryption_mode incoming = encryption_mode::enabled;  ///< connections peers open to us
  encryption_mode outgoing = encryption_mode::enabled;  ///< connections we open
  bool operator==(const encryption_policy&) const = default;
};

/// Transmission's RPC string for `m`: "tolerated", "preferred" or "required".
std::string_view to_transmission(encryption_mode m);
/// The mode of Transmission's RPC string (exact, lower case); nullopt for any other string.
std::optional<encryption_mode> from_transmission(std::string_view s);

/// What we do when we open a connection in mode `m`.
struct outgoing_encryption {
  bool use_mse = false;                 ///< start with MSE (else a plaintext BitTorrent handshake)
  std::uint32_t crypto_provide = 0;     ///< the methods offered when use_mse (0 otherwise)
  bool retry_in_plaintext = false;      ///< after an MSE attempt fails, one plaintext attempt may follow
  bool operator==(const outgoing_encryption&) const = default;
};
outgoing_encryption outgoing_for(encryption_mode m);

/// True when a peer connecting to us with a plaintext BitTorrent handshake is accepted in
/// incoming mode `m` (every mode but forced).
bool accepts_plaintext(encryption_mode m);

/// The method a responder in incoming mode `m` selects from the initiator's crypto_provide:
/// disabled prefers plaintext, enabled prefers RC4, forced takes RC4 only. nullopt when
/// crypto_provide offers nothing acceptable (mse_errc::no_common_method).
std::optional<mse_method> select_method(encryption_mode m, std::uint32_t crypto_provide);

/// The crypto_provide / crypto_select bit of `m`.
constexpr std::uint32_t crypto_bit(mse_method m) { return m == mse_method::rc4 ? crypto_rc4 : crypto_plaintext; }

}  // namespace tessera::detail
