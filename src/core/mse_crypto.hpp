// The primitives of MSE/PE (message stream encryption, the Azureus/Vuze "Message Stream
// Encryption" specification that libtorrent, Transmission, qBittorrent and uTorrent speak):
// Diffie-Hellman over the specification's 768-bit prime with generator 2, the SHA-1 derived
// hashes and keys, and RC4 with the first 1,024 bytes of keystream discarded. Pure: bytes in,
// bytes out. core/mse_handshake.hpp runs the handshake on top of these.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <system_error>

#include "tessera/result.hpp"
#include "tessera/types.hpp"

struct evp_cipher_ctx_st;  // OpenSSL's EVP_CIPHER_CTX

namespace tessera::detail {

/// A Diffie-Hellman private key: 160 random bits, big-endian (the specification's Xa / Xb).
using dh_private_key = std::array<std::uint8_t, 20>;
/// A public key Y = 2^X mod P, or the shared secret S = Y'^X mod P: 96 bytes big-endian,
/// zero-padded on the left (the length the specification sends and hashes).
using dh_public_key = std::array<std::uint8_t, 96>;
using dh_secret = std::array<std::uint8_t, 96>;

/// Bytes of a public key on the wire.
inline constexpr std::size_t dh_key_bytes = 96;

/// 2^x mod P for the private key `x`. Throws std::bad_alloc when OpenSSL cannot allocate.
dh_public_key dh_public(const dh_private_key& x);

/// The shared secret S = peer^x mod P. Fails with mse_errc::bad_public_key when `peer` (96
/// bytes big-endian) is not in 2..P-2. Throws std::bad_alloc when OpenSSL cannot allocate.
result<dh_secret> dh_shared_secret(const dh_private_key& x, std::span<const std::uint8_t, dh_key_bytes> peer);

/// HASH(label, S): SHA-1 over the ASCII label and the 96-byte secret ('req1', 'req3').
sha1_hash mse_hash(std::string_view label, const dh_secret& s);
/// HASH('req2', SKEY): how the initiator names the torrent without showing its info-hash. The
/// responder keeps one per torrent (v1 and truncated v2 hash) to find SKEY (mse_handshake.hpp).
sha1_hash mse_req2(const sha1_hash& skey);
/// The RC4 key HASH(label, S, SKEY) for label "keyA" (initiator to responder) or "keyB"
/// (responder to initiator).
sha1_hash mse_key(std::string_view label, const dh_secret& s, const sha1_hash& skey);

/// Empty when OpenSSL provides RC4 (its "legacy" provider, loaded into a library context of our
/// own so that the process's default context is not changed), else mse_errc::rc4_unavailable.
/// The provider is loaded and the cipher fetched once per process; any thread.
std::error_code rc4_available();

/// RC4 (Rivest's stream cipher, RFC 6229 vectors) through OpenSSL: a keystream XORed onto
/// data in place, encryption and decryption alike. Movable, not copyable; one object per
/// direction of a connection, used by one thread at a time.
class rc4 {
 public:
  /// RC4 keyed with `key` (1..256 bytes) at keystream offset 0. Fails with
  /// mse_errc::rc4_unavailable when OpenSSL has no RC4, std::errc::invalid_argument for a key
  /// of another length. Throws std::bad_alloc when OpenSSL cannot allocate.
  static result<rc4> create(std::span<const std::uint8_t> key);
  /// MSE's cipher: keyed with the 20-byte `key` (mse_key), the first 1,024 bytes discarded.
  static result<rc4> mse(const sha1_hash& key);

  ~rc4();
  rc4(rc4&& other) noexcept;
  rc4& operator=(rc4&& other) noexcept;
  rc4(const rc4&) = delete;
  rc4& operator=(const rc4&) = delete;

  /// XORs the next data.size() bytes of keystream onto `data` (nothing on a moved-from object).
  void apply(std::span<std::uint8_t> data);
  /// Advances the keystream by `n` bytes.
  void discard(std::size_t n);

 private:
  explicit rc4(evp_cipher_ctx_st* ctx) : ctx_(ctx) {}
  evp_cipher_ctx_st* ctx_ = nullptr;
};

}  // namespace tessera::detail
