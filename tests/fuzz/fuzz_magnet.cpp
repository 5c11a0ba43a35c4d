// libFuzzer target for magnet URI parsing (BEP 9). Every accepted link must survive
// make_magnet_uri -> parse_magnet unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "tessera/magnet.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view uri(reinterpret_cast<const char*>(data), size);
  auto m = tessera::parse_magnet(uri);
  if (!m) {
    if (m.error().category() != tessera::magnet_category()) std::abort();
    return 0;
  }
  const std::string again = tessera::make_magnet_uri(*m);
  if (again.size() > tessera::max_magnet_uri_length) return 0;  // escaping can triple the length
  auto back = tessera::parse_magnet(again);
  if (!back || !(*back == *m)) std::abort();
  return 0;
}
