// One peer connection's encryption after the MSE handshake: what the transport runs every byte
// it sends and receives through. RC4 in each direction, or nothing (plaintext).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <utility>

#include "core/encryption_mode.hpp"
#include "core/mse_crypto.hpp"

namespace tessera::detail {

/// The two cipher states of a connection: outgoing bytes are encrypted with ours, incoming ones
/// decrypted with the peer's; both keystreams continue exactly where the handshake left them.
/// Default-constructed it is plaintext and every call is a no-op. Movable, not copyable; the
/// connection's thread only.
class stream_cipher {
 public:
  /// Plaintext: encrypt and decrypt change nothing.
  stream_cipher() = default;
  /// RC4: `outgoing` encrypts what we send, `incoming` decrypts what we receive.
  stream_cipher(rc4 outgoing, rc4 incoming) : out_(std::move(outgoing)), in_(std::move(incoming)) {}

  /// mse_method::rc4 when the stream is encrypted.
  mse_method method() const { return out_ ? mse_method::rc4 : mse_method::plaintext; }

  /// Encrypts bytes about to be sent, in place, in the order they go out.
  void encrypt(std::span<std::uint8_t> outgoing) {
    if (out_) out_->apply(outgoing);
  }
  /// Decrypts received bytes, in place, in the order they came in.
  void decrypt(std::span<std::uint8_t> incoming) {
    if (in_) in_->apply(incoming);
  }

 private:
  std::optional<rc4> out_;
  std::optional<rc4> in_;
};

}  // namespace tessera::detail
