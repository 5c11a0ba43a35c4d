// MSE primitives on OpenSSL: BIGNUM for Diffie-Hellman, EVP for RC4 (legacy provider) and,
// through tessera/hasher.hpp, SHA-1.
#include "core/mse_crypto.hpp"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include <algorithm>
#include <climits>
#include <memory>
#include <new>
#include <utility>

#include "core/mse_error.hpp"
#include "tessera/hasher.hpp"

namespace tessera::detail {

namespace {

// The specification's prime P (768 bits), big-endian hex; the generator is 2.
constexpr const char* prime_hex =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A36210000000000090563";

struct bn_free {
  void operator()(BIGNUM* b) const { BN_clear_free(b); }
};
struct bn_ctx_free {
  void operator()(BN_CTX* c) const { BN_CTX_free(c); }
};
using bn_ptr = std::unique_ptr<BIGNUM, bn_free>;

bn_ptr checked(BIGNUM* b) {
  if (b == nullptr) throw std::bad_alloc();
  return bn_ptr(b);
}

// P as a BIGNUM, made once and never changed (read-only use is thread-safe).
const BIGNUM* prime() {
  static const BIGNUM* p = [] {
    BIGNUM* b = nullptr;
    if (BN_hex2bn(&b, prime_hex) == 0) throw std::bad_alloc();
    return b;
  }();
  return p;
}

// base^exp mod P, exp secret (constant-time exponentiation), written as 96 bytes big-endian.
std::array<std::uint8_t, 96> mod_exp(const BIGNUM* base, const dh_private_key& x) {
  std::unique_ptr<BN_CTX, bn_ctx_free> ctx(BN_CTX_new());
  if (!ctx) throw std::bad_alloc();
  bn_ptr exp = checked(BN_bin2bn(x.data(), static_cast<int>(x.size()), nullptr));
  BN_set_flags(exp.get(), BN_FLG_CONSTTIME);
  bn_ptr r = checked(BN_new());
  if (BN_mod_exp(r.get(), base, exp.get(), prime(), ctx.get()) != 1) throw std::bad_alloc();
  std::array<std::uint8_t, 96> out{};
  if (BN_bn2binpad(r.get(), out.data(), static_cast<int>(out.size())) != 96) throw std::bad_alloc();
  return out;
}

// RC4 lives in OpenSSL 3's legacy provider, loaded into a library context of our own: loading
// it into the default context would change which algorithms every other OpenSSL user in the
// process (TLS for trackers, hashing) may fetch. Fetched once, kept for the process's life.
struct rc4_provider {
  OSSL_LIB_CTX* libctx = nullptr;
  OSSL_PROVIDER* legacy = nullptr;
  EVP_CIPHER* cipher = nullptr;

  rc4_provider() {
    libctx = OSSL_LIB_CTX_new();
    if (libctx == nullptr) return;
    legacy = OSSL_PROVIDER_load(libctx, "legacy");
    if (legacy == nullptr) return;
    cipher = EVP_CIPHER_fetch(libctx, "RC4", nullptr);
  }
};

const EVP_CIPHER* rc4_cipher() {
  static const rc4_provider provider;
  return provider.cipher;
}

}  // namespace

dh_public_key dh_public(const dh_private_key& x) {
  bn_ptr two = checked(BN_new());
  if (BN_set_word(two.get(), 2) != 1) throw std::bad_alloc();
  return mod_exp(two.get(), x);
}

result<dh_secret> dh_shared_secret(const dh_private_key& x, std::span<const std::uint8_t, dh_key_bytes> peer) {
  bn_ptr y = checked(BN_bin2bn(peer.data(), static_cast<int>(peer.size()), nullptr));
  bn_ptr p_minus_1 = checked(BN_dup(prime()));
  if (BN_sub_word(p_minus_1.get(), 1) != 1) throw std::bad_alloc();
  // 0 and 1 give S = 0 or 1, P-1 gives S = +-1: a secret anyone can guess. P and above are not
  // residues mod P.
  if (BN_cmp(y.get(), BN_value_one()) <= 0 || BN_cmp(y.get(), p_minus_1.get()) >= 0) {
    return unexpected{make_error_code(mse_errc::bad_public_key)};
  }
  return mod_exp(y.get(), x);
}

sha1_hash mse_hash(std::string_view label, const dh_secret& s) {
  sha1_hasher h;
  h.update(label).update(s.data(), s.size());
  return h.final();
}

sha1_hash mse_req2(const sha1_hash& skey) {
  sha1_hasher h;
  h.update("req2").update(skey.bytes.data(), skey.bytes.size());
  return h.final();
}

sha1_hash mse_key(std::string_view label, const dh_secret& s, const sha1_hash& skey) {
  sha1_hasher h;
  h.update(label).update(s.data(), s.size()).update(skey.bytes.data(), skey.bytes.size());
  return h.final();
}

std::error_code rc4_available() {
  return rc4_cipher() != nullptr ? std::error_code{} : make_error_code(mse_errc::rc4_unavailable);
}

result<rc4> rc4::create(std::span<const std::uint8_t> key) {
  const EVP_CIPHER* cipher = rc4_cipher();
  if (cipher == nullptr) return unexpected{make_error_code(mse_errc::rc4_unavailable)};
  if (key.empty() || key.size() > 256) return unexpected{std::make_error_code(std::errc::invalid_argument)};
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr) throw std::bad_alloc();
  rc4 out(ctx);
  // RC4's key length is variable; OpenSSL's default is 16 bytes, so it is set before the key.
  if (EVP_EncryptInit_ex2(ctx, cipher, nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_key_length(ctx, static_cast<int>(key.size())) != 1 ||
      EVP_EncryptInit_ex2(ctx, nullptr, key.data(), nullptr, nullptr) != 1) {
    throw std::bad_alloc();
  }
  return out;
}

result<rc4> rc4::mse(const sha1_hash& key) {
  auto r = create(key.bytes);
  if (r) r->discard(1024);
  return r;
}

rc4::~rc4() { EVP_CIPHER_CTX_free(ctx_); }

rc4::rc4(rc4&& other) noexcept : ctx_(std::exchange(other.ctx_, nullptr)) {}

rc4& rc4::operator=(rc4&& other) noexcept {
  if (this != &other) {
    EVP_CIPHER_CTX_free(ctx_);
    ctx_ = std::exchange(other.ctx_, nullptr);
  }
  return *this;
}

void rc4::apply(std::span<std::uint8_t> data) {
  if (ctx_ == nullptr) return;  // moved from
  // EVP takes int lengths; a stream cipher may work in place (out == in).
  while (!data.empty()) {
    const std::size_t n = std::min<std::size_t>(data.size(), INT_MAX / 2);
    int written = 0;
    EVP_EncryptUpdate(ctx_, data.data(), &written, data.data(), static_cast<int>(n));
    data = data.subspan(n);
  }
}

void rc4::discard(std::size_t n) {
  std::array<std::uint8_t, 1024> scratch{};
  while (n > 0) {
    const std::size_t k = std::min(n, scratch.size());
    apply(std::span(scratch.data(), k));
    n -= k;
  }
}

}  // namespace tessera::detail
