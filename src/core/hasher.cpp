#include "tessera/hasher.hpp"

#include <openssl/evp.h>

#include <new>
#include <utility>

namespace tessera {

namespace {
template <class Digest>
const EVP_MD* algorithm() {
  if constexpr (Digest::size == 20) return EVP_sha1();
  else return EVP_sha256();
}

template <class Digest>
void start(EVP_MD_CTX* ctx) {
  if (EVP_DigestInit_ex(ctx, algorithm<Digest>(), nullptr) != 1) throw std::bad_alloc();
}
}  // namespace

template <class Digest>
basic_hasher<Digest>::basic_hasher() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_, algorithm<Digest>(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx_);  // null is fine
    throw std::bad_alloc();
  }
}

template <class Digest>
basic_hasher<Digest>::~basic_hasher() {
  EVP_MD_CTX_free(ctx_);
}

template <class Digest>
basic_hasher<Digest>::basic_hasher(basic_hasher&& other) noexcept : ctx_(std::exchange(other.ctx_, nullptr)) {}

template <class Digest>
basic_hasher<Digest>& basic_hasher<Digest>::operator=(basic_hasher&& other) noexcept {
  if (this != &other) {
    EVP_MD_CTX_free(ctx_);
    ctx_ = std::exchange(other.ctx_, nullptr);
  }
  return *this;
}

template <class Digest>
basic_hasher<Digest>& basic_hasher<Digest>::update(std::span<const std::byte> data) {
  if (!data.empty()) EVP_DigestUpdate(ctx_, data.data(), data.size());
  return *this;
}

template <class Digest>
Digest basic_hasher<Digest>::final() {
  Digest d;
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx_, d.bytes.data(), &length);
  start<Digest>(ctx_);
  return d;
}

template class basic_hasher<sha1_hash>;
template class basic_hasher<sha256_hash>;

sha1_hash sha1(std::span<const std::byte> data) {
  sha1_hash h;
  unsigned int length = 0;
  // EVP_Digest fails only when it cannot allocate.
  if (EVP_Digest(data.data(), data.size(), h.bytes.data(), &length, EVP_sha1(), nullptr) != 1) throw std::bad_alloc();
  return h;
}

sha256_hash sha256(std::span<const std::byte> data) {
  sha256_hash h;
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), h.bytes.data(), &length, EVP_sha256(), nullptr) != 1) throw std::bad_alloc();
  return h;
}

}  // namespace tessera
