// The public entry point: a session runs torrents on its own network thread.
//
// Thread rules: every member function of `session` and `torrent_handle` may be called from any
// thread. Calls are posted to the session's network thread; those returning a value wait for it.
// Event callbacks run on the session's network thread: they must return quickly and must not call
// blocking members of `session`/`torrent_handle` (post work elsewhere instead).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tessera/result.hpp"
#include "tessera/storage.hpp"
#include "tessera/torrent_info.hpp"
#include "tessera/types.hpp"

namespace tessera {

namespace detail {
class session_impl;
class torrent;
}  // namespace detail

/// Session-wide settings. Durations are std::chrono types; counts are plain ints.
struct session_settings {
  int max_connections = 200;              ///< peer connections across all torrents
  int max_connections_per_torrent = 60;   ///< peer connections per torrent
  /// TCP port to listen on for incoming peers (BEP 3). When it is taken, the next 10 ports are
  /// tried, then one the OS picks (logged); session::listen_port() tells the port in use, and that
  /// is the port announced to trackers. 0: let the OS pick.
  std::uint16_t listen_port = 6881;
  /// Address to listen on: "" for every address (IPv4 0.0.0.0 and IPv6 ::), or an IP literal
  /// ("127.0.0.1", "::1") for that one only. An IP literal is also the source address of our
  /// outgoing peer connections and tracker announces (HTTP(S) and UDP) to remotes of its family,
  /// so trackers list us, and peers see us, at the address we listen on.
  std::string listen_interface;
  /// Regular upload slots of the choker (BEP 3: 4), plus one optimistic unchoke.
  int unchoke_slots = 4;
  std::string peer_id_version = "0001";   ///< four characters after "-TS" in our peer id
  int disk_threads = 2;                   ///< hashing/writing threads
  int numwant = 80;                       ///< peers asked of each tracker per announce
  std::chrono::seconds stop_announce_timeout{5};  ///< how long stop waits for `stopped` announces
  /// Directory for the session's own files: the .torrent of each magnet whose metadata arrived
  /// (`<info-hash hex>.torrent`). Created when needed. Empty: nothing is saved.
  std::string state_dir;
  /// Peer exchange (BEP 11, ut_pex): tell connected peers about our other peers at most once a
  /// minute and connect to the peers they tell us about. Never for private torrents (BEP 27).
  bool enable_pex = true;
  /// How often each peer gets a ut_pex message with what changed. BEP 11 asks for at most one a
  /// minute; only tests shorten it.
  std::chrono::seconds pex_interval{60};

  // --- DHT (BEP 5) ---
  /// Runs a DHT node: UDP on the same interface and port as the TCP listener (the port really
  /// bound; when that UDP port is taken, one the OS picks, logged). Every torrent that is not
  /// private (BEP 27) looks for peers with get_peers and announces our listen port. Peers that
  /// set the DHT bit of the handshake get a `port` message, and the nodes from their `port`
  /// messages join our routing table. Off: no UDP socket, no DHT bit, no `port` message.
  /// One node, of the listen interface's family: IPv4 (0.0.0.0) when listen_interface is "".
  bool enable_dht = true;
  /// Nodes to join the DHT through, as "host:port" or "[v6]:port" (host names are resolved).
  /// Empty by default: there are no built-in public routers, so give your own (e.g. a known node
  /// of your network). With neither these nor a saved state the node only answers queries and
  /// sends nothing, until peers' `port` messages name nodes.
  std::vector<std::string> dht_bootstrap_nodes;
  /// File holding the DHT node's id and routing table (node persistence): loaded at start when it
  /// exists (a missing or malformed file is logged and ignored), written at stop. Empty: none.
  std::string dht_state_file;
  /// Period of each torrent's get_peers lookup with announce_peer (BEP 5 peers expire after
  /// about 30 minutes at most nodes; 15 minutes keeps the announce fresh).
  std::chrono::seconds dht_announce_interval{15 * 60};
  /// Shorter period used while a torrent is downloading with fewer than 5 connected peers. While
  /// the routing table is empty no lookup is sent; the first one follows within a second of the
  /// first node joining.
  std::chrono::seconds dht_few_peers_interval{90};

  // --- Local service discovery (BEP 14) ---
  /// Finds peers on the local network: joins the multicast group 239.192.152.143:6771 (and
  /// [ff15::efc0:988f]:6771 when listen_interface is ""), announces every torrent that is not
  /// private (BEP 27) when it is added and every 5 minutes after (at most once a minute per
  /// torrent), and connects to the peers that announce our torrents, like peers from a tracker.
  /// Our own announces are recognised by a random cookie and ignored. Multicast interface: the
  /// listen_interface when it is an IPv4 literal (IPv4 group only then), else the kernel's choice
  /// (the default route's interface). With an IPv6 literal listen_interface LSD stays off
  /// (logged): peers found on the IPv4 group could not reach an IPv6-only listener.
  bool enable_lsd = true;
  /// UDP port of the LSD multicast group (BEP 14: 6771). Only tests change it, so that they
  /// never mix with real LSD traffic.
  std::uint16_t lsd_port = 6771;
};

/// The session's DHT node at one moment (see session::dht). Counters are monotonic.
struct dht_status {
  std::uint16_t port = 0;              ///< UDP port of the node
  int nodes = 0;                       ///< nodes in the routing table
  std::uint64_t queries_sent = 0;      ///< KRPC queries we sent (ping, find_node, get_peers, announce)
  std::uint64_t queries_received = 0;  ///< well-formed queries we answered
  std::uint64_t announces_stored = 0;  ///< announce_peer queries we accepted
  int lookups = 0;                     ///< get_peers lookups our torrents ran
};

/// What to add: a parsed .torrent, or a magnet link's info-hash, and where to put its files.
struct add_torrent_params {
  /// The torrent's metadata. Null: a magnet link (see info_hash); the info dictionary is then
  /// fetched from peers (BEP 9), verified against info_hash, and saved as
  /// `<state_dir>/<info-hash hex>.torrent` when session_settings::state_dir is set.
  std::shared_ptr<const torrent_info> ti;
  /// Used only when `ti` is null: the v1 info-hash of the magnet link (required then).
  sha1_hash info_hash;
  /// Used only when `ti` is null: a display name until the metadata arrives (magnet `dn`).
  std::string name;
  /// Used only when `ti` is null: tracker URLs, each its own tier (magnet `tr`).
  std::vector<std::string> trackers;
  std::filesystem::path save_path;         ///< download directory (created if missing)
  /// Extra peers to dial, as "ip:port" ("[v6]:port" for IPv6), beside those from trackers.
  /// Entries that do not parse are ignored.
  std::vector<std::string> peers;
  /// Where the torrent's bytes go (tessera/storage.hpp): empty = files on disk under save_path;
  /// else called once with the metainfo and save_path on the network thread (for a magnet link
  /// once the metadata arrived). E.g. memory_storage_factory() or blob_storage_factory().
  storage_factory storage;

  /// Parameters for a magnet link (BEP 9): info-hash, `dn`, `tr` and `x.pe` (peers) from `uri`;
  /// `ws` is not used yet. Errors: magnet_errc (see tessera/magnet.hpp); a host name in `x.pe`
  /// (only IP literals are dialled) fails with magnet_errc::bad_peer.
  static result<add_torrent_params> from_magnet(std::string_view uri, std::filesystem::path save_path);
};

enum class torrent_state {
  downloading_metadata,  ///< added from a magnet link: fetching the info dictionary (BEP 9)
  checking,     ///< hashing data already on disk
  downloading,
  seeding,      ///< every piece verified
  error,        ///< stopped by an error (see torrent_status::error)
};

/// A snapshot of one torrent. Byte counts are payload bytes; rates are bytes per second averaged
/// over the last few seconds.
struct torrent_status {
  torrent_state state = torrent_state::checking;
  sha1_hash info_hash;
  std::string name;
  std::int64_t total_size = 0;        ///< bytes in the torrent (padding excluded)
  std::int64_t total_done = 0;        ///< verified bytes (padding excluded)
  std::int64_t total_downloaded = 0;  ///< payload bytes received this session (incl. wasted)
  std::int64_t total_uploaded = 0;    ///< payload bytes sent this session
  std::int64_t total_wasted = 0;      ///< bytes received and discarded (hash failures, duplicates)
  std::int64_t download_rate = 0;     ///< bytes/s
  std::int64_t upload_rate = 0;       ///< bytes/s
  int num_pieces = 0;
  int pieces_done = 0;                ///< verified pieces
  int pieces_checked = 0;             ///< while checking: pieces hashed so far
  int num_peers = 0;                  ///< connected peers (handshake done)
  int num_seeds = 0;                  ///< connected peers that have every piece
  int num_known_peers = 0;            ///< addresses learned from trackers, not yet failed
  std::string error;                  ///< what went wrong, when state == error
  std::string tracker_message;        ///< last tracker error or warning, empty if none
  double progress() const { return total_size ? double(total_done) / double(total_size) : 1.0; }
  /// Estimated time left at the current download rate; nullopt when unknown (rate 0).
  std::optional<std::chrono::seconds> eta() const;
};

namespace events {
struct torrent_added { sha1_hash info_hash; };
/// The start-up check of data already on disk ended: `pieces_present` of `num_pieces` verified.
struct torrent_checked { sha1_hash info_hash; int pieces_present = 0; int num_pieces = 0; };
struct torrent_finished { sha1_hash info_hash; };                    ///< every piece verified
struct torrent_error { sha1_hash info_hash; std::string message; };  ///< torrent stopped
/// Every tracker of every tier failed in one round and no peer is connected.
struct tracker_error { sha1_hash info_hash; std::string message; };
struct piece_verified { sha1_hash info_hash; piece_index piece; };
/// A magnet torrent's info dictionary arrived and passed the info-hash check (BEP 9): the torrent
/// now has a name, pieces and files, and checks its data next.
struct metadata_received { sha1_hash info_hash; std::string name; };
struct peer_connected { sha1_hash info_hash; std::string endpoint; std::string client; };
struct peer_disconnected { sha1_hash info_hash; std::string endpoint; std::string reason; };
}  // namespace events

using event = std::variant<events::torrent_added, events::torrent_checked, events::torrent_finished, events::torrent_error,
                           events::tracker_error, events::piece_verified, events::peer_connected,
                           events::peer_disconnected, events::metadata_received>;

/// Refers to a torrent in a session. Cheap to copy. Once the torrent is removed (or the session is
/// gone) every call fails with std::errc::no_such_process instead of touching freed state.
class torrent_handle {
 public:
  torrent_handle() = default;
  result<torrent_status> status() const;
  bool is_valid() const;
  sha1_hash info_hash() const { return info_hash_; }

 private:
  friend class detail::session_impl;
  torrent_handle(std::weak_ptr<detail::session_impl> s, std::weak_ptr<detail::torrent> t, sha1_hash ih)
      : session_(std::move(s)), torrent_(std::move(t)), info_hash_(ih) {}
  std::weak_ptr<detail::session_impl> session_;
  std::weak_ptr<detail::torrent> torrent_;
  sha1_hash info_hash_;
};

class session {
 public:
  /// Starts the network thread and the disk pool.
  explicit session(session_settings settings = {});
  /// Same as stop(), then joins the threads.
  ~session();
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  /// Adds a torrent and starts it (check existing data, announce, connect). Fails with
  /// std::errc::file_exists when the info-hash is already in the session,
  /// std::errc::invalid_argument when `ti` is null or a `peers` entry is malformed, or with the
  /// storage's OS error when the download directory cannot be created or written. When
  /// `error_message` is given it receives a human-readable explanation on failure (e.g.
  /// "mkdir /dl/x: Permission denied"), and is cleared on success.
  /// Must not be called from an event handler (it waits for the network thread).
  result<torrent_handle> add_torrent(add_torrent_params params, std::string* error_message = nullptr);

  std::vector<torrent_handle> torrents() const;

  /// Registers the callback that receives every event (replacing any earlier one). Runs on the
  /// network thread; see the thread rules above. Events are emitted in order: torrent_added,
  /// then (after the check of existing data) torrent_finished when every piece is verified --
  /// also when the data was complete on disk already -- or torrent_error.
  void set_event_handler(std::function<void(const event&)> handler);

  /// Graceful shutdown: closes peer connections, announces `stopped` (waiting at most
  /// settings.stop_announce_timeout), closes files. Idempotent; blocks until done. Afterwards every
  /// torrent_handle fails with std::errc::no_such_process. Called from an event handler it only
  /// halts the network thread (no `stopped` announces); the destructor then finishes the job.
  void stop();

  const session_settings& settings() const;

  /// The TCP port the session accepts peers on (see session_settings::listen_port); 0 when it
  /// could not listen at all (the error is logged; outgoing connections still work).
  std::uint16_t listen_port() const;

  /// The DHT node's status; nullopt when the DHT is off (settings().enable_dht false, or its
  /// UDP socket could not be opened) or the session is stopped.
  std::optional<dht_status> dht() const;

 private:
  std::shared_ptr<detail::session_impl> impl_;
};

}  // namespace tessera
