// libFuzzer target for an HTTP tracker's bencoded announce reply (BEP 3, compact peers BEP 23,
// peers6 BEP 7): parse_http_announce_response, as the announcer calls it on a reply body.
// Invariants: an error is a tracker_errc (failure_reason or bad_response); a reply holds
// intervals inside their clamps, known-or-(-1) counts, peers without port 0, unspecified
// addresses or duplicates, and no more peers than 6 input bytes each could carry; and the reply
// re-encoded as a compact reply parses back to the same values. The same bytes also go to
// parse_http_scrape_response (BEP 48) for two hashes: the input's first 20 bytes (so a reply can
// name one) and a fixed one; an error is failure_reason or bad_response, a reply has one entry per
// hash with counts >= -1 and a clamped min_request_interval, and re-encoded parses back the same.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/bencode.hpp"
#include "discovery/tracker.hpp"
#include "discovery/tracker_parse.hpp"
#include "fuzz_support.hpp"

namespace td = tessera::detail;
using boost::asio::ip::tcp;

namespace {

std::string compact(const std::vector<tcp::endpoint>& peers, bool v6) {
  std::string out;
  for (const auto& ep : peers) {
    const auto a = ep.address();
    if (a.is_v6() != v6) continue;
    if (v6) {
      const auto b = a.to_v6().to_bytes();
      out.append(reinterpret_cast<const char*>(b.data()), b.size());
    } else {
      const auto b = a.to_v4().to_bytes();
      out.append(reinterpret_cast<const char*>(b.data()), b.size());
    }
    out += static_cast<char>(ep.port() >> 8);
    out += static_cast<char>(ep.port() & 0xff);
  }
  return out;
}

std::vector<tcp::endpoint> sorted(std::vector<tcp::endpoint> v) {
  std::sort(v.begin(), v.end());
  return v;
}

void check_scrape(std::string_view in) {
  std::vector<tessera::sha1_hash> hashes(2);
  std::copy_n(in.begin(), std::min<std::size_t>(in.size(), 20), hashes[0].bytes.begin());
  std::fill(hashes[1].bytes.begin(), hashes[1].bytes.end(), 0x61);  // "aaaa..."
  auto r = td::parse_http_scrape_response(in, hashes);
  if (!r) {
    FUZZ_CHECK(r.error().ec == td::tracker_errc::failure_reason || r.error().ec == td::tracker_errc::bad_response);
    FUZZ_CHECK(r.error().message.size() <= 1024 || r.error().ec == td::tracker_errc::bad_response);
    return;
  }
  FUZZ_CHECK(r->entries.size() == 2);
  FUZZ_CHECK(r->min_request_interval.count() >= 0 && r->min_request_interval <= td::tracker_interval_ceiling);
  td::bdict files;
  for (std::size_t i = 0; i < 2; ++i) {
    if (!r->entries[i]) continue;
    const auto& e = *r->entries[i];
    FUZZ_CHECK(e.complete >= -1 && e.downloaded >= -1 && e.incomplete >= -1);
    td::bdict d;
    if (e.complete >= 0) d["complete"] = e.complete;
    if (e.downloaded >= 0) d["downloaded"] = e.downloaded;
    if (e.incomplete >= 0) d["incomplete"] = e.incomplete;
    files[hashes[i].to_bytes()] = td::bvalue(std::move(d));
  }
  td::bdict root;
  root["files"] = td::bvalue(std::move(files));
  auto back = td::parse_http_scrape_response(td::bencode(td::bvalue(std::move(root))), hashes);
  FUZZ_CHECK(back.has_value());
  FUZZ_CHECK(back->entries == r->entries);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  check_scrape(in);
  auto r = td::parse_http_announce_response(in);
  if (!r) {
    FUZZ_CHECK(r.error().ec == td::tracker_errc::failure_reason ||
               r.error().ec == td::tracker_errc::bad_response);
    return 0;
  }
  const td::announce_response& resp = *r;
  FUZZ_CHECK(resp.interval >= td::tracker_min_interval_floor && resp.interval <= td::tracker_interval_ceiling);
  FUZZ_CHECK(resp.min_interval.count() >= 0 && resp.min_interval <= td::tracker_interval_ceiling);
  FUZZ_CHECK(resp.complete >= -1 && resp.incomplete >= -1);
  FUZZ_CHECK(resp.peers.size() * 6 <= size);
  const auto peers = sorted(resp.peers);
  FUZZ_CHECK(std::adjacent_find(peers.begin(), peers.end()) == peers.end());
  for (const auto& ep : peers) FUZZ_CHECK(ep.port() != 0 && !ep.address().is_unspecified());

  td::bdict d;
  d["interval"] = static_cast<std::int64_t>(resp.interval.count());
  d["min interval"] = static_cast<std::int64_t>(resp.min_interval.count());
  d["complete"] = resp.complete;
  d["incomplete"] = resp.incomplete;
  d["peers"] = compact(resp.peers, false);
  d["peers6"] = compact(resp.peers, true);
  if (!resp.tracker_id.empty()) d["tracker id"] = resp.tracker_id;
  if (!resp.warning.empty()) d["warning message"] = resp.warning;
  auto back = td::parse_http_announce_response(td::bencode(td::bvalue(std::move(d))));
  FUZZ_CHECK(back.has_value());
  FUZZ_CHECK(back->interval == resp.interval && back->min_interval == resp.min_interval);
  FUZZ_CHECK(back->complete == resp.complete && back->incomplete == resp.incomplete);
  FUZZ_CHECK(back->tracker_id == resp.tracker_id && back->warning == resp.warning);
  FUZZ_CHECK(sorted(back->peers) == peers);
  return 0;
}
