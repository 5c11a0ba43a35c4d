// libFuzzer target for the bencode decoder (BEP 3). Beyond "no crash, no sanitizer report", it
// checks three invariants:
//  1. anything decoded re-encodes to a canonical document that decodes to the same encoding;
//  2. input accepted in strict mode (sorted unique keys) is already canonical: it re-encodes to
//     exactly the input bytes;
//  3. find_raw_value returns a span inside the input that is itself a complete value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/bencode.hpp"

using namespace tessera::detail;

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  // The limits production decodes resume files and the DHT state file with (the defaults);
  // metainfo, KRPC, extension payloads and tracker replies use their own, which their targets
  // exercise by calling those parsers.
  const bdecode_limits limits{};
  auto lax = bdecode(in, limits);
  if (lax) {
    const std::string once = bencode(*lax);
    auto again = bdecode(once, limits);
    check(again.has_value());
    check(bencode(*again) == once);
  } else {
    check(lax.error().offset <= size);
    check(!lax.error().message().empty());
  }

  bdecode_limits strict = limits;
  strict.strict_key_order = true;
  if (auto r = bdecode(in, strict)) {
    check(lax.has_value());
    check(bencode(*r) == in);
  }

  std::size_t consumed = 0;
  if (auto r = bdecode_prefix(in, &consumed, limits)) check(consumed >= 1 && consumed <= size);

  const std::string_view raw = find_raw_value(in, "info", limits);
  if (!raw.empty()) {
    check(raw.data() >= in.data() && raw.data() + raw.size() <= in.data() + in.size());
    check(lax.has_value());
    check(bdecode(raw, limits).has_value());
  }
  return 0;
}
