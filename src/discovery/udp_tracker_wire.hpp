// BEP 15 (UDP tracker protocol) packets: building requests and reading replies. Pure; internal to
// the discovery layer (the client is udp_tracker_client in tracker.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "discovery/tracker.hpp"

namespace tessera::detail::udp_wire {

/// The magic constant of a connect request.
inline constexpr std::uint64_t protocol_id = 0x41727101980ULL;

/// BEP 15 `action` field.
enum class action : std::uint32_t { connect = 0, announce = 1, scrape = 2, error = 3 };

/// 16 bytes: protocol_id, action connect, transaction id.
std::vector<std::uint8_t> build_connect(std::uint32_t transaction_id);

/// 98 bytes: the IPv4/IPv6 announce request (IP field 0: the tracker uses the sender's address).
/// `numwant` -1 asks for the tracker's default; negative counters are sent as 0.
std::vector<std::uint8_t> build_announce(std::uint64_t connection_id, std::uint32_t transaction_id,
                                         const announce_request& req);

/// 16 + 20·n bytes: a scrape request (action 2) for `hashes`, at most max_scrape_hashes of them
/// (any more are not sent).
std::vector<std::uint8_t> build_scrape(std::uint64_t connection_id, std::uint32_t transaction_id,
                                       std::span<const sha1_hash> hashes);

/// What a datagram meant for a request we sent.
struct reply {
  enum class kind {
    ignore,     ///< too short, another transaction id, or an unexpected action: keep waiting
    connected,  ///< connect reply: `connection_id` is set
    announced,  ///< announce reply: `response` is set
    scraped,    ///< scrape reply: `scraped` is set
    error,      ///< action 3: `message` is set
  };
  kind what = kind::ignore;
  std::uint64_t connection_id = 0;
  announce_response response;
  /// Scrape reply: one entry per whole 12-byte triple (seeders, completed, leechers), at most
  /// `expected_hashes` of them; a negative (as signed 32-bit) count reads as -1.
  std::vector<scrape_entry> scraped;
  std::string message;
};

/// Reads a reply to the request with `transaction_id` and action `expected` (connect, announce
/// or scrape; a scrape reply is read for at most `expected_hashes` triples, extra bytes ignored). `ipv6_peers`: the tracker was reached over IPv6, so peers are 18 bytes each
/// (BEP 15 IPv6 extension); otherwise 6. A trailing partial peer entry is ignored. Never throws.
reply parse_reply(std::span<const std::uint8_t> datagram, std::uint32_t transaction_id,
                  action expected, bool ipv6_peers, std::size_t expected_hashes = 0);

}  // namespace tessera::detail::udp_wire
