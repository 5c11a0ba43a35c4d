// Tracker announces (BEP 3 HTTP, BEP 15 UDP), shared request/response shapes, and the per-torrent
// announcer that walks tiers (BEP 12) and re-announces on the tracker's interval.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <string>
#include <system_error>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "tessera/result.hpp"
#include "tessera/types.hpp"

namespace tessera::detail {

/// Why an announce failed. Category name "tessera.tracker".
enum class tracker_errc {
  failure_reason = 1,   ///< the tracker answered with `failure reason` (text in tracker_error)
  bad_response,         ///< malformed bencode, missing fields, bad compact peer list
  http_status,          ///< HTTP status other than 200 (code in the text)
  timeout,              ///< no answer in time (UDP: after the BEP 15 retransmissions)
  unsupported_url,      ///< not http://, https:// or udp://, or an unparsable URL
  udp_error,            ///< BEP 15 error action (text in tracker_error)
  resolve_failed,       ///< the host name did not resolve
  redirect_refused,     ///< an HTTP redirect broke redirect_policy (text says which rule)
};
const std::error_category& tracker_category() noexcept;
inline std::error_code make_error_code(tracker_errc e) { return {static_cast<int>(e), tracker_category()}; }

struct tracker_error {
  std::error_code ec;
  std::string message;  ///< human-readable: the failure reason, the HTTP status, the OS error...
};

/// BEP 3 `event` values (BEP 15 numbers them 0..3 in the same order).
enum class announce_event { none = 0, completed = 1, started = 2, stopped = 3 };

struct announce_request {
  sha1_hash info_hash;  ///< the torrent's 20 bytes: info_hash_t::best() (v1, else v2 truncated)
  peer_id pid;          ///< our peer id
  std::uint16_t port = 0;          ///< our listen port (0 if not listening yet)
  std::int64_t uploaded = 0;       ///< payload bytes since `started`
  std::int64_t downloaded = 0;     ///< payload bytes since `started`
  std::int64_t left = 0;           ///< bytes still missing
  announce_event event = announce_event::none;
  int numwant = 50;
  std::uint32_t key = 0;           ///< random per session, lets a tracker recognise us across IPs
  std::string tracker_id;          ///< echoed `tracker id` from a previous HTTP response
  /// Source address of the announce (session_settings::listen_interface when it is an IP
  /// literal): HTTP(S) TCP sockets and UDP tracker sockets are bound to it, port 0, so the tracker
  /// records the address we listen on. Used only for a tracker address of the same family;
  /// otherwise, and when unset, the OS picks. Not sent in the request itself.
  std::optional<boost::asio::ip::address> local_address;
};

struct announce_response {
  std::chrono::seconds interval{1800};
  std::chrono::seconds min_interval{0};        ///< 0 when absent
  /// IPv4 and IPv6 (BEP 7), deduplicated, in the tracker's order, at most max_peers_per_reply
  /// (tracker_parse.hpp) of them; port 0 and unspecified addresses dropped.
  std::vector<boost::asio::ip::tcp::endpoint> peers;
  std::string tracker_id;
  std::string warning;                         ///< `warning message`, if any
  std::int64_t complete = -1;                  ///< seeds, -1 if unknown
  std::int64_t incomplete = -1;                ///< leechers, -1 if unknown
};

/// Parses an HTTP tracker's bencoded body: compact (BEP 23) and dictionary peer lists, `peers6`
/// (BEP 7), `failure reason`, `warning message`, `interval`, `min interval`, `tracker id`. Pure.
result<announce_response, tracker_error> parse_http_announce_response(std::string_view body);

/// Builds the announce URL: `announce_url` may already carry a query (a passkey); the parameters
/// are appended with '&' then. info_hash and peer_id are percent-encoded bytes. Pure.
std::string build_http_announce_url(const std::string& announce_url, const announce_request& req);

/// Which HTTP redirects (301, 302, 303, 307, 308) an announce follows. BEP 3 says nothing of
/// redirects; these rules are libtorrent's (its `ssrf_mitigation`) plus a downgrade rule:
/// - at most `max_redirects` in a chain (then tracker_errc::http_status "too many redirects");
/// - never from https to http: once a hop of the chain was https, an http:// target is refused,
///   so a redirect cannot strip TLS from an announce that asked for it;
/// - once a hop was answered from an address that is not `is_local` (a public tracker), later
///   hops may not connect to an `is_local` address (loopback or private network): the host name
///   is resolved and such addresses are dropped, and with none left the redirect is refused. A
///   public tracker cannot make us send requests to our own host or LAN. A tracker that is itself
///   local (as the user configured it) may redirect anywhere.
/// Violations fail the announce with tracker_errc::redirect_refused.
struct redirect_policy {
  int max_redirects = 3;
  /// What counts as local; tests substitute a predicate to play a "public" tracker on loopback.
  bool (*is_local)(const boost::asio::ip::address&) = nullptr;  ///< null: is_local_network_address
};

// ---- Scrape (BEP 48 over HTTP, BEP 15 action 2 over UDP) ---------------------------------------

/// A swarm's figures from a scrape; -1 where the tracker gave none (or a negative number).
struct scrape_entry {
  std::int64_t complete = -1;    ///< seeds (BEP 48 `complete`, BEP 15 `seeders`)
  std::int64_t downloaded = -1;  ///< completed downloads the tracker counted (`downloaded`, `completed`)
  std::int64_t incomplete = -1;  ///< leechers (`incomplete`, `leechers`)
  friend bool operator==(const scrape_entry&, const scrape_entry&) = default;
};

/// A scrape reply, for the hashes asked (same order): nullopt for a hash the tracker did not
/// report (unknown to it, or left out of a truncated reply).
struct scrape_response {
  std::vector<std::optional<scrape_entry>> entries;
  /// BEP 48 `flags` / `min_request_interval` (HTTP only), clamped to [0, 1 day]; 0 when absent.
  std::chrono::seconds min_request_interval{0};
};

/// Most info-hashes in one scrape request. BEP 15 allows about 74 per UDP packet; a torrent asks
/// for at most two (a hybrid's two swarms), so the cap only guards the codecs.
inline constexpr std::size_t max_scrape_hashes = 74;

/// The HTTP scrape URL of an HTTP(S) announce URL (BEP 48): the last component of the path must
/// begin with `announce`, which becomes `scrape` (`/announce.php?pk=1` -> `/scrape.php?pk=1`);
/// the query and anything after the word are kept. Empty when the path has no such component
/// (BEP 48: such a tracker has no scrape), or the URL is not http:// or https://. Pure.
std::string http_scrape_url(std::string_view announce_url);

/// The scrape URL shown for a udp:// announce URL: the same rewrite as http_scrape_url when the
/// path has an `announce` component (`udp://t:6969/announce` -> `udp://t:6969/scrape`, as
/// Transmission shows it), else the announce URL itself. BEP 15 scrapes the announce URL's host
/// and port whatever the path, so every udp:// tracker is scraped. Empty for another scheme. Pure.
std::string udp_scrape_url(std::string_view announce_url);

/// The text after `authority` (the index just past "scheme://") with the path's last component
/// `announce...` made `scrape...`, the query kept and a fragment dropped; empty when the path's
/// last component does not begin with `announce`. Pure; for http_scrape_url and udp_scrape_url.
std::string rewrite_announce_path(std::string_view url, std::size_t authority);

/// Builds the GET URL of an HTTP scrape: `scrape_url` (from http_scrape_url, possibly with a
/// query, which is kept) plus one `info_hash` parameter per hash, percent-encoded. Pure.
std::string build_http_scrape_url(const std::string& scrape_url, std::span<const sha1_hash> hashes);

/// Parses an HTTP scrape reply (BEP 48): `failure reason` is tracker_errc::failure_reason with its
/// text; otherwise `files` must be a dictionary, and each of `hashes` found in it (as a 20-byte
/// key whose value is a dictionary) gives its `complete`, `downloaded`, `incomplete` (each -1 when
/// absent, not an integer or negative). Other keys of `files` are skipped. Bounded: the decode
/// stops past max_scrape_body_items values or a nesting depth of 4 (bad_response). Pure.
result<scrape_response, tracker_error> parse_http_scrape_response(std::string_view body,
                                                                   std::span<const sha1_hash> hashes);

/// Longest HTTP scrape body read (bytes): an honest reply for two hashes is under 200 bytes; a
/// tracker answering with its whole database instead is refused (tracker_errc bad_response from
/// the read's body limit).
inline constexpr std::uint64_t max_scrape_body_bytes = 256 * 1024;
/// Most bencoded values decoded from one scrape body.
inline constexpr std::size_t max_scrape_body_items = 1 << 15;

/// One HTTP(S) scrape of `scrape_url` (from http_scrape_url) for `hashes` (1..max_scrape_hashes),
/// bounded by `timeout`, from `local` when set (as announce_request::local_address), following
/// redirects as `policy` allows. Errors as announce_http's.
boost::asio::awaitable<result<scrape_response, tracker_error>>
scrape_http(std::string scrape_url, std::vector<sha1_hash> hashes, std::chrono::seconds timeout,
            std::optional<boost::asio::ip::address> local, redirect_policy policy = {});

/// One HTTP(S) announce, with `timeout` for the whole exchange (redirects included), following
/// redirects as `policy` allows.
boost::asio::awaitable<result<announce_response, tracker_error>>
announce_http(std::string url, announce_request req, std::chrono::seconds timeout,
              redirect_policy policy = {});

/// BEP 15 client. One per session: keeps connection ids per tracker endpoint for up to 60 s.
/// Each announce opens its own UDP socket (of the tracker address's family) and closes it when
/// done, so replies need no dispatching between concurrent requests; the connection id is tied
/// to our IP address by trackers, not to the source port, so it is shared across those sockets.
/// Call it only from its executor; announce() coroutines keep the client's state alive.
class udp_tracker_client {
 public:
  /// `base_timeout` is BEP 15's 15 s; tests shorten it.
  explicit udp_tracker_client(boost::asio::any_io_executor ex,
                              std::chrono::milliseconds base_timeout = std::chrono::seconds(15));
  ~udp_tracker_client();
  /// connect (or reuse the connection id), then announce; retransmits after
  /// base_timeout * 2^n, n = 0..`max_retries` (one counter across connect and announce), then
  /// fails with tracker_errc::timeout. URL form udp://host:port[/...]; the path is ignored.
  /// Errors: unsupported_url, resolve_failed, timeout, udp_error (text from the tracker; the
  /// cached connection id is dropped), bad_response, or the socket's own error.
  boost::asio::awaitable<result<announce_response, tracker_error>>
  announce(std::string url, announce_request req, int max_retries = 8);
  /// BEP 15 scrape (action 2) of `hashes` (1..max_scrape_hashes): connect (or reuse the
  /// connection id), then scrape, with announce()'s retransmissions and errors. From `local`
  /// when it is of the tracker's family. The reply's triples map to `hashes` in order; a reply
  /// with fewer leaves the rest nullopt.
  boost::asio::awaitable<result<scrape_response, tracker_error>>
  scrape(std::string url, std::vector<sha1_hash> hashes,
         std::optional<boost::asio::ip::address> local, int max_retries = 8);

  /// Opaque state (connection ids, the random source); named here so that the exchange shared by
  /// announce() and scrape() in udp_tracker.cpp can take it.
  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

/// Drives one torrent's announces over its tiers (BEP 12): each tier shuffled once; within a tier
/// trackers are tried in order and the one that answers moves to the front; tiers are tried in
/// order until one answers. Sends `started` first, `completed` when told, periodic re-announces
/// honouring `interval`/`min interval`, and `stopped` on stop(). Runs on the executor it is given;
/// call it only from there.
class announcer : public std::enable_shared_from_this<announcer> {
 public:
  struct callbacks {
    /// Current counters for the next announce (event and tracker id are filled in by us, and the
    /// key unless the request carries one: the announcers of a hybrid's two swarms share theirs).
    std::function<announce_request()> make_request;
    /// Peers from a successful announce.
    std::function<void(const std::vector<boost::asio::ip::tcp::endpoint>&)> on_peers;
    /// A whole round failed: every tracker of every tier gave an error (the last one is passed).
    std::function<void(const tracker_error&)> on_all_failed;
    /// One tracker answered (for status and logs): its URL and reply.
    std::function<void(const std::string& url, const announce_response&)> on_reply;
    /// One tracker failed (for status and logs).
    std::function<void(const std::string& url, const tracker_error&)> on_error;
  };

  /// Timing policy. Defaults are for real use; tests shorten them.
  struct timing {
    /// Whole-exchange timeout of one HTTP(S) announce.
    std::chrono::seconds http_timeout{20};
    /// BEP 15 max_retries while no tracker has answered yet: 1 means 15 s + 30 s, so an
    /// unreachable UDP tracker is reported within 45 s instead of BEP 15's ~2 hours.
    int udp_first_round_retries = 1;
    /// BEP 15 max_retries afterwards: 3 means at most 15+30+60+120 s = 3.75 min per tracker.
    int udp_retries = 3;
    /// Delay before retrying a failed round: first_retry * 2^k after k+1 failed rounds in a
    /// row, at most max_retry.
    std::chrono::seconds first_retry{30};
    std::chrono::seconds max_retry{30 * 60};
  };

  /// `tiers`: announce-list (BEP 12), outer order is tier order; empty tiers are dropped.
  /// `udp` may be null when no tier has a udp:// URL (udp URLs then fail with unsupported_url).
  announcer(boost::asio::any_io_executor ex, std::shared_ptr<udp_tracker_client> udp,
            std::vector<std::vector<std::string>> tiers, callbacks cb);
  announcer(boost::asio::any_io_executor ex, std::shared_ptr<udp_tracker_client> udp,
            std::vector<std::vector<std::string>> tiers, callbacks cb, timing t);
  ~announcer();

  /// Starts the loop: announces `started` now, then on the interval.
  void start();
  /// Announces `completed` now (once), then carries on.
  void completed();
  /// Asks for peers now when the last announce is older than `min interval`.
  void reannounce();
  /// Ends the loop and announces `stopped` to the trackers that answered, waiting at most
  /// `timeout` in total.
  boost::asio::awaitable<void> stop(std::chrono::seconds timeout);

  /// The tiers in their current order (after the shuffle and any promotions), for status
  /// displays and tests.
  std::vector<std::vector<std::string>> tiers() const;

  /// When the next round is due (steady clock); nullopt before start() and after stop(). A
  /// round in progress shows the time it was due (in the past).
  std::optional<std::chrono::steady_clock::time_point> next_announce() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace tessera::detail

template <>
struct std::is_error_code_enum<tessera::detail::tracker_errc> : std::true_type {};
