// libFuzzer target for the event stream reader of `tessera watch` (cli::sse_reader): the bytes a
// daemon, or whatever answers at the URL given, sends on /tessera/events. The first input byte
// chooses the size of the pieces the rest is fed in (1..256 bytes, as reads of a socket split
// it). Invariants: the events are the same whether the bytes come at once or in pieces (or both
// fail); no event's data is longer than the line limit; an event has a name; after an error the
// reader stays failed.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "../../apps/tessera/sse_reader.hpp"
#include "fuzz_support.hpp"

namespace tc = tessera::cli;

namespace {

/// Small, so the fuzzer reaches the limit with short inputs.
constexpr std::size_t max_line = 512;

bool same(const std::vector<tc::sse_event>& a, const std::vector<tc::sse_event>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].id != b[i].id || a[i].data != b[i].data) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t piece = std::size_t{data[0]} + 1;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);

  tc::sse_reader whole(max_line);
  auto at_once = whole.feed(in);

  tc::sse_reader split(max_line);
  std::vector<tc::sse_event> in_pieces;
  bool failed = false;
  for (std::size_t at = 0; at < in.size() && !failed; at += piece) {
    auto got = split.feed(in.substr(at, piece));
    if (!got) {
      failed = true;
      FUZZ_CHECK(!got.error().empty());
      FUZZ_CHECK(!split.feed("data: x\n\n"));  // stays failed
      break;
    }
    for (auto& e : *got) in_pieces.push_back(std::move(e));
  }
  FUZZ_CHECK(failed == !at_once);
  if (!at_once) return 0;
  FUZZ_CHECK(same(*at_once, in_pieces));
  for (const auto& e : *at_once) {
    FUZZ_CHECK(!e.name.empty());
    FUZZ_CHECK(e.data.size() <= max_line);
    FUZZ_CHECK(e.data.find('\0') == std::string::npos);
  }
  return 0;
}
