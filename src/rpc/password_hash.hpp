// RPC passwords at rest: a salted scrypt hash (OpenSSL's KDF "SCRYPT"), never the clear text.
//
// The text form describes itself, so the cost can be raised later without breaking old hashes:
//
//   $scrypt$N=32768,r=8,p=1$<salt>$<key>
//
// <salt> is 16 random bytes (RAND_bytes) and <key> the 32-byte derived key, both in standard
// base64 without '=' padding. N = 2^15, r = 8 costs about 32 MiB and some tens of milliseconds per
// hash: memory-hard, slow enough to make offline guessing expensive, quick enough for one login.
#pragma once

#include <string>
#include <string_view>

namespace tessera::rpc {

/// Hashes `clear` with a fresh random salt and the default cost; returns the text form above.
/// Any string is accepted (an empty password hashes like any other). Thread-safe. Throws
/// std::runtime_error only if OpenSSL cannot produce random bytes or run scrypt (a broken
/// installation, not an input error).
std::string hash_password(std::string_view clear);

/// True when `hash` is in the text form above and `clear` derives the same key. The key is
/// compared in constant time (CRYPTO_memcmp). A malformed hash, or one whose cost exceeds what
/// this build accepts (N > 2^20, r > 32, p > 16, or more than 256 MiB of memory), gives false,
/// never an exception. Thread-safe; takes as long as one hash_password.
bool verify_password(std::string_view clear, std::string_view hash);

/// True when `text` parses as the text form above (cost within the limits verify_password
/// accepts). The daemon uses it to tell a hash in settings.json from a clear password that a
/// user typed there, which it then replaces with hash_password(text), as Transmission does with
/// its '{'-prefixed hashes. Pure; does no hashing.
bool looks_like_password_hash(std::string_view text);

}  // namespace tessera::rpc
