// libFuzzer target for Local Service Discovery datagrams (BEP 14): parse_lsd_announce, as the
// LSD socket calls it on every multicast datagram. Invariants: an error is an lsd_errc; an
// announce has a port in 1..65535, 1..lsd_max_info_hashes distinct info-hashes and a cookie of
// at most lsd_max_cookie bytes; build_lsd_announce of it parses back to the same announce; and
// build_lsd_announces splits it into messages that each parse and together hold its hashes in
// order, each within lsd_max_sent_message when the host and cookie are short.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "discovery/lsd_message.hpp"
#include "fuzz_support.hpp"

namespace td = tessera::detail;

namespace {

bool same(const td::lsd_announce& a, const td::lsd_announce& b) {
  return a.host == b.host && a.port == b.port && a.info_hashes == b.info_hashes && a.cookie == b.cookie;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto a = td::parse_lsd_announce(in);
  if (!a) {
    FUZZ_CHECK(a.error().category() == td::lsd_category());
    return 0;
  }
  FUZZ_CHECK(size <= td::lsd_max_message);
  FUZZ_CHECK(a->port != 0);
  FUZZ_CHECK(!a->info_hashes.empty() && a->info_hashes.size() <= td::lsd_max_info_hashes);
  auto hashes = a->info_hashes;
  std::sort(hashes.begin(), hashes.end());
  FUZZ_CHECK(std::adjacent_find(hashes.begin(), hashes.end()) == hashes.end());
  FUZZ_CHECK(a->cookie.size() <= td::lsd_max_cookie);

  // Our own encoding may be a little longer than what was received (CRLF and ": " where the
  // sender used LF and ":"); past the receive limit it cannot come back.
  const std::string again = td::build_lsd_announce(*a);
  if (again.size() <= td::lsd_max_message) {
    auto back = td::parse_lsd_announce(again);
    FUZZ_CHECK(back && same(*back, *a));
  }

  const auto messages = td::build_lsd_announces(*a);
  const bool short_fields = a->host.size() + a->cookie.size() <= 256;
  std::vector<tessera::sha1_hash> seen;
  for (const auto& m : messages) {
    if (short_fields) FUZZ_CHECK(m.size() <= td::lsd_max_sent_message);
    if (m.size() > td::lsd_max_message) continue;
    auto back = td::parse_lsd_announce(m);
    FUZZ_CHECK(back && back->host == a->host && back->port == a->port && back->cookie == a->cookie);
    seen.insert(seen.end(), back->info_hashes.begin(), back->info_hashes.end());
  }
  if (short_fields) FUZZ_CHECK(seen == a->info_hashes);
  return 0;
}
