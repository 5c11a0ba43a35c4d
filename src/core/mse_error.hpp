// Why an MSE/PE (message stream encryption) handshake failed: one value per rule of the
// specification a peer can break, plus our own limits (docs/hardening.md, "MSE handshake").
#pragma once

#include <system_error>

namespace tessera::detail {

/// MSE handshake failures. Category name "tessera.mse". Every value closes the connection; none
/// is retried in the same connection.
enum class mse_errc {
  /// the peer's Diffie-Hellman public key is not in 2..P-2 (0, 1 and P-1 give a guessable
  /// secret; P or more is not a residue at all)
  bad_public_key = 1,
  /// responder: no HASH('req1', S) within the first 512 bytes after the initiator's public key
  /// (PadA is at most 512 bytes, so the hash must start by then)
  req1_not_found,
  /// responder: HASH('req2', SKEY) xor HASH('req3', S) names no info-hash of the session
  unknown_info_hash,
  /// responder: the verification constant decrypted with the derived key is not 8 zero bytes
  /// (the initiator used another key or sent garbage)
  bad_verification_constant,
  /// initiator: the encrypted verification constant does not start within 512 bytes after the
  /// responder's public key (PadB is at most 512 bytes)
  vc_not_found,
  /// len(PadC) (responder) or len(PadD) (initiator) above 512
  bad_pad_length,
  /// responder: len(IA) above max_initial_payload
  initial_payload_too_long,
  /// responder: crypto_provide offers no method our incoming policy accepts (e.g. plaintext
  /// only while encryption is forced, or no known bit at all)
  no_common_method,
  /// initiator: crypto_select is not exactly one of the methods we offered
  bad_crypto_select,
  /// a plaintext BitTorrent handshake arrived while the incoming policy is forced
  plaintext_refused,
  /// OpenSSL gives no RC4 (its "legacy" provider is missing): MSE cannot run at all
  rc4_unavailable,
};

/// The category of mse_errc values; one static object, any thread.
const std::error_category& mse_category() noexcept;
inline std::error_code make_error_code(mse_errc e) { return {static_cast<int>(e), mse_category()}; }

}  // namespace tessera::detail

template <>
struct std::is_error_code_enum<tessera::detail::mse_errc> : std::true_type {};
