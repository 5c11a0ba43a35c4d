// announce_peer write tokens (BEP 5 "get_peers"/"announce_peer"): a token is the SHA-1 of a
// secret and the requester's IP address; the secret changes every 5 minutes and the previous one
// is still accepted, so a token works for 5 to 10 minutes and only from the address it was
// given to. Pure: the caller passes the time; the secrets come from a random_source (OpenSSL's
// CSPRNG in production), never from a seeded PRNG whose outputs would reveal the next secret.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/compact_peer.hpp"
#include "discovery/dht/node_id.hpp"
#include "discovery/dht/secure_random.hpp"

namespace tessera::detail::dht {

/// How often the secret changes (BEP 5 recommends 5 minutes).
inline constexpr std::chrono::minutes token_rotation{5};
/// Bytes of a token we hand out (a prefix of the SHA-1; short keeps replies small).
inline constexpr std::size_t token_length = 8;

class token_issuer {
 public:
  /// `now` starts the first rotation period; `random` makes each 16-byte secret.
  explicit token_issuer(clock::time_point now, random_source random = secure_random_bytes);

  /// The token for a requester at `ip` (the port is ignored). Rotates the secret first if due.
  std::string make(const peer_endpoint& ip, clock::time_point now);
  /// True when `token` was made for `ip` with the current or the previous secret. Rotates the
  /// secret first if due (so a token older than two rotations fails).
  bool verify(std::string_view token, const peer_endpoint& ip, clock::time_point now);

 private:
  using secret = std::array<std::uint8_t, 16>;
  void rotate_if_due(clock::time_point now);
  secret fresh_secret();
  static std::string compute(const secret& s, const peer_endpoint& ip);

  random_source random_;
  secret current_{};
  secret previous_{};
  clock::time_point rotated_;
};

}  // namespace tessera::detail::dht
