// OpenSSL's CSPRNG for DHT secrets.
#include "discovery/dht/secure_random.hpp"

#include <limits>
#include <random>

#include <openssl/rand.h>

namespace tessera::detail::dht {

void secure_random_bytes(std::span<std::uint8_t> out) {
  if (out.empty()) return;
  if (out.size() <= static_cast<std::size_t>(std::numeric_limits<int>::max()) &&
      RAND_bytes(out.data(), static_cast<int>(out.size())) == 1) {
    return;
  }
  std::random_device rd;
  for (auto& b : out) b = static_cast<std::uint8_t>(rd());
}

}  // namespace tessera::detail::dht
