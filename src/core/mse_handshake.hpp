// The MSE/PE handshake (the Azureus/Vuze "Message Stream Encryption" specification) as sans-I/O
// state machines, one per role: bytes received go in, bytes to send and at the end a result come
// out; no socket, no clock. The transport feeds them whatever its reads return (any split, one
// byte at a time included) and sends what take_output() returns.
//
// The exchange (A initiates, B responds; S is the Diffie-Hellman secret, SKEY the 20-byte
// info-hash A names; ENCRYPT is RC4 keyed HASH('keyA', S, SKEY) from A and HASH('keyB', S, SKEY)
// from B, first 1,024 keystream bytes discarded; ENCRYPT2 is that RC4 when it was selected, or
// nothing):
//   1 A->B: Ya, PadA
//   2 B->A: Yb, PadB
//   3 A->B: HASH('req1', S), HASH('req2', SKEY) xor HASH('req3', S),
//           ENCRYPT(VC, crypto_provide, len(PadC), PadC, len(IA)), ENCRYPT(IA)
//   4 B->A: ENCRYPT(VC, crypto_select, len(PadD), PadD), ENCRYPT2(payload stream)
//   5 A->B: ENCRYPT2(payload stream)
// Y are 96-byte public keys, pads 0..512 bytes (PadA/PadB random, PadC/PadD zeros), VC 8 zero
// bytes, crypto fields 32-bit and lengths 16-bit big-endian. B finds where step 3 starts by
// searching for HASH('req1', S) after Ya, A finds step 4 by searching for ENCRYPT(VC) after Yb;
// both searches are bounded by the largest pad (docs/hardening.md, "MSE handshake").
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/encryption_mode.hpp"
#include "core/mse_crypto.hpp"
#include "core/mse_error.hpp"
#include "core/stream_cipher.hpp"
#include "tessera/result.hpp"
#include "tessera/types.hpp"

namespace tessera::detail {

/// Longest pad the specification allows (PadA..PadD).
inline constexpr std::size_t mse_max_pad = 512;
/// Longest initial payload (IA) a responder accepts. Clients send the 68-byte BitTorrent
/// handshake there, or nothing; 16 KiB leaves room for an extension handshake and a bitfield
/// behind it. The 16-bit field alone would allow 64 KiB per half-open connection.
inline constexpr std::size_t max_initial_payload = 16 * 1024;

/// The random inputs of one handshake side. generate() draws them in production; tests and
/// fuzzing fix them.
struct mse_secrets {
  dh_private_key private_key{};       ///< Xa or Xb: 160 bits, not all zero
  std::vector<std::uint8_t> pad;      ///< PadA or PadB, sent in clear after our public key: 0..512 bytes
  std::uint16_t zero_pad_length = 0;  ///< len(PadC) or len(PadD), zeros sent encrypted: 0..512

  /// A random private key and a PadA/PadB of random length (0..512) and content from OpenSSL's
  /// CSPRNG; no PadC/PadD (the specification's current practice). Throws std::runtime_error
  /// when OpenSSL's generator fails.
  static mse_secrets generate();
};

/// How a responder finds SKEY: HASH('req2', h) -> h for every 20-byte hash that names a torrent
/// of the session (its v1 info-hash and its truncated v2 info-hash).
using mse_skey_map = std::unordered_map<sha1_hash, sha1_hash>;
/// Adds the keys of `ih` to `m`: its v1 hash and its truncated v2 hash, each when present.
void add_mse_skeys(mse_skey_map& m, const info_hash_t& ih);

/// The outcome of a successful handshake.
struct mse_result {
  mse_method method = mse_method::plaintext;  ///< what crypto_select chose
  stream_cipher cipher;  ///< the connection's cipher from here on (a no-op for plaintext)
  sha1_hash skey;        ///< the 20-byte info-hash the initiator named (the torrent)
  /// Responder: the initiator's IA, decrypted (the start of its BitTorrent stream, usually its
  /// handshake); initiator: empty.
  std::vector<std::uint8_t> initial_payload;
  /// Bytes received after the handshake: the peer's BitTorrent stream after `initial_payload`,
  /// already decrypted when method is rc4.
  std::vector<std::uint8_t> received;
};

/// What receive() of both roles does (mse_handshake.cpp): buffers the bytes, runs the role's
/// state machine over them, and makes a failure stick; after the handshake, decrypts onto the
/// result's `received`.
template <class Role>
std::error_code mse_receive(Role& role, std::span<const std::uint8_t> data);

/// The initiator (A): opens the connection, names the torrent, offers crypto methods. Its
/// first output (Ya, PadA) is ready at construction. Movable; one thread at a time.
class mse_initiator {
 public:
  /// A handshake for the torrent `skey` offering `crypto_provide` (crypto_rc4 and/or
  /// crypto_plaintext, e.g. outgoing_for(mode).crypto_provide), carrying `initial_payload`
  /// (0..max_initial_payload bytes, e.g. our BitTorrent handshake) encrypted in step 3.
  /// Fails with mse_errc::rc4_unavailable, or std::errc::invalid_argument for a crypto_provide
  /// with no known bit or another bit, a payload or pad too long, or an all-zero private key.
  static result<mse_initiator> create(const sha1_hash& skey, std::uint32_t crypto_provide,
                                      std::span<const std::uint8_t> initial_payload, mse_secrets secrets);

  /// Feeds bytes received from the responder. Returns the failure (an mse_errc) once the bytes
  /// break the handshake, and the same failure for every later call; empty while the handshake
  /// is on track or done (bytes fed after done() are decrypted onto the result's `received`).
  std::error_code receive(std::span<const std::uint8_t> data);
  /// The bytes to send now, in order; the internal buffer is emptied.
  std::vector<std::uint8_t> take_output() { return std::exchange(out_, {}); }
  /// True once step 4 was read: take_result() may be called.
  bool done() const { return state_ == state::done; }
  /// The result; done() must be true. Call once: the cipher and buffers are moved out, and
  /// every later receive() returns std::errc::invalid_argument.
  mse_result take_result();

 private:
  enum class state { read_y, sync_vc, read_select, skip_pad, done, failed };
  mse_initiator() = default;
  std::error_code advance();
  template <class Role>
  friend std::error_code mse_receive(Role&, std::span<const std::uint8_t>);
  void finish();

  state state_ = state::read_y;
  std::error_code error_;
  sha1_hash skey_;
  std::uint32_t provide_ = 0;
  std::vector<std::uint8_t> ia_;
  mse_secrets secrets_;
  std::vector<std::uint8_t> in_;  // received, not consumed yet (from pos_)
  std::size_t pos_ = 0;
  std::vector<std::uint8_t> out_;
  std::optional<rc4> enc_;  // keyA
  std::optional<rc4> dec_;  // keyB
  std::array<std::uint8_t, 8> vc_pattern_{};  // ENCRYPT(VC) as B sends it
  std::size_t pad_left_ = 0;
  mse_result result_;
};

/// The responder (B): accepts a connection whose first bytes are not a plaintext BitTorrent
/// handshake (classify_incoming), finds the torrent among the session's, selects the method
/// per its incoming policy. Movable; one thread at a time.
class mse_responder {
 public:
  /// A responder looking SKEY up in `skeys` (not owned: it must outlive the responder; it may
  /// change between receive() calls) and selecting with select_method(incoming, ...). Fails
  /// with mse_errc::rc4_unavailable, or std::errc::invalid_argument for a pad too long or an
  /// all-zero private key.
  static result<mse_responder> create(const mse_skey_map& skeys, encryption_mode incoming, mse_secrets secrets);

  /// As mse_initiator::receive, for bytes from the initiator.
  std::error_code receive(std::span<const std::uint8_t> data);
  /// The bytes to send now (Yb and PadB once Ya is in, step 4 once IA is in); emptied.
  std::vector<std::uint8_t> take_output() { return std::exchange(out_, {}); }
  /// True once IA was read and step 4 written: take_result() may be called.
  bool done() const { return state_ == state::done; }
  /// As mse_initiator::take_result.
  mse_result take_result();

 private:
  enum class state { read_y, sync_req1, read_skey, read_provide, skip_pad, read_ia_length, read_ia, done, failed };
  mse_responder() = default;
  std::error_code advance();
  template <class Role>
  friend std::error_code mse_receive(Role&, std::span<const std::uint8_t>);
  void finish();

  state state_ = state::read_y;
  std::error_code error_;
  const mse_skey_map* skeys_ = nullptr;
  encryption_mode mode_ = encryption_mode::enabled;
  mse_secrets secrets_;
  std::vector<std::uint8_t> in_;
  std::size_t pos_ = 0;
  std::vector<std::uint8_t> out_;
  std::optional<rc4> enc_;  // keyB
  std::optional<rc4> dec_;  // keyA
  sha1_hash req1_;
  sha1_hash req3_;
  dh_secret secret_{};
  std::size_t pad_left_ = 0;
  std::size_t ia_left_ = 0;
  mse_result result_;
};

/// What the first bytes of an incoming connection are.
enum class incoming_handshake {
  need_more,   ///< too few bytes to tell (they start like a plaintext handshake)
  bittorrent,  ///< a plaintext BitTorrent handshake: 19, "BitTorrent protocol" (BEP 3)
  mse,         ///< anything else: the start of an MSE handshake (Ya), for mse_responder
};
/// Tells a plaintext BitTorrent handshake from MSE by the first up to 20 bytes of `first`
/// (more are ignored). An MSE public key begins with those 20 bytes with probability 2^-160.
incoming_handshake classify_incoming(std::span<const std::uint8_t> first);
/// Empty when a plaintext handshake is accepted in incoming mode `m`, else
/// mse_errc::plaintext_refused (forced).
std::error_code check_plaintext_allowed(encryption_mode m);

}  // namespace tessera::detail
