#include "rpc/credential_check.hpp"

#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "rpc/password_hash.hpp"
#include "tessera/hasher.hpp"

namespace tessera::rpc {

credential_check::credential_check(std::string user, std::string password_hash)
    : user_(std::move(user)), hash_(std::move(password_hash)) {
  if (RAND_bytes(key_.data(), static_cast<int>(key_.size())) != 1) {
    throw std::runtime_error("credential_check: OpenSSL RAND_bytes failed");
  }
}

credential_check::digest credential_check::fingerprint(std::string_view user,
                                                       std::string_view password) const {
  // SHA-256(key || user ":" password); the hasher throws std::bad_alloc only when OpenSSL
  // cannot allocate its context.
  return sha256_hasher().update(key_.data(), key_.size()).update(user).update(":").update(password).final().bytes;
}

bool credential_check::operator()(std::string_view user, std::string_view password) {
  const digest d = fingerprint(user, password);
  for (const digest& p : passed_) {
    if (CRYPTO_memcmp(p.data(), d.data(), d.size()) == 0) return true;
  }
  // Compare the name in constant time too (no early exit on the first differing byte); its
  // length is not secret.
  const bool user_ok =
      user.size() == user_.size() && CRYPTO_memcmp(user.data(), user_.data(), user.size()) == 0;
  const bool password_ok = verify_password(password, hash_);
  if (!user_ok || !password_ok) return false;
  if (passed_.size() == cache_size) passed_.erase(passed_.begin());
  passed_.push_back(d);
  return true;
}

}  // namespace tessera::rpc
