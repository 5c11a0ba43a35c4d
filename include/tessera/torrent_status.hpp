// What a torrent looks like at one moment: its state and counters, and the status of each of its
// files, peers and trackers. Plain values, copied out of the session's network thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/types.hpp"

namespace tessera {

/// The phase a torrent is in (torrent_status::state, events::state_changed).
enum class torrent_state {
  downloading_metadata,  ///< added from a magnet link: fetching the info dictionary (BEP 9)
  checking,     ///< hashing data already on disk
  downloading,  ///< requesting pieces from peers (also while finished with files skipped)
  seeding,      ///< every piece verified
  error,        ///< stopped by an error (see torrent_status::error)
  paused,       ///< paused by the user: no connections, no announces (torrent_status only)
};

/// "downloading metadata", "checking", "downloading", "seeding", "error", "paused": a static
/// string, never null ("?" for a value outside the enum).
const char* to_string(torrent_state s);

/// What a web seed (BEP 19) is doing (web_seed_status::state).
enum class web_seed_state {
  idle,         ///< nothing to fetch now (or the torrent is not downloading)
  downloading,  ///< a request is in flight
  backing_off,  ///< its last request failed: waiting before the next (web_seed_status::error)
  dropped,      ///< failed too often (requests or hash checks): no more requests this session
};

/// "idle", "downloading", "backing off", "dropped": a static string ("?" outside the enum).
const char* to_string(web_seed_state s);

/// One web seed of a torrent (BEP 19 `url-list`, a magnet's `ws`), as torrent_status lists it.
struct web_seed_status {
  std::string url;                    ///< as given by the torrent (raw bytes: escape before showing)
  web_seed_state state = web_seed_state::idle;
  std::int64_t download_rate = 0;     ///< bytes/s received from it
  std::int64_t total_downloaded = 0;  ///< bytes received from it this session (incl. rejected ones)
  int failures = 0;                   ///< requests failed in a row (0 after a success)
  std::string error;                  ///< the last failure, empty before any
};

/// A snapshot of one torrent. Byte counts are payload bytes; rates are bytes per second averaged
/// over the last few seconds.
struct torrent_status {
  torrent_state state = torrent_state::checking;
  info_hash_t info_hash;              ///< v1 and/or v2 info-hashes (BEP 3, BEP 52)
  std::string name;                   ///< `info.name`; for a magnet without metadata, its `dn`
  std::int64_t total_size = 0;        ///< bytes in the torrent (padding excluded)
  std::int64_t total_done = 0;        ///< verified bytes (padding excluded)
  std::int64_t total_downloaded = 0;  ///< payload bytes received this session (incl. wasted)
  std::int64_t total_uploaded = 0;    ///< payload bytes sent this session
  std::int64_t total_wasted = 0;      ///< bytes received and discarded (hash failures, duplicates)
  std::int64_t download_rate = 0;     ///< bytes/s
  std::int64_t upload_rate = 0;       ///< bytes/s
  int num_pieces = 0;                 ///< pieces in the torrent; 0 for a magnet without metadata
  int pieces_done = 0;                ///< verified pieces
  int pieces_checked = 0;             ///< while checking: pieces hashed so far
  int num_peers = 0;                  ///< connected peers (handshake done)
  int num_seeds = 0;                  ///< connected peers that have every piece
  int num_known_peers = 0;            ///< addresses learned from trackers, not yet failed
  std::string error;                  ///< what went wrong, when state == error
  std::string tracker_message;        ///< last tracker error or warning, empty if none
  bool is_paused = false;             ///< paused by the user (state is then `paused`)
  std::filesystem::path save_path;    ///< the download directory
  /// Bytes of the pieces of priority > 0 (padding excluded): a piece shared by a skipped and a
  /// wanted file counts whole. Equals total_size when nothing is skipped; 0 for a magnet without
  /// metadata.
  std::int64_t total_wanted = 0;
  std::int64_t total_wanted_done = 0;  ///< of total_wanted: bytes in verified pieces
  /// Every wanted piece (priority > 0) verified: torrent_finished was emitted. A torrent with
  /// skipped files stays `downloading` while finished; `seeding` needs every piece. Unskipping a
  /// file makes it unfinished again and the download goes on.
  bool is_finished = false;
  /// The torrent's web seeds (BEP 19), in `url-list` order; empty when it has none or
  /// session_settings::enable_web_seeds is off.
  std::vector<web_seed_status> web_seeds;
  /// Connected peers that sent us payload over the last few seconds (their download rate is
  /// above 0): Transmission's peersSendingToUs.
  int peers_sending_to_us = 0;
  /// Connected peers we sent payload to over the last few seconds (their upload rate is above
  /// 0): Transmission's peersGettingFromUs.
  int peers_getting_from_us = 0;
  /// Bytes of the downloaded pieces that failed the hash check this session (whole pieces,
  /// counted once per failure; also part of total_wasted): Transmission's corruptEver.
  std::int64_t total_failed_bytes = 0;
  /// While state is `checking` (the start-up check or a recheck): the fraction of the pieces
  /// hashed so far, in 0..1 (pieces_checked / num_pieces). 0 in every other state, including a
  /// check interrupted by a pause (state `paused`): Transmission's recheckProgress.
  double checking_progress = 0.0;
  /// total_done / total_size in 0..1; 0 while the size is unknown (a magnet whose metadata has
  /// not arrived: num_pieces is 0).
  double progress() const {
    if (total_size) return double(total_done) / double(total_size);
    return num_pieces == 0 ? 0.0 : 1.0;
  }
  /// Estimated time left at the current download rate; nullopt when unknown (rate 0).
  std::optional<std::chrono::seconds> eta() const;
  /// Share ratio: total_uploaded / max(total_downloaded, total_size), 0 when both are 0 (a seed
  /// that downloaded nothing this session divides by the torrent's size, as Transmission does).
  double ratio() const;
};

/// One file of a torrent (metainfo order; padding files included, flagged).
struct file_status {
  std::string path;          ///< relative to the download directory ("name/dir/file")
  std::int64_t size = 0;     ///< bytes
  std::int64_t done = 0;     ///< bytes of it inside verified pieces
  bool pad = false;          ///< a BEP 47 padding file (never on disk)
  /// done / size in 0..1 (1 for an empty file).
  double progress() const { return size ? double(done) / double(size) : 1.0; }
};

/// One connected peer (handshake done).
/// Where a torrent learned of a connected peer (Transmission's `peersFrom`).
enum class peer_origin {
  incoming,  ///< it connected to us
  tracker,   ///< a tracker's announce reply
  dht,       ///< the DHT (BEP 5)
  lsd,       ///< local service discovery (BEP 14)
  pex,       ///< another peer's ut_pex message (BEP 11)
  user,      ///< the application: add_torrent_params::peers, a magnet's x.pe, connect_peer
};

struct peer_status {
  std::string endpoint;          ///< "ip:port" of the connection ("[v6]:port")
  std::string client;            ///< from the peer id, e.g. "libtorrent 2080"
  bool incoming = false;         ///< it connected to us
  bool encrypted = false;        ///< the connection is RC4-encrypted (MSE/PE)
  bool utp = false;              ///< the connection runs over uTP (BEP 29), else TCP
  peer_origin origin = peer_origin::user;  ///< where we learned of it (incoming when it connected)
  bool is_seed = false;          ///< it has every piece
  bool am_choking = true;        ///< we choke it
  bool am_interested = false;    ///< we want pieces from it
  bool peer_choking = true;      ///< it chokes us
  bool peer_interested = false;  ///< it wants pieces from us
  bool snubbed = false;          ///< it stopped sending what we requested
  int pieces = 0;                ///< pieces it has
  std::int64_t downloaded = 0;   ///< payload bytes from it
  std::int64_t uploaded = 0;     ///< payload bytes to it
  std::int64_t download_rate = 0;  ///< bytes/s
  std::int64_t upload_rate = 0;    ///< bytes/s
};

/// A swarm's figures from a tracker's scrape (BEP 48 over HTTP, BEP 15 over UDP); each -1 when
/// unknown (never scraped, the tracker left it out, or it sent a negative number).
struct scrape_figures {
  std::int64_t complete = -1;    ///< seeds (`complete`; BEP 15 `seeders`)
  std::int64_t incomplete = -1;  ///< leechers (`incomplete`; BEP 15 `leechers`)
  std::int64_t downloaded = -1;  ///< downloads the tracker saw complete (`downloaded`; BEP 15 `completed`)
  friend bool operator==(const scrape_figures&, const scrape_figures&) = default;
};

/// Where a tracker is scraped, from its announce URL: for http:// and https:// the BEP 48 scrape
/// URL (the path's last component begins with `announce`, which becomes `scrape`, the rest and
/// the query kept: `http://t/announce.php?pk=1` -> `http://t/scrape.php?pk=1`), empty when the
/// path has no such component (such a tracker is never scraped); for udp:// the same rewrite when
/// the path has such a component, else the announce URL itself (BEP 15 scrapes the announce URL's
/// host and port whatever its path, so every udp:// tracker is scraped); empty for any other
/// scheme. Pure; any thread.
std::string tracker_scrape_url(std::string_view announce_url);

/// How a tracker's scrape stands (Transmission's `scrapeState` numbers).
enum class tracker_scrape_state {
  inactive = 0,  ///< not scraped: no scrape URL, or the torrent is not announcing
  waiting = 1,   ///< a scrape is planned (next_scrape), or will follow the first announce
  active = 3,    ///< a scrape is in flight
};

/// One tracker URL of the torrent (BEP 12 tiers).
struct tracker_status {
  std::string url;                ///< as in the metainfo or magnet `tr`
  int tier = 0;                   ///< 0-based tier index
  int announces = 0;              ///< successful announces so far
  int failures = 0;               ///< failed announces in a row
  int peers = 0;                  ///< peers in its last reply
  std::optional<int> seeders;     ///< `complete` of its last reply, when given
  std::optional<int> leechers;    ///< `incomplete` of its last reply, when given
  std::string message;            ///< last error or warning, empty if none
  std::int64_t last_announce = 0; ///< when it last answered or failed (Unix seconds), 0 never
  /// When the torrent's next announce round is due (Unix seconds; a round tries the tiers in
  /// order, so every tracker of the torrent shows the same time), 0 while not announcing.
  std::int64_t next_announce = 0;

  // Scrape (BEP 48 over HTTP, BEP 15 action 2 over UDP). A torrent that announces scrapes each of
  // its trackers that has a scrape_url: first a few seconds after its first successful announce,
  // then every 30 minutes (longer when the tracker's BEP 48 `min_request_interval` says so), a
  // failed scrape again after 1, 2, 4 ... minutes (at most an hour), and at once on
  // torrent_handle::scrape_tracker. One request per tracker asks for every swarm of the torrent
  // (a hybrid's v1 hash and truncated v2 hash, BEP 52).

  std::string scrape_url;          ///< tracker_scrape_url(url); empty: this tracker is never scraped
  /// The last successful scrape's figures for the torrent's primary swarm (its v1 info-hash, or
  /// the truncated v2 hash of a v2-only torrent); kept when a later scrape fails.
  scrape_figures scrape;
  /// A hybrid torrent's v2 swarm (truncated v2 info-hash), as `scrape`; all -1 for other torrents.
  scrape_figures scrape_v2;
  tracker_scrape_state scrape_state = tracker_scrape_state::inactive;
  int scrapes = 0;                    ///< scrapes that succeeded so far
  bool scrape_succeeded = false;      ///< the last finished scrape succeeded (false: never, or it failed)
  bool scrape_timed_out = false;      ///< the last finished scrape failed for lack of an answer
  std::string scrape_error;           ///< the last finished scrape's error, empty after a success
  std::int64_t last_scrape_start = 0; ///< when the last scrape began (Unix seconds), 0 never
  std::int64_t last_scrape = 0;       ///< when the last scrape finished, either way (Unix seconds), 0 never
  std::int64_t next_scrape = 0;       ///< when the next is planned (Unix seconds), 0 none planned
};

}  // namespace tessera
