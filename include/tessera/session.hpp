// The public entry point: a session runs torrents on its own network thread.
//
// Thread rules: every member function of `session` and `torrent_handle` may be called from any
// thread. Calls are posted to the session's network thread; those returning a value wait for it.
// Event callbacks run on the session's event thread (one thread, events in order): a slow
// callback delays only later events, never the engine, and callbacks may call any member of
// `session` and `torrent_handle`, session::stop included (the session must not be destroyed from
// a callback).
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

#include "tessera/encryption.hpp"
#include "tessera/events.hpp"
#include "tessera/file_priority.hpp"
#include "tessera/result.hpp"
#include "tessera/storage.hpp"
#include "tessera/torrent_handle.hpp"
#include "tessera/torrent_info.hpp"
#include "tessera/torrent_status.hpp"
#include "tessera/types.hpp"

namespace tessera {

namespace detail {
class session_impl;
class torrent;
struct session_access;
}  // namespace detail

/// Session-wide settings. Durations are std::chrono types; counts are plain ints.
struct session_settings {
  /// Peer connections across all torrents. Running torrents share them evenly: each may open
  /// max_connections / (running torrents), at least 4, at most max_connections_per_torrent.
  int max_connections = 200;
  int max_connections_per_torrent = 60;   ///< peer connections per torrent
  /// TCP port to listen on for incoming peers (BEP 3). When it is taken, the next 10 ports are
  /// tried, then one the OS picks (logged); session::listen_port() tells the port in use, and that
  /// is the port announced to trackers. 0: let the OS pick.
  std::uint16_t listen_port = 6881;
  /// Address to listen on: "" for every address (IPv4 0.0.0.0 and IPv6 ::), or an IP literal
  /// ("127.0.0.1", "::1") for that one only. An IP literal is also the source address of our
  /// outgoing peer connections and tracker announces (HTTP(S) and UDP) to remotes of its family,
  /// so trackers list us, and peers see us, at the address we listen on. Peers at loopback
  /// addresses (127.0.0.0/8, ::1) heard from trackers, the DHT, LSD or PEX are dialled only when
  /// this is a loopback address; peers given explicitly (add_torrent_params::peers,
  /// torrent_handle::connect_peer) always are (docs/hardening.md, "Trackers and the peer list").
  std::string listen_interface;
  /// Regular upload slots of the choker for the whole session (BEP 3: 4), plus optimistic
  /// unchokes: one per five regular slots, at least one, also for the whole session
  /// (libtorrent's model). One choking round every 10 s (and when a peer becomes interested or
  /// loses interest) ranks the interested peers of every running torrent together: peers of
  /// downloading torrents by the rate they send us (tit-for-tat), peers of seeding torrents by
  /// the rate they take from us. So 500 torrents unchoke 4 + 1 peers, not 500 or 1,000.
  int unchoke_slots = 4;
  std::string peer_id_version = "0001";   ///< four characters after "-TS" in our peer id (BEP 20)
  int disk_threads = 2;                   ///< hashing/writing/reading threads of the disk pool (at least 1)
  /// Files kept open at once by the whole session, over every torrent stored as files on disk
  /// (the default backend): a least-recently-used pool, so the number of torrents is not bounded
  /// by the process's descriptor limit (libtorrent keeps 40, Transmission 32). A file is reopened
  /// when it is needed again; one in use by a disk job is never closed under it (the bound may
  /// be passed by the files evicted while a job still reads or writes them, until it ends). No
  /// torrent holds its download directory open. Each pooled file may hold a second descriptor
  /// while it is written (O_DIRECT). At least 1. Not pooled yet: the part file (`.parts`) of a
  /// torrent with skipped files, open from its first use until the torrent stops, and the files
  /// of blob, memory and custom storages.
  int max_open_files = 40;
  int numwant = 80;                       ///< peers asked of each tracker per announce
  std::chrono::seconds stop_announce_timeout{5};  ///< how long stop waits for `stopped` announces
  /// Directory for the session's own files: the .torrent of each magnet whose metadata arrived
  /// (`<info-hash hex>.torrent`) and each torrent's resume data (`<info-hash hex>.resume`), the
  /// hex being info_hash_t::to_hex() (v1's 40 digits when the torrent has v1, else v2's 64).
  /// Created when needed. Empty: nothing is saved.
  std::string state_dir;
  /// Resume data is saved when it changed (pieces verified, the check ended, a file priority
  /// set), by the session's once-a-second tick: a torrent whose last save is at least this old,
  /// at most resume_saves_per_tick torrents per tick, those changed longest ago first, so that a
  /// thousand downloading torrents do not flush their files (fsync) at once. Becoming a seed,
  /// pause and stopping (session::stop) save at once. A crash loses no verified piece with a longer
  /// interval: the start-up check hashes the pieces the resume data does not claim (it only
  /// trusts those it claims), so the interval trades start-up hashing against disk syncs.
  /// Construction time only.
  std::chrono::seconds resume_save_interval{30};
  /// The most resume files the session's tick writes in one tick (at least 1; see
  /// resume_save_interval). Construction time only.
  int resume_saves_per_tick = 8;
  /// Peer exchange (BEP 11, ut_pex): tell connected peers about our other peers at most once a
  /// minute and connect to the peers they tell us about. Never for private torrents (BEP 27).
  bool enable_pex = true;
  /// Web seeds (BEP 19): download from the torrents' `url-list` (and magnets' `ws`) HTTP(S)
  /// servers beside the peers. Changed at run time by apply_settings.
  bool enable_web_seeds = true;
  /// How often each peer gets a ut_pex message with what changed. BEP 11 asks for at most one a
  /// minute; only tests shorten it.
  std::chrono::seconds pex_interval{60};

  // --- DHT (BEP 5) ---
  /// Runs a DHT node: UDP on the same interface and port as the TCP listener (the port really
  /// bound; when that UDP port is taken, one the OS picks, logged). Every torrent that is not
  /// private (BEP 27) looks for peers with get_peers and announces our listen port. Peers that
  /// set the DHT bit of the handshake get a `port` message, and the nodes from their `port`
  /// messages join our routing table. Off: no UDP socket, no DHT bit, no `port` message.
  /// One node per address family the listen interface gives (BEP 32): IPv4 (0.0.0.0) and IPv6
  /// (::) when listen_interface is "", the family of the literal otherwise. The DHT also reads a
  /// comma-separated list ("127.0.0.1,::1": a node on each, the first address of each family),
  /// but the TCP listener, LSD and outgoing connections take a single literal for now: with a
  /// list they run without a listen socket, LSD and a source address.
  /// The two nodes form one dual-stack DHT (two routing tables, a BEP 42 id each) and every
  /// lookup runs on both; an IPv6 node whose socket cannot be opened (no IPv6) is left out.
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

  // --- Rate limits and marking of peer traffic ---
  /// Session-wide limits in bytes per second over all torrents (0 = unlimited), enforced with
  /// token buckets: every byte a peer connection reads or writes after the handshake counts,
  /// protocol overhead included. Torrents may have their own limits on top
  /// (torrent_handle::set_download_limit). Changed at run time with
  /// session::set_download_rate_limit / set_upload_rate_limit (this struct keeps the initial value).
  std::int64_t download_rate_limit = 0;
  std::int64_t upload_rate_limit = 0;
  /// The IP TOS byte of peer sockets (IP_TOS; IPV6_TCLASS for IPv6), e.g. 0x20 for DSCP CS1
  /// ("lower effort"), set on outgoing sockets before connecting and on accepted ones. 0: leave
  /// the OS default. Values outside 0..255 are not applied (logged).
  int peer_tos = 0;
  /// MSE/PE (message stream encryption) of peer connections, both directions: `enabled`
  /// (libtorrent's default, Transmission's "preferred") starts every outgoing connection with
  /// MSE offering RC4 or plaintext, retries a peer that drops the attempt once in plaintext
  /// (and remembers per address what worked), and accepts incoming plaintext and MSE peers;
  /// `forced` ("required") offers RC4 only and refuses plaintext peers both ways; `disabled`
  /// ("tolerated") dials in plaintext and still answers MSE peers. Changed at run time by
  /// apply_settings (connections opened or accepted afterwards follow it).
  encryption_mode encryption = encryption_mode::enabled;
  /// uTP (BEP 29) for peer connections, both directions, on the session's UDP socket per address
  /// family (the listen port, shared with the DHT): incoming uTP peers are accepted, and a peer is
  /// dialled over uTP when it advertised uTP (PEX), when uTP worked with it before, or when a TCP
  /// attempt failed before the handshake (a failed uTP attempt falls back to TCP), as libtorrent
  /// does. Off: TCP only, incoming uTP refused. Changed at run time by apply_settings.
  bool enable_utp = true;
  /// MSE handshakes accepted per second from incoming peers (each costs a Diffie-Hellman
  /// computation); more are closed at once, so a flood cannot burn the CPU. 0: no limit.
  int max_incoming_mse_per_second = 200;

  // --- Connections per host (docs/hardening.md) ---
  // A "host" is one IP address (an IPv4-mapped IPv6 address counts as its IPv4 address); a
  // "subnet" is an IPv4 /24 or an IPv6 /64. No address is exempt, loopback and LAN included.
  /// Incoming connections whose 68-byte handshake is still being read (each for at most 10 s),
  /// over every listen socket. When a new connection arrives and the table is full, the OLDEST
  /// pending connection is closed to make room, so silent connections cannot lock honest peers out.
  /// At least 1.
  int max_pending_handshakes = 64;
  /// Pending handshakes from one host; a further one closes the oldest of that host. 0: no cap.
  int max_pending_handshakes_per_ip = 4;
  /// Pending handshakes from one subnet; a further one closes the oldest of that subnet. 0: no cap.
  int max_pending_handshakes_per_subnet = 16;
  /// false (libtorrent's default): a torrent accepts one connection opened by each host (a second
  /// one is closed at once) and dials a host only while it has no connection with it (another
  /// port of the same host waits). When both sides dial each other at once, the two peers'
  /// duplicate rules keep one. true: only the session-wide caps below apply.
  bool allow_multiple_connections_per_ip = false;
  /// Connections past the handshake with one host, over all torrents, incoming and outgoing:
  /// beyond it a further one is closed after its handshake and the host is not dialled. 0: no cap.
  int max_connections_per_ip = 8;
  /// The same over one subnet. 0: no cap.
  int max_connections_per_subnet = 32;

  // --- Events (tessera/events.hpp, docs/hardening.md) ---
  /// Droppable events (piece_verified, peer and tracker events, file_completed) that may wait for
  /// slow handlers; one more drops the oldest waiting and an events_dropped event reports it.
  /// Must-deliver events are never dropped and not counted here. libtorrent's alert_queue_size
  /// default. At least 1.
  int event_queue_size = 2000;

  // --- Files that were there before ---
  /// The default of add_torrent_params::overwrite_existing_files for every torrent: false keeps
  /// a download from writing into, or deleting, a file it did not put there. With files on disk,
  /// a file at one of a torrent's paths is the torrent's own only when the torrent created it, a
  /// piece read from it verified in the start-up check, or the torrent's resume data records it
  /// as its own (files partly downloaded by an earlier run keep resuming). Any other file there
  /// stops the torrent in the error state before a byte is written into it
  /// (storage_errc::existing_file, the message naming the file), and so does a symlink at a
  /// file's path (storage_errc::symlink, never followed). With true, such files are written into
  /// (a symlink is replaced by a new file; its target is left alone) and become the torrent's.
  /// Hard-linked files (storage_errc::hard_linked) and symlinked directories
  /// (storage_errc::symlinked_directory) are refused either way. remove_flags::delete_data
  /// deletes only the torrent's own files. Files of other backends (blob, memory) are not
  /// concerned.
  bool overwrite_existing_files = false;
};

/// The session's DHT node at one moment (see session::dht). Counters are monotonic.
struct dht_status {
  std::uint16_t port = 0;              ///< UDP port sent in `port` messages: the IPv4 node's, else the IPv6 node's
  int nodes = 0;                       ///< nodes in the routing tables (both families)
  /// BEP 32: each family's node on its own, with its own routing table. A port of 0: the
  /// session runs no node of that family (counted in nodes_v4/nodes_v6 as 0).
  std::uint16_t port_v4 = 0;
  std::uint16_t port_v6 = 0;
  int nodes_v4 = 0;                    ///< nodes in the IPv4 routing table
  int nodes_v6 = 0;                    ///< nodes in the IPv6 routing table
  std::uint64_t queries_sent = 0;      ///< KRPC queries we sent (ping, find_node, get_peers, announce)
  std::uint64_t queries_received = 0;  ///< well-formed queries we answered
  std::uint64_t announces_stored = 0;  ///< announce_peer queries we accepted
  int lookups = 0;                     ///< get_peers lookups our torrents ran
};

/// What to add: a parsed .torrent, or a magnet link's info-hash, and where to put its files.
struct add_torrent_params {
  /// The torrent's metadata. Null: a magnet link (see info_hash); the info dictionary is then
  /// fetched from peers (BEP 9), verified against info_hash, and saved as
  /// `<state_dir>/<info_hash.to_hex()>.torrent` when session_settings::state_dir is set (v1
  /// hex when there is a v1 info-hash, else the 64 hex digits of v2).
  std::shared_ptr<const torrent_info> ti;
  /// Used only when `ti` is null: the info-hashes of the magnet link (required then: v1, v2 or
  /// both, BEP 9 / BEP 52). The torrent is named on the wire, to trackers, the DHT and LSD by
  /// info_hash.best() (v1, else v2 truncated to 20 bytes).
  info_hash_t info_hash;
  /// Used only when `ti` is null: a display name until the metadata arrives (magnet `dn`).
  std::string name;
  /// Used only when `ti` is null: tracker URLs, each its own tier (magnet `tr`).
  std::vector<std::string> trackers;
  /// Used only when `ti` is null: web seed URLs (magnet `ws`, BEP 19), used like a .torrent's
  /// `url-list` once the metadata is known (torrent_info::web_seeds, the RPC's `webseeds`) and
  /// saved as the fetched .torrent's `url-list`.
  std::vector<std::string> web_seeds;
  std::filesystem::path save_path;         ///< download directory (created if missing)
  /// Extra peers to dial, as "ip:port" ("[v6]:port" for IPv6), beside those from trackers.
  /// Entries that do not parse are ignored.
  std::vector<std::string> peers;
  /// Where the torrent's bytes go (tessera/storage.hpp): empty = files on disk under save_path;
  /// else called once with the metainfo and save_path on the network thread (for a magnet link
  /// once the metadata arrived). E.g. memory_storage_factory() or blob_storage_factory().
  storage_factory storage;
  /// Priority of each file, metainfo order (tessera/file_priority.hpp): empty = every file
  /// normal; shorter than the file list = the rest normal; longer = the extra ones ignored. Skipped
  /// files are not downloaded and not created. For a magnet link applied once the metadata arrived.
  std::vector<file_priority> file_priorities;
  /// Added paused (torrent_handle::resume starts it): the data is checked, but nothing is
  /// announced and no peer is connected until then. No torrent_paused event for this.
  bool paused = false;
  /// Whether this torrent may write into files that were at its paths before it and are not its
  /// own (see session_settings::overwrite_existing_files, which applies when this is empty).
  /// Also decides whether move_storage may replace files at the new place.
  std::optional<bool> overwrite_existing_files;

  /// Parameters for a magnet link (BEP 9): the info-hashes (`urn:btih:` v1, `urn:btmh:` v2, or
  /// both for a hybrid; BEP 52), `dn`, `tr` and `x.pe` (peers) from `uri`;
  /// `ws` is not used yet. Errors: magnet_errc (see tessera/magnet.hpp); a host name in `x.pe`
  /// (only IP literals are dialled) fails with magnet_errc::bad_peer.
  static result<add_torrent_params> from_magnet(std::string_view uri, std::filesystem::path save_path);
  /// Parameters for a .torrent file (parsed with load_torrent_file). Errors: as load_torrent_file
  /// (metainfo_errc, or the OS error reading the file).
  static result<add_torrent_params> from_torrent_file(const std::string& path, std::filesystem::path save_path);
  /// Parameters for the bytes of a .torrent (parsed with parse_torrent). Errors: metainfo_errc.
  static result<add_torrent_params> from_torrent_bytes(std::string_view bytes, std::filesystem::path save_path);
};

/// How session::remove_torrent treats the torrent's data.
enum class remove_flags {
  keep_data,    ///< leave the files on disk
  /// Delete the torrent's own files (with files on disk: those it created or whose pieces
  /// verified, see session_settings::overwrite_existing_files; never a file that was there
  /// before and is not its own), its part file, and the directories of its layout left empty.
  delete_data,
};

class session {
 public:
  /// Starts the network thread, the disk pool and the event thread, and listens (see
  /// listen_port). Failures to listen or to open the DHT/LSD sockets are logged, not fatal.
  explicit session(session_settings settings = {});
  /// Same as stop(), then joins the threads.
  ~session();
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  /// Adds a torrent and starts it (check existing data, announce, connect). Fails with
  /// std::errc::file_exists when a torrent sharing its v1 or v2 info-hash is already in the
  /// session, std::errc::device_or_resource_busy while such a torrent is still being removed
  /// (until its torrent_removed event),
  /// std::errc::invalid_argument when neither `ti` nor `info_hash` names a torrent (no v1 and no
  /// v2) or a `peers` entry is malformed, or with the
  /// storage's OS error when the download directory cannot be created or written. When
  /// `error_message` is given it receives a human-readable explanation on failure (e.g.
  /// "mkdir /dl/x: Permission denied"), and is cleared on success.
  /// Must not be called from an event handler (it waits for the network thread).
  result<torrent_handle> add_torrent(add_torrent_params params, std::string* error_message = nullptr);

  /// Handles to every torrent in the session, in no particular order; empty once stopped. Any
  /// thread (waits for the network thread).
  std::vector<torrent_handle> torrents() const;

  /// A snapshot of every torrent in the session, taken in ONE visit to the network thread (so
  /// the statuses are consistent with each other and the cost is one round trip, not one per
  /// torrent: libtorrent's post_torrent_updates idea). No particular order; match them to
  /// handles by torrent_status::info_hash (find_torrent). Empty once stopped. Any thread (waits
  /// for the network thread).
  std::vector<torrent_status> get_torrent_status() const;

  /// The handle of the torrent named by `info_hash` (as torrent_status::info_hash or a magnet's
  /// hashes): the torrent whose info-hashes include every non-zero hash of `info_hash`, so a
  /// hybrid torrent is found by its v1 alone, its v2 alone or both. nullopt when there is none
  /// (never added, removed, the session is stopped, or `info_hash` is all zero). Any thread
  /// (waits for the network thread); O(1) there.
  std::optional<torrent_handle> find_torrent(const info_hash_t& info_hash) const;
  /// The handle of the torrent named by the 20 bytes `info_hash` as they come in a handshake,
  /// from a tracker, the DHT or LSD: a torrent whose v1 info-hash is `info_hash`, or whose v2
  /// info-hash truncated to 20 bytes is (BEP 52, info_hash_t::matches). nullopt when none, for
  /// an all-zero hash, or once stopped. Any thread (waits for the network thread); O(1).
  std::optional<torrent_handle> find_torrent(const sha1_hash& info_hash) const;

  /// Removes a torrent. Returns as soon as the torrent is detached from the session (one visit
  /// to the network thread, never waiting for trackers or the disk): from then on every handle to
  /// it fails with std::errc::no_such_process, torrents(), get_torrent_status() and find_torrent()
  /// no longer list it, and no peer reaches it. The rest runs in the background: its connections
  /// close, `stopped` is announced (at most settings.stop_announce_timeout), its files are closed
  /// and, with remove_flags::delete_data, deleted; then torrent_removed is emitted, its
  /// data_deleted telling whether the deletion succeeded (a failure is also logged). Until that
  /// event, adding the same info-hash again fails with std::errc::device_or_resource_busy;
  /// stop() waits for removals in flight. Fails with no_such_process when the torrent is not in
  /// the session (removed already, or the session is stopped). Any thread.
  result<bool> remove_torrent(const torrent_handle& h, remove_flags flags = remove_flags::keep_data);

  /// Registers the callback that receives every event (replacing any earlier one; empty: none).
  /// Runs on the session's event thread (see the thread rules above); once this returns, no event
  /// reaches the earlier callback. Events of one torrent come in order: torrent_added, then
  /// (after the check of existing data) torrent_checked, then torrent_finished when every piece
  /// is verified -- also when the data was complete on disk already -- or torrent_error.
  /// Events are queued without bound except piece_verified and peer events, dropped beyond
  /// 100000 queued (a listener that stopped reading cannot exhaust memory).
  void set_event_handler(std::function<void(const event&)> handler);

  /// Graceful shutdown: closes peer connections, announces `stopped` (waiting at most
  /// settings.stop_announce_timeout), closes files. Idempotent; blocks until done. Afterwards every
  /// torrent_handle fails with std::errc::no_such_process, and every event emitted before was
  /// delivered (when called from an event handler, the later ones follow after it returns).
  void stop();

  /// The settings given to the constructor (changes made later with apply_settings or the rate
  /// limit setters are not reflected here: see current_settings). The reference lives as long
  /// as the session; any thread.
  const session_settings& settings() const;

  /// The settings in effect now: those given to the constructor with every change applied since
  /// (apply_settings, set_download_rate_limit, set_upload_rate_limit). listen_port is the port
  /// asked for (listen_port() tells the one bound). Any thread (waits for the network thread);
  /// settings() once the session is stopped.
  session_settings current_settings() const;

  /// Changes settings at run time; the others keep their value. Takes effect at once for:
  /// - download_rate_limit, upload_rate_limit (as set_download_rate_limit / set_upload_rate_limit);
  /// - max_connections, max_connections_per_torrent, max_connections_per_ip,
  ///   max_connections_per_subnet: new connections are counted against the new limits (a
  ///   lowered limit closes no open connection; they drain as peers leave);
  /// - unchoke_slots: from each torrent's next choking round;
  /// - enable_pex: peer exchange messages stop (or start) being sent and received for every
  ///   torrent (a peer keeps what our extended handshake told it);
  /// - enable_web_seeds: every torrent's web seeds are closed (or started, while it downloads)
  ///   at its next tick (within a second);
  /// - enable_dht, enable_lsd: the DHT node / LSD service is stopped or started (the DHT state
  ///   file is written on stop and read on start), and every torrent joins the new one;
  ///   dht_bootstrap_nodes, dht_state_file, lsd_port are read when it starts;
  /// - listen_port, listen_interface: a new listener is opened (the same fallbacks as at start);
  ///   on success the old one is closed and later announces carry the new port; on failure the
  ///   old one stays (logged);
  /// - max_open_files: the open-file pool grows or shrinks (closing the least recently used);
  /// - encryption: connections dialled or accepted from now on (open ones keep theirs);
  /// - enable_utp: likewise (open uTP connections stay).
  /// Every other field is ignored (construction-time only). Any thread (waits for the network
  /// thread); no-op once the session is stopped.
  void apply_settings(const session_settings& s);

  /// The TCP port the session accepts peers on (see session_settings::listen_port); 0 when it
  /// could not listen at all (the error is logged; outgoing connections still work).
  std::uint16_t listen_port() const;

  /// The DHT node's status; nullopt when the DHT is off (settings().enable_dht false, or its
  /// UDP socket could not be opened) or the session is stopped.
  std::optional<dht_status> dht() const;

  /// Changes the session-wide download / upload limit: bytes per second, 0 (or negative) =
  /// unlimited. Applies at once to every open connection; raising or removing a limit wakes the
  /// connections waiting for quota. Any thread (waits for the network thread); no-op once the
  /// session is stopped.
  void set_download_rate_limit(std::int64_t bytes_per_second);
  /// Same as set_download_rate_limit, for what the session sends.
  void set_upload_rate_limit(std::int64_t bytes_per_second);

 private:
  friend struct detail::session_access;  // tests reach the internals through it
  std::shared_ptr<detail::session_impl> impl_;
};

}  // namespace tessera
