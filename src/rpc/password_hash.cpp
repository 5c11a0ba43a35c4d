#include "rpc/password_hash.hpp"

#include <charconv>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "rpc/base64_text.hpp"

namespace tessera::rpc {

namespace {

constexpr std::string_view prefix = "$scrypt$";
constexpr std::uint64_t default_n = std::uint64_t{1} << 15;
constexpr std::uint32_t default_r = 8;
constexpr std::uint32_t default_p = 1;
constexpr std::size_t salt_bytes = 16;
constexpr std::size_t key_bytes = 32;

// Limits on hashes read back: a hash is configuration, and a hostile or corrupt one must not make
// a login allocate gigabytes or run for minutes.
constexpr std::uint64_t max_n = std::uint64_t{1} << 20;
constexpr std::uint32_t max_r = 32;
constexpr std::uint32_t max_p = 16;
constexpr std::uint64_t max_memory = std::uint64_t{256} << 20;

struct scrypt_params {
  std::uint64_t n = 0;
  std::uint32_t r = 0;
  std::uint32_t p = 0;
  std::string salt;
  std::string key;
};

/// scrypt's memory use is about 128 * r * N bytes (plus 128 * r * p); OpenSSL refuses to exceed
/// its maxmem setting, which we pass explicitly (its default, 32 MiB, is just below N=2^15, r=8).
std::uint64_t memory_needed(std::uint64_t n, std::uint32_t r, std::uint32_t p) {
  return 128 * std::uint64_t{r} * (n + p + 2);
}

bool params_ok(std::uint64_t n, std::uint32_t r, std::uint32_t p) {
  const bool power_of_two = n >= 2 && (n & (n - 1)) == 0;
  return power_of_two && n <= max_n && r >= 1 && r <= max_r && p >= 1 && p <= max_p &&
         memory_needed(n, r, p) <= max_memory;
}

template <class T>
bool parse_field(std::string_view& rest, std::string_view name, T& out) {
  if (!rest.starts_with(name)) return false;
  rest.remove_prefix(name.size());
  auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), out);
  if (ec != std::errc{} || ptr == rest.data()) return false;
  rest.remove_prefix(static_cast<std::size_t>(ptr - rest.data()));
  return true;
}

std::optional<scrypt_params> parse(std::string_view text) {
  if (!text.starts_with(prefix)) return std::nullopt;
  text.remove_prefix(prefix.size());
  scrypt_params out;
  if (!parse_field(text, "N=", out.n) || !parse_field(text, ",r=", out.r) ||
      !parse_field(text, ",p=", out.p) || !text.starts_with('$')) {
    return std::nullopt;
  }
  if (!params_ok(out.n, out.r, out.p)) return std::nullopt;
  text.remove_prefix(1);
  const auto dollar = text.find('$');
  if (dollar == std::string_view::npos) return std::nullopt;
  auto salt = detail::base64_decode(text.substr(0, dollar));
  auto key = detail::base64_decode(text.substr(dollar + 1));
  if (!salt || !key || salt->size() < 8 || salt->size() > 64 || key->size() < 16 ||
      key->size() > 64) {
    return std::nullopt;
  }
  out.salt = std::move(*salt);
  out.key = std::move(*key);
  return out;
}

struct kdf_deleter {
  void operator()(EVP_KDF* k) const { EVP_KDF_free(k); }
};
struct kdf_ctx_deleter {
  void operator()(EVP_KDF_CTX* c) const { EVP_KDF_CTX_free(c); }
};

/// Derives `key_size` bytes; nullopt when OpenSSL fails (parameters were checked before).
std::optional<std::string> derive(std::string_view clear, const scrypt_params& p,
                                  std::size_t key_size) {
  std::unique_ptr<EVP_KDF, kdf_deleter> kdf(EVP_KDF_fetch(nullptr, "SCRYPT", nullptr));
  if (!kdf) return std::nullopt;
  std::unique_ptr<EVP_KDF_CTX, kdf_ctx_deleter> ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) return std::nullopt;
  std::uint64_t n = p.n;
  std::uint32_t r = p.r;
  std::uint32_t par = p.p;
  std::uint64_t maxmem = memory_needed(p.n, p.r, p.p) + (std::uint64_t{1} << 20);
  // OSSL_PARAM wants non-const pointers; neither buffer is written.
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, const_cast<char*>(clear.data()),
                                        clear.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(p.salt.data()),
                                        p.salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &par),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
      OSSL_PARAM_construct_end(),
  };
  std::string out(key_size, '\0');
  if (EVP_KDF_derive(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), out.size(),
                     params) != 1) {
    return std::nullopt;
  }
  return out;
}

}  // namespace

std::string hash_password(std::string_view clear) {
  scrypt_params p{.n = default_n, .r = default_r, .p = default_p, .salt = {}, .key = {}};
  p.salt.resize(salt_bytes);
  if (RAND_bytes(reinterpret_cast<unsigned char*>(p.salt.data()),
                 static_cast<int>(p.salt.size())) != 1) {
    throw std::runtime_error("hash_password: OpenSSL RAND_bytes failed");
  }
  auto key = derive(clear, p, key_bytes);
  if (!key) throw std::runtime_error("hash_password: OpenSSL scrypt failed");
  return std::string(prefix) + "N=" + std::to_string(p.n) + ",r=" + std::to_string(p.r) +
         ",p=" + std::to_string(p.p) + "$" + detail::base64_encode(p.salt, false) + "$" +
         detail::base64_encode(*key, false);
}

bool verify_password(std::string_view clear, std::string_view hash) {
  auto p = parse(hash);
  if (!p) return false;
  auto key = derive(clear, *p, p->key.size());
  return key && CRYPTO_memcmp(key->data(), p->key.data(), key->size()) == 0;
}

bool looks_like_password_hash(std::string_view text) { return parse(text).has_value(); }

}  // namespace tessera::rpc
