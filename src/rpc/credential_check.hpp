// Checks Basic credentials against the configured user name and password hash, remembering the
// credentials that passed so that a client sending them with every request (the web client polls
// every few seconds) does not pay an scrypt derivation (tens of milliseconds, 32 MiB) each time.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::rpc {

/// Not thread-safe: the front calls it from its one thread.
class credential_check {
 public:
  /// `password_hash` is in password_hash.hpp's format.
  credential_check(std::string user, std::string password_hash);

  /// True when `user` equals the configured name and `password` verifies against the hash.
  /// The first success of a given pair runs scrypt; later ones hit a cache of at most
  /// `cache_size` entries, which holds SHA-256(random per-object key || user || ':' || password)
  /// digests, never the clear text, and is compared in constant time. Failures always run
  /// scrypt, which also slows down guessing.
  bool operator()(std::string_view user, std::string_view password);

  static constexpr std::size_t cache_size = 8;

 private:
  using digest = std::array<unsigned char, 32>;
  digest fingerprint(std::string_view user, std::string_view password) const;

  std::string user_;
  std::string hash_;
  std::array<unsigned char, 32> key_{};
  std::vector<digest> passed_;  // most recent last
};

}  // namespace tessera::rpc
