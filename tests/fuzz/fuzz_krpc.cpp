// libFuzzer target for the KRPC codec (BEP 5, BEP 32): every datagram that parses must re-encode
// to bytes that parse to the same message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "core/krpc.hpp"

namespace krpc = tessera::detail::krpc;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto m = krpc::parse(in);
  if (!m) {
    (void)krpc::parse_error_transaction(in);
    return 0;
  }
  const std::string again = std::visit([](const auto& msg) { return krpc::encode(msg, "TS01"); }, *m);
  auto back = krpc::parse(again);
  if (!back || !(*back == *m)) std::abort();
  return 0;
}
