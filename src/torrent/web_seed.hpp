// One BEP 19 web seed: an HTTP(S) server holding the torrent's files, downloaded from like a peer
// that has every piece. Picks runs of blocks through its torrent (web_seed_host), fetches each run
// with byte-range GETs (core/web_seed_map.hpp: one request per file the run spans), checks every
// reply (206 of the exact length, or 200 of the whole file with the range cut out of it), and
// hands the bytes back block by block. Network thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/piece_picker.hpp"
#include "core/web_seed_map.hpp"
#include "swarm/bandwidth.hpp"
#include "swarm/rate_meter.hpp"
#include "tessera/torrent_status.hpp"

namespace tessera::detail {

/// Why a web seed request failed (category "tessera.web_seed").
enum class web_seed_errc {
  bad_url = 1,         ///< the URL (or a redirect's target) is not http:// or https://
  http_status,         ///< a status other than 200/206 (and not a followed redirect)
  unavailable,         ///< 503 Service Unavailable (Retry-After honoured)
  bad_length,          ///< Content-Length or Content-Range not the range asked for
  short_body,          ///< the body ended before the range was complete
  long_body,           ///< the body went on past the range (or past Content-Length)
  stalled,             ///< no byte for web_seed_config::stall_timeout
  too_many_redirects,  ///< more than web_seed_config::max_redirects
  hash_failed,         ///< pieces it sent failed their hash check too often
  connect_failed,      ///< resolving, connecting or the TLS handshake failed
  not_found,           ///< 404 or 410: the server does not have the file; the seed is dropped at once
};
const std::error_category& web_seed_category() noexcept;
inline std::error_code make_error_code(web_seed_errc e) { return {static_cast<int>(e), web_seed_category()}; }

/// What a web seed asks of its torrent. Called on the network thread from the seed's coroutine.
class web_seed_host {
 public:
  virtual ~web_seed_host() = default;
  /// Appends to `out` blocks for the seed `key` to fetch (marked requested by `key`), up to
  /// `max_blocks`, preferring whole pieces in index order; nothing when there is nothing to do now
  /// (not downloading, memory or disk budget used up).
  virtual void web_seed_pick(peer_key key, int max_blocks, std::vector<block_address>& out) = 0;
  /// A block arrived from the seed: into the same assembly and hash path as a peer's block.
  virtual void web_seed_block(peer_key key, block_address b, std::span<const std::uint8_t> data) = 0;
  /// A picked block will not come (its request failed, or the seed closes).
  virtual void web_seed_abort(peer_key key, block_address b) = 0;
};

/// Tunables of a web seed (units in the names' types).
struct web_seed_config {
  std::int64_t max_request_bytes = 4 << 20;   ///< bytes picked per round (the bytes in flight)
  std::chrono::milliseconds stall_timeout{30'000};   ///< no byte for this long fails the request
  std::chrono::milliseconds connect_timeout{30'000};  ///< resolve + connect + TLS handshake
  std::chrono::milliseconds retry_base{2'000};  ///< first back-off; doubles per failure in a row
  std::chrono::milliseconds retry_max{300'000};  ///< back-off cap (Retry-After capped at it too)
  int max_failures = 5;       ///< failed requests in a row before the seed is dropped
  int max_hash_failures = 3;  ///< pieces failing their hash (from this seed) before it is dropped
  int max_redirects = 5;      ///< redirects followed per request, to http/https only
  std::int64_t max_header_bytes = 16 << 10;  ///< longest reply header accepted
};

/// One web seed. Owned by its torrent (shared_ptr: the coroutine holds one while it runs).
class web_seed : public std::enable_shared_from_this<web_seed> {
 public:
  /// `url` as in the torrent's `url-list` (or a magnet's `ws`); `ti` gives the files to map
  /// ranges onto; `host` is called while it lives (a host gone ends the coroutine quietly).
  web_seed(boost::asio::any_io_executor ex, std::string url, std::shared_ptr<const torrent_info> ti,
           std::weak_ptr<web_seed_host> host, peer_key key, bandwidth_path download, web_seed_config cfg = {});
  ~web_seed();

  /// Starts the download coroutine. Once.
  void start();
  /// Stops it: blocks in flight are handed back (web_seed_abort) and nothing more is picked.
  /// Idempotent.
  void close();
  /// There may be something to pick now (a piece failed, a budget freed up): an idle seed looks.
  void wake();
  /// A piece with blocks from this seed failed its hash check: after max_hash_failures it is
  /// dropped (hash_failed).
  void on_hash_failed();

  peer_key key() const { return key_; }
  const std::string& url() const { return url_; }
  bool dropped() const { return state_ == web_seed_state::dropped; }
  web_seed_status status() const;

 private:
  struct connection;
  boost::asio::awaitable<void> run();
  /// Fetches `parts` into `out` (their bytes in order); an error ends at the first failing part.
  boost::asio::awaitable<std::error_code> fetch_run(const std::vector<web_seed_part>& parts, std::span<std::uint8_t> out);
  boost::asio::awaitable<std::error_code> fetch_part(const web_seed_part& part, std::span<std::uint8_t> out);
  void fail(std::error_code ec, const std::string& what);
  void abort_all(std::vector<block_address>& blocks);

  boost::asio::any_io_executor ex_;
  std::string url_;
  std::shared_ptr<const torrent_info> ti_;
  std::weak_ptr<web_seed_host> host_;
  peer_key key_;
  bandwidth_path download_path_;
  web_seed_config cfg_;
  std::unique_ptr<connection> conn_;
  boost::asio::steady_timer wake_;
  std::unique_ptr<bandwidth_request> bw_;
  web_seed_state state_ = web_seed_state::idle;
  bool started_ = false;
  bool closed_ = false;
  int failures_ = 0;       // failed requests in a row
  int hash_failures_ = 0;
  std::optional<std::chrono::milliseconds> retry_after_;  // from a 503's Retry-After
  std::string error_;
  rate_meter rate_{rate_meter::clock::now()};
};

}  // namespace tessera::detail

template <>
struct std::is_error_code_enum<tessera::detail::web_seed_errc> : std::true_type {};
