#include "base64.hpp"

#include <algorithm>

#include <openssl/evp.h>

namespace tessera::cli {

std::string base64_encode(std::string_view data) {
  std::string out;
  // EVP_EncodeBlock takes an int length: encode in chunks of a multiple of 3 bytes, so the
  // pieces join without padding in the middle.
  constexpr std::size_t chunk = 3 * (1 << 20);
  for (std::size_t pos = 0; pos < data.size(); pos += chunk) {
    const std::size_t n = std::min(chunk, data.size() - pos);
    const std::size_t start = out.size();
    out.resize(start + 4 * ((n + 2) / 3) + 1);
    const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data() + start),
                                        reinterpret_cast<const unsigned char*>(data.data() + pos),
                                        static_cast<int>(n));
    out.resize(start + static_cast<std::size_t>(written));
  }
  return out;
}

}  // namespace tessera::cli
