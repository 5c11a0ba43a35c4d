// Pure parsing of what the `tessera` verbs that drive a daemon select: torrents (by number or
// info-hash prefix) and files (index lists).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "tessera/result.hpp"

namespace tessera::cli {

/// A torrent as the daemon names it: its session-local number and its info-hash.
struct torrent_ref {
  std::int64_t id = 0;
  std::string hash;  ///< 40 hex digits, lower case
};

/// The torrents of a torrent-get reply's arguments (`{"torrents": [{"id":…,"hashString":…}]}`);
/// entries without an integer id or a string hashString are skipped. Pure.
std::vector<torrent_ref> torrent_refs_of(const boost::json::object& torrent_get_arguments);

/// The daemon ids named by `tokens`, in the order given, each once.
///
/// A token of decimal digits only (fewer than 40) is a torrent number; any other token is an
/// info-hash prefix, compared without regard to case, and must be 1 to 40 hex digits. Errors
/// (the message names the token): a number no torrent has ("no torrent with ID 7"), a prefix
/// matching none ("no torrent whose info-hash starts with 'abc'"), a prefix matching several
/// ("'ab' is ambiguous: it starts the info-hash of torrents 1, 4"), a token that is neither
/// ("'xyz' is neither a torrent ID nor an info-hash prefix"). No tokens: an empty list. Pure.
result<std::vector<std::int64_t>, std::string> resolve_ids(const std::vector<std::string>& tokens,
                                                          const std::vector<torrent_ref>& torrents);

/// File indexes (0-based, as `tessera files` numbers them) from "1,3-5,8": comma-separated
/// numbers and inclusive ranges, blanks around items allowed; sorted, each once. Errors (a
/// message naming the bad part): empty input or item, a non-number, a reversed range, an index
/// above 10,000,000. Pure.
result<std::vector<std::int64_t>, std::string> parse_index_list(std::string_view text);

}  // namespace tessera::cli
