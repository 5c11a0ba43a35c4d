// SHA-1 and SHA-256 hashing: the one way tessera computes a digest (piece hashes, info-hashes,
// merkle trees, DHT tokens), through OpenSSL's EVP interface.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "tessera/types.hpp"

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace tessera {

/// An incremental hash of the algorithm `Digest` names: sha1_hash (SHA-1, BEP 3) or sha256_hash
/// (SHA-256, BEP 52). Feed bytes with update(), take the digest with final(), which also resets
/// the hasher for the next input. Movable, not copyable; one object per thread (not
/// thread-safe), any number of objects at once. The constructor throws std::bad_alloc when
/// OpenSSL cannot allocate its context; update() and final() cannot fail afterwards (OpenSSL's
/// software SHA never does).
template <class Digest>
class basic_hasher {
 public:
  basic_hasher();
  /// A hasher that has already been fed `data`.
  explicit basic_hasher(std::span<const std::byte> data) : basic_hasher() { update(data); }
  ~basic_hasher();
  basic_hasher(basic_hasher&& other) noexcept;
  basic_hasher& operator=(basic_hasher&& other) noexcept;
  basic_hasher(const basic_hasher&) = delete;
  basic_hasher& operator=(const basic_hasher&) = delete;

  /// Appends `data` to the input.
  basic_hasher& update(std::span<const std::byte> data);
  basic_hasher& update(std::string_view data) { return update(std::as_bytes(std::span(data))); }
  basic_hasher& update(const void* data, std::size_t size) {
    return update(std::span(static_cast<const std::byte*>(data), size));
  }
  /// The digest of everything fed since construction or the last final(); resets the hasher.
  Digest final();

 private:
  evp_md_ctx_st* ctx_ = nullptr;
};

/// SHA-1 (v1 pieces and info-hashes, BEP 3).
using sha1_hasher = basic_hasher<sha1_hash>;
/// SHA-256 (v2 merkle trees and info-hashes, BEP 52).
using sha256_hasher = basic_hasher<sha256_hash>;

extern template class basic_hasher<sha1_hash>;
extern template class basic_hasher<sha256_hash>;

/// SHA-1 of `data` in one call.
sha1_hash sha1(std::span<const std::byte> data);
inline sha1_hash sha1(std::string_view data) { return sha1(std::as_bytes(std::span(data))); }
/// SHA-256 of `data` in one call.
sha256_hash sha256(std::span<const std::byte> data);
inline sha256_hash sha256(std::string_view data) { return sha256(std::as_bytes(std::span(data))); }

}  // namespace tessera
