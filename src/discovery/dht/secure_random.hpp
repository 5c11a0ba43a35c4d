// Unpredictable bytes for the DHT's secrets: node ids, announce-token secrets and transaction
// ids. A 32-bit-seeded PRNG would let an observer of a few outputs predict the rest (forge
// tokens, guess transaction ids and spoof answers), so these come from OpenSSL's CSPRNG.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

namespace tessera::detail::dht {

/// Fills `out` with bytes from OpenSSL's RAND_bytes. If OpenSSL cannot produce them (its
/// generator failed to seed: a broken system), falls back to std::random_device, which on Linux
/// reads the kernel's getrandom(). Any thread.
void secure_random_bytes(std::span<std::uint8_t> out);

/// Where a DHT module takes its random bytes; secure_random_bytes in production, a deterministic
/// function in tests.
using random_source = std::function<void(std::span<std::uint8_t>)>;

}  // namespace tessera::detail::dht
