// KRPC, the DHT's message layer (BEP 5, with BEP 32 `nodes6` and `want`): bencoded dictionaries over UDP
// with a transaction id `t`, a type `y` (q query, r response, e error) and the body. Pure codec:
// a datagram in, a typed message or an error code out; typed messages in, bytes out. The DHT
// (src/discovery/dht) matches responses to queries by transaction id.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>
#include <vector>

#include "core/compact_peer.hpp"
#include "tessera/result.hpp"
#include "tessera/types.hpp"

namespace tessera::detail::krpc {

/// Why a KRPC datagram was rejected. Category name "tessera.krpc". A query rejected with
/// anything but bad_bencode / not_a_dictionary / bad_transaction may still deserve an error
/// reply (203 protocol error); see parse_error_transaction.
enum class krpc_errc {
  bad_bencode = 1,     ///< not valid bencode, too deep, too many items or too large
  not_a_dictionary,    ///< the top-level value is not a dictionary
  bad_transaction,     ///< `t` missing, empty or longer than max_transaction_length
  bad_type,            ///< `y` missing or not "q", "r" or "e"
  missing_arguments,   ///< query without `q` string or `a` dict, or response without `r` dict
  bad_node_id,         ///< `id` missing or not exactly 20 bytes
  bad_target,          ///< find_node `target` or get_peers/announce_peer `info_hash` not 20 bytes
  bad_port,            ///< announce_peer without implied_port and no `port` in 1..65535
  bad_token,           ///< announce_peer `token` missing or empty, or any token too long
  bad_nodes,           ///< `nodes` not a multiple of 26 bytes or `nodes6` not of 38
  bad_values,          ///< `values` not a list of 6- or 18-byte strings
  bad_error,           ///< `e` not a list [integer code, string message]
};
const std::error_category& krpc_category() noexcept;
inline std::error_code make_error_code(krpc_errc e) { return {static_cast<int>(e), krpc_category()}; }

inline constexpr std::size_t max_transaction_length = 16;  ///< bytes of `t`
inline constexpr std::size_t max_token_length = 64;        ///< bytes of `token`
inline constexpr std::size_t max_datagram = 64 * 1024;     ///< larger input is rejected
inline constexpr std::size_t max_values = 500;             ///< `values` entries kept
inline constexpr std::size_t compact_node_v4_size = 26;    ///< id + 6-byte endpoint
inline constexpr std::size_t compact_node_v6_size = 38;    ///< id + 18-byte endpoint (BEP 32)

/// BEP 5 error codes.
namespace error_code {
inline constexpr int generic = 201;
inline constexpr int server = 202;
inline constexpr int protocol = 203;
inline constexpr int method_unknown = 204;
}  // namespace error_code

/// A DHT node: its id and UDP endpoint.
struct node_entry {
  sha1_hash id;
  peer_endpoint endpoint;
  bool operator==(const node_entry&) const = default;
};

enum class query_method { ping, find_node, get_peers, announce_peer, unknown };

/// A query. `target` holds find_node's `target` or the `info_hash` of get_peers/announce_peer.
struct query {
  std::string transaction;
  query_method method = query_method::ping;
  std::string method_name;    ///< the raw `q`, kept so an unknown method can be answered 204
  sha1_hash id;               ///< querying node's id
  sha1_hash target;           ///< find_node target / get_peers, announce_peer info_hash
  std::uint16_t port = 0;     ///< announce_peer `port` (0 when implied_port and absent)
  bool implied_port = false;  ///< announce_peer: use the datagram's source port
  std::string token;          ///< announce_peer token from an earlier get_peers reply
  bool read_only = false;     ///< BEP 43 `ro`: do not add the sender to the routing table
  /// BEP 32 `want` of find_node and get_peers: the families of nodes asked for in the reply
  /// ("n4": `nodes`, "n6": `nodes6`). Both false: no `want` (the reply carries the family the
  /// query came over). Other strings in the list are ignored; a `want` that is not a list of
  /// strings is treated as absent, and so is a `want` in any other query (neither parsed nor
  /// encoded there).
  bool want_n4 = false;
  bool want_n6 = false;
  bool operator==(const query&) const = default;
};

/// A response. Which fields matter depends on the query it answers (known by transaction id).
struct response {
  std::string transaction;
  sha1_hash id;                       ///< responding node's id
  std::vector<node_entry> nodes;      ///< `nodes` (IPv4) then `nodes6` (IPv6), closest first
  std::vector<peer_endpoint> values;  ///< get_peers peers (IPv4 and IPv6)
  std::optional<std::string> token;   ///< get_peers token
  /// BEP 42 top-level `ip`: the address (and port) the responder saw our query come from, in
  /// the compact form; ignored when it is not 6 or 18 bytes.
  std::optional<peer_endpoint> ip;
  bool operator==(const response&) const = default;
};

/// An error reply (BEP 5 `e`: [code, message]).
struct error {
  std::string transaction;
  std::int64_t code = error_code::generic;
  std::string message;
  bool operator==(const error&) const = default;
};

using message = std::variant<query, response, error>;

/// Parses a KRPC datagram. A query's arguments are validated for its method (ids and targets
/// exactly 20 bytes, announce_peer port and token); an unknown method parses with `id` read if
/// valid, so it can be answered with 204. Unknown keys are ignored. Errors: krpc_errc.
result<message> parse(std::string_view datagram);

/// The transaction id of a datagram that failed to parse, if it has a usable one, so that a
/// protocol error (203) can be sent back. Empty when none.
std::string parse_error_transaction(std::string_view datagram);

/// Encoders. `version` is the optional `v` client string (empty: left out).
std::string encode(const query& q, std::string_view version = {});
std::string encode(const response& r, std::string_view version = {});
std::string encode(const error& e, std::string_view version = {});

/// The query method's wire name ("ping", "find_node", ...); method_name for unknown.
std::string_view method_name(const query& q);

}  // namespace tessera::detail::krpc

template <>
struct std::is_error_code_enum<tessera::detail::krpc::krpc_errc> : std::true_type {};
