// libFuzzer target for UDP tracker replies (BEP 15, IPv6 peers per its extension):
// udp_wire::parse_reply as the client calls it on each datagram. The first input byte chooses
// the request the reply answers (connect or announce; bit 3: scrape, for 1 + (bits 4..7) hashes),
// whether the tracker is IPv6, and whether the transaction id is the datagram's own (so the
// fuzzer reaches the body) or a fixed one. A scrape reply holds one entry per whole 12-byte
// triple, at most one per hash asked, counts >= -1 and equal to the triple's when not negative.
// Invariants: a datagram shorter than 8 bytes or for another transaction is ignored; an error
// reply carries its text (at most 1 KiB of it); a connect reply its 8-byte id; an announce reply
// clamped interval, counts >= -1, and only peers that sit whole, in order, in its peer list,
// none twice, none with port 0 or an unspecified address.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "discovery/tracker_parse.hpp"
#include "discovery/udp_tracker_wire.hpp"
#include "fuzz_support.hpp"

namespace td = tessera::detail;
namespace udp = tessera::detail::udp_wire;

namespace {

std::uint32_t be32(std::span<const std::uint8_t> d, std::size_t at) {
  return std::uint32_t{d[at]} << 24 | std::uint32_t{d[at + 1]} << 16 | std::uint32_t{d[at + 2]} << 8 | d[at + 3];
}

/// The compact bytes of `ep` as BEP 15 sends them.
std::vector<std::uint8_t> compact(const boost::asio::ip::tcp::endpoint& ep) {
  std::vector<std::uint8_t> out;
  if (ep.address().is_v6()) {
    const auto b = ep.address().to_v6().to_bytes();
    out.assign(b.begin(), b.end());
  } else {
    const auto b = ep.address().to_v4().to_bytes();
    out.assign(b.begin(), b.end());
  }
  out.push_back(static_cast<std::uint8_t>(ep.port() >> 8));
  out.push_back(static_cast<std::uint8_t>(ep.port() & 0xff));
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  const std::span<const std::uint8_t> datagram(data + 1, size - 1);
  const bool scrape = (mode & 8) != 0;
  const std::size_t scrape_hashes = 1 + (mode >> 4);
  const auto expected = scrape ? udp::action::scrape : (mode & 1) ? udp::action::announce : udp::action::connect;
  const bool ipv6 = (mode & 2) != 0;
  const bool own_tid = (mode & 4) == 0 && datagram.size() >= 8;
  const std::uint32_t tid = own_tid ? be32(datagram, 4) : 0x1badb002u;

  const udp::reply r = udp::parse_reply(datagram, tid, expected, ipv6, scrape_hashes);
  if (datagram.size() < 8 || be32(datagram, 4) != tid) {
    FUZZ_CHECK(r.what == udp::reply::kind::ignore);
    return 0;
  }
  const std::uint32_t action = be32(datagram, 0);
  switch (r.what) {
    case udp::reply::kind::ignore:
      // Ignored only when it is no complete reply of the kind we wait for.
      FUZZ_CHECK(action != static_cast<std::uint32_t>(udp::action::error));
      FUZZ_CHECK(action != static_cast<std::uint32_t>(expected) ||
                 (!scrape && datagram.size() < (expected == udp::action::connect ? 16u : 20u)));
      break;
    case udp::reply::kind::error: {
      FUZZ_CHECK(action == static_cast<std::uint32_t>(udp::action::error));
      FUZZ_CHECK(r.message.size() <= 1024 && r.message.size() <= datagram.size() - 8);
      FUZZ_CHECK(std::memcmp(r.message.data(), datagram.data() + 8, r.message.size()) == 0);
      break;
    }
    case udp::reply::kind::scraped: {
      FUZZ_CHECK(scrape && action == static_cast<std::uint32_t>(udp::action::scrape));
      FUZZ_CHECK(r.scraped.size() == std::min((datagram.size() - 8) / 12, scrape_hashes));
      for (std::size_t i = 0; i < r.scraped.size(); ++i) {
        const auto& e = r.scraped[i];
        const std::int64_t values[3] = {e.complete, e.downloaded, e.incomplete};
        for (std::size_t k = 0; k < 3; ++k) {
          const auto raw = static_cast<std::int32_t>(be32(datagram, 8 + 12 * i + 4 * k));
          FUZZ_CHECK(values[k] == (raw < 0 ? -1 : raw));
        }
      }
      break;
    }
    case udp::reply::kind::connected: {
      FUZZ_CHECK(expected == udp::action::connect && action == static_cast<std::uint32_t>(expected));
      FUZZ_CHECK(datagram.size() >= 16);
      FUZZ_CHECK(r.connection_id == (std::uint64_t{be32(datagram, 8)} << 32 | be32(datagram, 12)));
      break;
    }
    case udp::reply::kind::announced: {
      FUZZ_CHECK(expected == udp::action::announce && action == static_cast<std::uint32_t>(expected));
      FUZZ_CHECK(datagram.size() >= 20);
      const auto& resp = r.response;
      FUZZ_CHECK(resp.interval >= td::tracker_min_interval_floor && resp.interval <= td::tracker_interval_ceiling);
      FUZZ_CHECK(resp.complete >= -1 && resp.incomplete >= -1);
      const std::size_t stride = ipv6 ? 18 : 6;
      FUZZ_CHECK(resp.peers.size() <= (datagram.size() - 20) / stride);
      // Each peer is a whole entry of the list, later peers at later entries (duplicates and
      // port-0 or unspecified entries dropped, nothing invented or reordered).
      std::size_t next = 20;
      for (const auto& ep : resp.peers) {
        FUZZ_CHECK(ep.port() != 0 && !ep.address().is_unspecified());
        FUZZ_CHECK(ep.address().is_v6() == ipv6);
        const auto want = compact(ep);
        bool found = false;
        for (; next + stride <= datagram.size(); next += stride) {
          if (std::equal(want.begin(), want.end(), datagram.begin() + static_cast<std::ptrdiff_t>(next))) {
            found = true;
            next += stride;
            break;
          }
        }
        FUZZ_CHECK(found);
      }
      auto peers = resp.peers;
      std::sort(peers.begin(), peers.end());
      FUZZ_CHECK(std::adjacent_find(peers.begin(), peers.end()) == peers.end());
      break;
    }
  }
  return 0;
}
