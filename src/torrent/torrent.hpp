// One torrent's state machine: checking -> downloading -> seeding, or error. Composes the piece
// picker, the in-flight piece buffers, the peer list and connections, the tracker announcer and
// the disk. Everything here runs on the session's network thread (no locks).
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/piece_picker.hpp"
#include "core/v2_hash_store.hpp"
#include "discovery/scraper.hpp"
#include "discovery/swarm_hashes.hpp"
#include "discovery/tracker.hpp"
#include "disk/disk_io.hpp"
#include "disk/resume_data.hpp"
#include "disk/storage.hpp"
#include "swarm/choker.hpp"
#include "swarm/peer_connection.hpp"
#include "tessera/session.hpp"
#include "swarm/rate_meter.hpp"
#include "tessera/file_priority.hpp"
#include "torrent/connection_budget.hpp"
#include "torrent/global_choker.hpp"
#include "torrent/metadata_fetch.hpp"
#include "torrent/parole.hpp"
#include "torrent/peer_list.hpp"
#include "torrent/pex_history.hpp"
#include "torrent/piece_buffers.hpp"
#include "torrent/read_cache.hpp"
#include "torrent/piece_layer_fetch.hpp"
#include "torrent/smart_ban.hpp"
#include "torrent/web_seed.hpp"

namespace tessera::detail {


/// What a torrent gets from its session. The session outlives its torrents' running period
/// (it awaits torrent::stop before it goes away).
struct torrent_context {
  boost::asio::any_io_executor ex;             ///< the network thread's executor
  disk_io* disk = nullptr;                     ///< the session's disk pool (not owned)
  std::shared_ptr<udp_tracker_client> udp;     ///< shared BEP 15 client (may be null: no UDP)
  peer_id pid;                                 ///< our peer id
  session_settings settings;
  std::shared_ptr<connection_budget> budget;   ///< session-wide connection count
  std::function<void(event)> emit;             ///< event sink (network thread)
  /// Our DHT node's UDP port (BEP 5); 0: no DHT. Ignored for private torrents (BEP 27).
  std::uint16_t dht_port = 0;
  /// The session's uTP manager for dialling `peer` (the UDP socket of its family; BEP 29); null
  /// when uTP is off or there is no socket of that family. Empty: every connection is TCP.
  std::function<std::shared_ptr<utp_socket_manager>(const boost::asio::ip::address& peer)> utp_for;
  /// A peer's `port` message named a DHT node at (address, UDP port); may be empty.
  std::function<void(const boost::asio::ip::address&, std::uint16_t)> on_dht_node;
  /// The session's rate limiting (swarm/bandwidth.hpp): managers and session-wide channels.
  /// Empty (no managers): no limit applies, and set_download_limit/set_upload_limit do nothing.
  session_bandwidth bandwidth;
  /// The download directory (add_torrent_params::save_path).
  std::filesystem::path save_path;
  /// add_torrent_params::paused: start paused (the check runs; no announce, no peers).
  bool start_paused = false;
  /// Where this torrent's resume data is written (session_settings::state_dir/<hex>.resume);
  /// empty: none is kept.
  std::filesystem::path resume_file;
  /// Resume data loaded at add time (decoded against the torrent); null when none or unusable.
  /// Its pieces are trusted by the start-up check when the files' stamps match (resume_data.hpp),
  /// and the files it records as the torrent's own are adopted (file_ownership.hpp).
  std::shared_ptr<const resume_data> resume;
  /// add_torrent_params::file_priorities (applied once the metadata is known).
  std::vector<file_priority> file_priorities;
  /// Creates and initializes the torrent's storage for a download directory: for a magnet once
  /// its metadata arrived, and after move_storage. An error puts the torrent into the error state.
  std::function<result<std::shared_ptr<storage>, storage_error>(std::shared_ptr<const torrent_info>,
                                                                 const std::filesystem::path&)>
      make_storage;
  /// The session's choker (torrent/global_choker.hpp): when set, the torrent runs no choking
  /// round of its own; where it would, it calls this (the session coalesces the requests and
  /// runs one round over every torrent: choke_snapshot, then apply_choke). Empty: the torrent
  /// chokes alone with its share of the slots (connection_budget::unchoke_share).
  std::function<void()> request_rechoke;
  /// The torrent's identity in the session's choker: unique in the session.
  std::uint64_t serial = 0;
  /// Magnet torrents: the verified metadata arrived; `torrent_file` is a complete .torrent
  /// (the info dictionary plus the trackers) to save. May be empty.
  std::function<void(const torrent_info&, const std::string& torrent_file)> on_metadata;
};

/// Memory bounds of the piece assembly (see torrent.cpp, pick_blocks).
struct torrent_limits {
  /// Bytes of pieces being assembled in memory; new pieces are not started beyond this (outside
  /// endgame). At least two pieces are always allowed.
  std::int64_t max_assembling_bytes = 16 << 20;
  /// Bytes handed to the disk and not yet written; no block is requested beyond this.
  std::int64_t max_disk_queue_bytes = 8 << 20;
  /// Bytes of read windows kept in memory or being read to serve peers' requests (see
  /// read_cache.hpp). When reads in flight use it up, a request reads just its block (16 KiB).
  /// 8 MiB: libtorrent 1.2's default cache (cache_size 1024 blocks of 16 KiB) is 16 MiB for
  /// reads and writes together; this is the read half.
  std::int64_t max_read_cache_bytes = 8 << 20;
  /// What one upload read covers: whole pieces up to 1 MiB, else aligned 512 KiB windows.
  read_window_policy read_windows;
};

/// Source address of outgoing peer connections, tracker announces and scrapes: the listen
/// interface when it is an IP literal, so peers and trackers see the address we listen on;
/// nullopt otherwise.
std::optional<boost::asio::ip::address> outgoing_address(const session_settings& s);

class torrent final : public peer_host, public web_seed_host, public std::enable_shared_from_this<torrent> {
 public:
  using endpoint = boost::asio::ip::tcp::endpoint;

  /// `st` must be initialized already. `initial_peers` are connected to like tracker peers.
  /// A magnet link: `st` null and `ti` a stand-in holding only the info-hash, the name and the
  /// trackers; the torrent starts in downloading_metadata, fetches the info dictionary from its
  /// peers (BEP 9, see metadata_fetch.hpp), then creates its storage with ctx.make_storage and
  /// goes on like any torrent (check, download) keeping its connections.
  torrent(torrent_context ctx, std::shared_ptr<const torrent_info> ti, std::shared_ptr<storage> st,
          std::vector<endpoint> initial_peers, torrent_limits limits = {});
  ~torrent() override;
  torrent(const torrent&) = delete;
  torrent& operator=(const torrent&) = delete;

  /// Starts the check of existing data; downloading (announce, connect) follows when it is done.
  void start();
  /// Graceful stop: closes peer connections, announces `stopped` (at most
  /// settings.stop_announce_timeout), closes files. Idempotent.
  boost::asio::awaitable<void> stop();
  /// The torrent's once-a-second work, called by its session's tick (session_impl: one timer for
  /// every torrent, not one per torrent): samples the upload rate, releases stuck pieces, starts a
  /// pending recheck or move, dials candidates, re-asks for timed-out metadata pieces, sends PEX
  /// every pex_interval, and rechokes when it chokes alone. Nothing before start() or after
  /// stop(). A torrent driven without a session (tests) calls it itself. Network thread.
  void tick();
  /// Times tick() did its work (for tests of the session's tick).
  std::uint64_t ticks() const { return ticks_; }

  // --- resume data (torrent_resume.cpp); network thread ---
  /// When a save of the resume data is due at `now`: the resume data changed since the last save
  /// (pieces verified, the check ended, a file priority set), that save is at least `interval`
  /// old, no save runs, and one can run (a resume file, metadata, a storage, not checking, not
  /// stopped, not in error). Returns the moment it became dirty (the session's tick saves the
  /// longest dirty first), nullopt when no save is due.
  std::optional<std::chrono::steady_clock::time_point> resume_save_due(std::chrono::steady_clock::time_point now,
                                                                       std::chrono::steady_clock::duration interval) const;
  /// Writes the resume file on a disk thread (flush, stamps, atomic write); `done` (may be
  /// empty) runs on the network thread after. A save asked for while one runs follows it. The
  /// session's tick calls it for dirty torrents; becoming a seed, pause and stop call it at once.
  void save_resume(std::function<void()> done = {});

  torrent_status status() const;

  // --- control (torrent_control.cpp); network thread ---
  /// See torrent_handle::pause / resume (emit torrent_paused / torrent_resumed).
  void pause();
  void resume();
  bool is_paused() const { return paused_; }
  /// See torrent_handle::force_recheck. Errors: operation_not_permitted without metadata.
  result<bool> force_recheck();
  /// See torrent_handle::force_reannounce.
  void force_reannounce();
  /// See torrent_handle::scrape_tracker (torrent_scrape.cpp). Errors: invalid_argument for an
  /// index out of range.
  result<bool> scrape_tracker(int index);
  /// See torrent_handle::move_storage. Errors: operation_not_permitted without metadata or while
  /// a move runs.
  result<bool> move_storage(std::filesystem::path new_save_path);
  /// See torrent_handle::replace_trackers; `tiers` is valid and normalised already (no empty
  /// tier, no duplicate URL). Restarts the announcer when one runs (or would run).
  void replace_trackers(std::vector<std::vector<std::string>> tiers);
  /// See torrent_handle::rename_path. `done` gets the outcome on the network thread: at once for
  /// a refusal (rename_torrent_path's errors; operation_not_permitted without metadata, while
  /// moving or renaming, or with a recheck pending), else once the disk job ended (after the
  /// check in progress, if any).
  void rename_path(const std::string& path, const std::string& new_name, std::function<void(std::error_code)> done);
  std::vector<file_status> file_statuses() const;
  std::vector<peer_status> peer_statuses() const;
  std::vector<tracker_status> tracker_statuses() const;
  /// The storage (null for a magnet without metadata); for session::remove_torrent.
  std::shared_ptr<storage> storage_ptr() const { return storage_; }
  const std::filesystem::path& save_path() const { return save_path_; }
  // --- priorities (torrent_priorities.cpp); network thread; see torrent_handle ---
  /// Errors: invalid_argument for an index out of range, operation_not_permitted without metadata.
  result<bool> set_file_priority(file_index f, file_priority p);
  std::vector<file_priority> file_priorities() const;  ///< empty without metadata
  result<bool> set_piece_priority(piece_index p, int priority);
  void set_sequential_download(bool on);
  void set_first_last_pieces_first(bool on);

  // --- BEP 52 hashes (torrent_v2.cpp); network thread ---
  /// The torrent's v2 hashes: an empty store for a v1 torrent and before a magnet's metadata.
  /// Verified `hashes` replies are added to it (add_piece_layer, add_block_hashes), then
  /// on_piece_layers_known tells the torrent. Seeding answers hash requests from its tree().
  v2_hash_store& v2_hashes() { return v2_hashes_; }
  const v2_hash_store& v2_hashes() const { return v2_hashes_; }
  /// The targets of `pieces` became known (what v2_hash_store::add_piece_layer or set_piece_layer
  /// returned): in a v2-only torrent they become pickable (before, the picker never hands them
  /// out); requests start at once. Marks the resume data dirty (a complete layer received from
  /// peers is saved). Pieces out of range are ignored.
  void on_piece_layers_known(std::span<const piece_index> pieces);
  /// Whether piece `p` may be requested now as far as its hash goes: always in a v1 or hybrid
  /// torrent (SHA-1 verifies it), in a v2-only one once its v2 target is known.
  bool piece_hash_known(piece_index p) const;

  /// The info-hashes the torrent was added with (stable for its life in the session).
  const info_hash_t& info_hash() const { return ti_->info_hash(); }
  torrent_state state() const { return state_; }
  /// Highest piece-buffer memory seen so far: assembling plus queued at the disk, in bytes (for
  /// tests and diagnostics of the memory bound).
  std::int64_t peak_buffered_bytes() const { return peak_buffered_; }
  /// Highest memory the upload reads held so far: read windows cached or being read plus blocks
  /// read outside the cache, in bytes (for tests of the read budget).
  std::int64_t peak_upload_read_bytes() const { return peak_upload_read_bytes_; }
  /// Requests read outside the read cache (the budget was used up by reads in flight, or the
  /// request straddled two windows).
  std::int64_t block_reads() const { return block_reads_; }
  /// Adds peer addresses and connects if there is room. `source` says who named them: only
  /// peer_source::user addresses skip the address filter (is_dialable_peer: no multicast,
  /// broadcast, unspecified or port 0, and loopback only when we listen on loopback); the peer
  /// list keeps at most peer_list::default_max_size addresses. `swarm`: the swarm (BEP 52, a
  /// hybrid's v1 or v2 info-hash) the source found them in, none when it names none; an address
  /// found only in the v2 swarm is dialled with the truncated v2 hash (swarm_hashes.hpp).
  void add_peers(const std::vector<endpoint>& peers, peer_source source, swarm_set swarm = swarm_set::none);
  /// An incoming connection whose handshake (`h`, naming this torrent) the listener read. Closed
  /// at once while paused, stopped or in error, from a banned address, beyond the per-torrent
  /// or session connection limits, or beyond the per-host caps (a second connection opened by
  /// the same address without session_settings::allow_multiple_connections_per_ip; the
  /// session's max_connections_per_ip / _per_subnet); otherwise a connection is attached and the
  /// handshake goes through on_handshake like an outgoing one (self and duplicate ids dropped).
  /// Accepted while checking: the peer gets `have`s for the checked pieces when the check ends.
  void attach_incoming(peer_stream stream, const wire::handshake& h);
  /// Runs one choking round now (normally every choker_settings::rechoke_interval, and early when
  /// a peer becomes interested while a slot is free). Exposed for tests. With the session's
  /// choker (torrent_context::request_rechoke) it asks the session for a round instead.
  void rechoke();
  /// The session's choker: this torrent's part of a round (identity, seeding or not, its peers
  /// past the handshake); false when it takes no part now (checking, fetching metadata, error,
  /// stopped). Network thread.
  bool choke_snapshot(torrent_choke_input& out) const;
  /// The session's choker: sends `choke` / `unchoke` as a round decided. Network thread.
  void apply_choke(const torrent_choke_output& decision);
  /// This torrent's own limits (bytes/s, 0 = unlimited; negative taken as 0), on top of the
  /// session's: a connection moves bytes only when both allow. Applies at once to open
  /// connections; raising or removing a limit wakes the ones waiting (torrent_bandwidth.cpp).
  void set_download_limit(std::int64_t bytes_per_second);
  void set_upload_limit(std::int64_t bytes_per_second);
  /// Settings changed at run time (session::apply_settings): takes enable_pex, enable_web_seeds,
  /// max_connections_per_torrent and listen_port (the port announced from the next announce on)
  /// from `s`, and connects to more peers when the limit grew. Network thread.
  void apply_settings(const session_settings& s);
  std::int64_t download_limit() const { return download_limit_->rate(); }  ///< bytes/s
  std::int64_t upload_limit() const { return upload_limit_->rate(); }      ///< bytes/s
  /// See torrent_handle::set_honors_session_limits / set_bandwidth_priority: this torrent's
  /// bandwidth_share, applied at once to open connections (the managers serve their queues).
  void set_honors_session_limits(bool honors);
  void set_bandwidth_priority(int priority);
  /// See torrent_handle::set_max_connections (torrent_control.cpp): this torrent's own cap, 0 or
  /// negative for none; closes the connections beyond the resulting limit, dials when it grew.
  void set_max_connections(int max);

  // --- peer_host ---
  const torrent_info& info() const override { return *ti_; }
  const peer_id& our_peer_id() const override { return ctx_.pid; }
  const bitfield& our_pieces() const override { return picker_.have_pieces(); }
  bool on_handshake(peer_connection& c, const wire::handshake& h) override;
  void on_peer_has(peer_connection& c, const bitfield& whole_set) override;
  void on_peer_have(peer_connection& c, piece_index p) override;
  bool is_interesting(const bitfield& peer_has) const override;
  void pick_blocks(peer_connection& c, int max, std::vector<block_address>& out) override;
  /// Nothing in sequential mode (the order comes first).
  void pick_blocks_in(peer_connection& c, std::span<const piece_index> pieces, int max,
                      std::vector<block_address>& out) override;
  void on_block(peer_connection& c, block_address b, std::span<const std::uint8_t> data) override;
  void on_request_aborted(peer_connection& c, block_address b) override;
  void on_disconnect(peer_connection& c, std::error_code reason) override;
  void read_block(piece_index p, std::int32_t begin, std::int32_t length,
                  read_handler done) override;
  void on_peer_interest(peer_connection& c, bool interested) override;
  std::uint16_t dht_port() const override { return ti_->is_private() ? 0 : ctx_.dht_port; }
  bool has_metadata() const override { return has_metadata_; }
  bool pex_enabled() const override { return ctx_.settings.enable_pex && !ti_->is_private(); }
  std::uint16_t listen_port() const override { return ctx_.settings.listen_port; }
  void on_extension_handshake(peer_connection& c, const extension_handshake& h) override;
  void on_metadata_message(peer_connection& c, const metadata_message& m) override;
  void on_pex(peer_connection& c, const pex_message& m) override;
  void on_peer_dht_port(peer_connection& c, std::uint16_t port) override {
    if (!ti_->is_private() && ctx_.dht_port != 0 && ctx_.on_dht_node) ctx_.on_dht_node(c.remote().address(), port);
  }
  // BEP 52 hash messages (torrent_hashes.cpp): requests answered from v2_hashes() (piece layer
  // and above from its tree; block hashes by reading the pieces back, at most
  // max_block_hash_read bytes a request, pieces we have only), replies verified against the
  // pieces root or a verified node, a peer whose reply does not verify banned.
  void on_hash_request(peer_connection& c, const hash_request& r, hashes_handler done) override;
  void on_hashes(peer_connection& c, const hashes_message& m) override;
  void on_hash_request_failed(peer_connection& c, const hash_request& r, std::error_code reason) override;
  // --- web_seed_host (torrent_web_seeds.cpp): BEP 19 web seeds pick and deliver blocks like
  // peers that have every piece; blocks from a seed in a piece that fails its hash count against it.
  void web_seed_pick(peer_key key, int max_blocks, std::vector<block_address>& out) override;
  void web_seed_block(peer_key key, block_address b, std::span<const std::uint8_t> data) override;
  void web_seed_abort(peer_key key, block_address b) override { abort_block(key, b); }

  /// Most file bytes read back from disk to answer one request for block hashes (4 MiB).
  static constexpr std::int64_t max_block_hash_read = 4 << 20;
  /// Most such reads of one torrent at once, whichever peers asked (16 MiB of buffers); a
  /// request beyond them gets a `hash reject`.
  static constexpr int max_block_hash_reads = 4;

 private:
  struct connection_entry {
    std::shared_ptr<peer_connection> conn;
    endpoint remote;
    bool counted = false;          // handshake accepted: counts in num_peers
    bool availability = false;     // its pieces were added to the picker
    bool retry = true;             // false: never reconnect (ourselves, duplicate)
    bool incoming = false;         // accepted: `remote` is the peer's outgoing port, not listed
    pex_history pex;               // what this peer was told through ut_pex (BEP 11)
    bool seed = false;             // closed as a seed while we seed: not redialled until we download
  };

  /// Picks up to `max` blocks of the pieces in `has` for requester `key` (a peer connection or a
  /// web seed), within the memory and disk budgets (pick_blocks).
  void pick_for(peer_key key, const bitfield& has, int max, std::vector<block_address>& out);
  /// A block from requester `key` (on_block, web_seed_block).
  void receive_block(peer_key key, block_address b, std::span<const std::uint8_t> data);
  /// A request of `key` for `b` ended without data.
  void abort_block(peer_key key, block_address b);
  // Web seeds (torrent_web_seeds.cpp).
  /// The tick's part: starts the web seeds while downloading (session_settings::enable_web_seeds),
  /// closes them otherwise.
  void tick_web_seeds();
  /// Closes every web seed (their blocks in flight come back through web_seed_abort).
  void close_web_seeds();
  /// A piece failed: each web seed among `block_from` gets a strike.
  void web_seeds_hash_failed(const std::vector<peer_key>& block_from);
  std::vector<web_seed_status> web_seed_statuses() const;
  std::vector<std::shared_ptr<web_seed>> web_seeds_;  // running, or dropped (kept for the status)
  bitfield web_seed_has_;                             // every piece: what a web seed "has"

  void on_checked(check_result r);
  /// Starts the check of existing data (also after a magnet's metadata arrived).
  void start_check();
  // Metadata phase and peer exchange (torrent_extensions.cpp).
  /// Sends the ut_metadata requests metadata_fetch wants now.
  void request_metadata();
  /// The verified info dictionary arrived: ends the fetch and parses it on the disk pool.
  void on_metadata_complete(std::string info_bytes);
  /// The parse of on_metadata_complete ended (network thread): become a full torrent, or fail.
  void on_metadata_parsed(result<torrent_info> parsed);
  /// Sends each ut_pex peer what changed since its last message (called every pex_interval).
  void send_pex_all();
  /// Forgets every verified piece: a fresh picker for ti_ (with the file priorities), the byte
  /// counts and padding layout of ti_. For the constructor, a magnet's metadata, and recheck.
  void reset_pieces();
  /// Changes state_ and emits state_changed.
  void set_state(torrent_state s);
  /// Counts this torrent in (or out of) connection_budget::running, for the fair shares.
  void set_running(bool running);
  /// This torrent's share of the session's connections (capped by set_max_connections) and of
  /// the regular unchoke slots.
  int connection_limit() const;
  /// Closes the connections beyond connection_limit(): those still handshaking first, then those
  /// that sent us the fewest bytes.
  void trim_connections();
  int unchoke_slots() const;
  /// Connections of this torrent with host `a` (host_address): `incoming_only` counts only those
  /// the host opened (past the handshake or not), else every one (ours still dialling included).
  int connections_with(const boost::asio::ip::address& a, bool incoming_only) const;
  /// Stops the announcer (sending `stopped` in the background).
  void stop_announcing();
  /// Starts an announcer for ti_->trackers() (announcing `started`) unless one runs or there is no
  /// tracker. Part of start_swarm.
  void start_announcing();
  /// Starts the scraper for ti_->trackers() beside the announcers (torrent_scrape.cpp); part of
  /// start_announcing. Stopped by stop_announcing.
  void start_scraping();
  /// The scraper's callbacks: they fill tracker_status_'s scrape fields.
  scraper::callbacks scraper_callbacks();
  /// The scrape fields of `ts` that come from the scraper now: scrape_url, scrape_state,
  /// next_scrape.
  void fill_scrape_status(tracker_status& ts) const;
  /// Whether the torrent announces now: started, not paused, stopped, checking or in error.
  bool swarm_running() const;
  /// A pending recheck, move or rename starts once no piece is waiting for the disk (called every
  /// tick).
  void run_pending_disk_work();
  /// The rename of run_pending_disk_work (torrent_edit.cpp).
  void run_rename();
  /// A move or rename ended: resumes the torrent if the operation paused it.
  void end_file_operation();
  /// Counts the pieces of each file still missing (after a check) for file_completed events.
  void count_file_pieces();
  /// Piece `p` was verified by download: files it completes get file_completed.
  void note_file_pieces(piece_index p);
  // Resume data (torrent_resume.cpp).
  /// The trust rule for the first check: pieces the loaded resume data vouches for. Empty
  /// function when there is no resume data (or after a recheck).
  std::function<bitfield()> resume_trust();
  /// The end of the check for file ownership (disk/file_ownership.hpp): adopts the files the
  /// resume data records now, and returns the hook that adopts the files of verified pieces and
  /// refuses files still to be written that are not the torrent's own. Empty function when the
  /// storage does not track ownership.
  std::function<std::optional<storage_error>(const bitfield&)> claim_files();
  /// The resume data changed: the session's tick will save it (see resume_save_due).
  void mark_resume_dirty();
  /// Awaits a final save (stop()).
  boost::asio::awaitable<void> save_resume_now();
  /// Recomputes piece priorities from file_prios_ (and first_last_) into the picker and the skip
  /// flags of the part-file storage; moves part-file bytes of files no longer skipped.
  void apply_priorities();
  /// After a priority change: interest, requests, and finished/unfinished.
  void on_priorities_changed();
  /// Every wanted piece verified: emits torrent_finished once (again after an unskip).
  void check_finished();
  /// total_wanted, total_wanted_done and is_finished of `s`.
  void fill_wanted_status(torrent_status& s) const;
  void start_swarm();
  /// The callbacks of the announcer of one swarm; `primary`: the first of swarm_hashes(), the
  /// one whose failed rounds are reported as tracker_error events; `key`: the torrent's BEP 3
  /// `key`, the same in every swarm.
  announcer::callbacks announcer_callbacks(swarm_hash swarm, bool primary, std::uint32_t key);
  void connect_candidates();
  void release_stuck_pieces();
  void hash_piece(piece_index p);
  /// (Re)builds v2_hashes_ for ti_ unless it holds this torrent's files already (a recheck keeps
  /// the layers received from peers), restores the layers of the resume data (each checked
  /// against its root; a bad one is dropped and logged), and sets v2_pickable_.
  void reset_v2_hashes();
  /// The peer's pieces we may request now: `peer_has` less the pieces whose v2 target is unknown.
  bitfield pickable_of(const bitfield& peer_has) const;
  void on_piece_written(piece_write_result r);
  /// A window read for upload (started by read_block) ended: answers its waiters.
  void on_window_read(piece_index p, read_window w, result<std::vector<std::uint8_t>, storage_error> r);
  /// Updates peak_upload_read_bytes_ after the read cache or the block reads grew.
  void note_upload_read_bytes();
  /// Piece `p` failed its hash check: `block_from` is the sender of each block
  /// (piece_buffers::finish_hash), `block_hashes` their SHA-1s (piece_write_result). Bans the
  /// single sender of a piece that came from one peer; otherwise records the blocks for the smart
  /// ban, and paroles the piece.
  void on_hash_failed(piece_index p, const std::vector<peer_key>& block_from,
                      const std::vector<sha1_hash>& block_hashes);
  /// Piece `p` passed after a failure: the smart ban names the senders of differing blocks.
  void on_hash_passed_after_failure(piece_index p, const std::vector<sha1_hash>& block_hashes);
  // BEP 52 hashes from peers (torrent_hashes.cpp).
  /// The tick's part: starts the piece-layer fetch of a v2 torrent whose layers are not all
  /// known (a v2 magnet after its metadata), asks v2 peers, retries blames without a peer.
  void tick_hashes();
  /// A v2 torrent with piece layers still unknown (a v2 magnet once its metadata arrived): starts
  /// fetching them from the v2 peers. Nothing when a fetch runs or every layer is known.
  void start_piece_layer_fetch();
  /// Hands piece-layer requests to the v2 peers (piece_layer_fetch decides who gets what).
  void request_piece_layers();
  /// Piece `p` of a v2 file failed: `received` are the SHA-256s of its blocks as received,
  /// `block_from` their senders. With several senders, asks a v2 peer for the piece's block
  /// hashes (block_layer.hpp) to ban exactly the senders of the differing blocks; the SHA-1
  /// smart ban stays the fallback when no peer answers.
  void start_block_blame(piece_index p, const std::vector<peer_key>& block_from, std::vector<sha256_hash> received);
  /// Sends the blame request of `p` to a v2 peer that has the piece and was not asked yet.
  void request_block_blame(piece_index p);
  /// Bans the senders of `p`'s blocks that differ from `expected` (verified block hashes).
  void finish_block_blame(piece_index p, std::span<const sha256_hash> expected);
  /// Answers a request for hashes below the piece layer of file `f` from its pieces on disk.
  void serve_block_hashes(const v2_file_place& f, const hash_request& r, hashes_handler done);
  int block_hash_reads_ = 0;  // serve_block_hashes' reads running (max_block_hash_reads)
  /// Drops the addresses of `block_from`'s peers that are gone and sent no block still in memory.
  void forget_gone_senders(const std::vector<peer_key>& block_from);
  /// Bans ban_prefix(addr) for this torrent (peer_list::ban) and closes its connections; logs
  /// "banning <addr>: <why>". Nothing when it is banned already.
  void ban_peer(const boost::asio::ip::address& addr, const std::string& why);
  void become_seed();
  void fail(const storage_error& e);
  /// Puts the torrent into the error state with `message` (closes connections, stops announcing).
  void fail(const std::string& message);
  void close_all_connections(std::error_code reason);
  void request_more_all();
  /// Posts a rechoke (coalesced): a slot is free and a peer may want it.
  void post_rechoke();
  /// Seeding: closes `c` when it is a seed too (nothing to exchange).
  void drop_if_both_seeds(peer_connection& c);
  void set_have(piece_index p);
  std::int64_t wanted_bytes(piece_index p) const;  // piece size less padding
  std::int64_t total_uploaded() const;

  torrent_context ctx_;
  std::shared_ptr<const torrent_info> ti_;
  std::shared_ptr<storage> storage_;
  torrent_limits limits_;
  piece_picker picker_;
  piece_buffers buffers_;
  piece_read_cache read_cache_;
  peer_list peers_;
  smart_ban smart_ban_;     // block hashes of failed pieces, per sender
  piece_parole parole_;     // failed pieces: downloaded again from one peer
  v2_hash_store v2_hashes_;  // BEP 52 hashes (see v2_hashes())
  // A v2-only torrent with pieces whose target is unknown: the pieces that may be requested.
  // Empty when every piece may be (v1, hybrid, or every layer known).
  bitfield v2_pickable_;
  // BEP 52 hashes from peers (torrent_hashes.cpp).
  std::unique_ptr<piece_layer_fetch> layer_fetch_;  // a v2 torrent's missing piece layers
  int layer_fetch_ticks_ = 0;
  struct block_blame {  // a failed v2 piece whose block hashes are asked for
    hash_request request;
    std::vector<peer_key> senders;                               // per block
    std::vector<std::optional<boost::asio::ip::address>> from;   // per block, at the failure
    std::vector<sha256_hash> received;                           // per block (file bytes)
    std::optional<peer_key> asked;                               // the peer asked now
    std::vector<peer_key> tried;
  };
  std::map<std::int32_t, block_blame> blames_;  // by piece
  /// One announcer per swarm the torrent joins (swarm_hashes: v1 and/or v2 truncated, the
  /// primary first); empty while not announcing. A hybrid's two announce to the same trackers,
  /// each with its own events (`started`, `completed`, `stopped`) and intervals, as libtorrent 2.0
  /// does; both report the torrent's whole counters.
  std::vector<std::shared_ptr<announcer>> announcers_;
  /// Scrapes every tracker of the list for every swarm (BEP 48, BEP 15), while announcing; null
  /// otherwise.
  std::unique_ptr<scraper> scraper_;
  std::uint64_t ticks_ = 0;  // see ticks()

  std::unordered_map<peer_key, connection_entry> conns_;
  std::unordered_map<peer_key, boost::asio::ip::address> key_addresses_;  // for the smart ban
  peer_key next_key_ = 1;

  torrent_state state_ = torrent_state::checking;
  bool has_metadata_ = true;
  bool counted_running_ = false;  // counted in ctx_.budget->running
  bool resume_dirty_ = false;                       // pieces or state changed since the last save
  std::chrono::steady_clock::time_point resume_dirty_since_{};  // when resume_dirty_ became true
  bool resume_saving_ = false;                      // a save runs on the disk
  std::vector<std::function<void()>> resume_waiters_;  // run when the save in progress ends
  bool resume_again_ = false;                       // another save was asked for meanwhile
  // When the last save started; empty before the first (steady_clock's epoch is the machine's boot,
  // so a zero time point would hold back a first save for `interval` after booting).
  std::optional<std::chrono::steady_clock::time_point> last_resume_save_;
  bool paused_ = false;
  bool recheck_pending_ = false;
  std::optional<std::filesystem::path> move_pending_;  // target of a move waiting for the disk queue
  bool moving_ = false;                                // a move is pending or running
  bool paused_for_move_ = false;                       // resume when the move (or rename) ends
  struct pending_rename {
    std::string from, to;                                // relative paths on disk
    std::shared_ptr<const torrent_info> renamed;         // ti_ once renamed
    std::function<void(std::error_code)> done;
  };
  std::optional<pending_rename> rename_pending_;        // a rename waiting for the disk queue
  std::filesystem::path save_path_;
  std::vector<int> file_pieces_left_;                  // per file; empty before the first check
  std::unordered_map<std::string, tracker_status> tracker_status_;  // by URL
  std::vector<file_priority> file_prios_;  // one per file once the metadata is known
  bool first_last_ = false;                // first and last pieces of wanted files first
  bool sequential_ = false;
  std::unique_ptr<metadata_fetch> metadata_fetch_;  // magnet, until the metadata arrived
  std::chrono::steady_clock::time_point next_pex_{};
  bool started_ = false;
  bool stopped_ = false;
  bool finished_emitted_ = false;
  bool request_more_posted_ = false;
  std::string error_;
  std::string tracker_message_;
  std::vector<std::int32_t> pad_in_piece_;  // padding bytes per piece (empty: no padding)
  std::int64_t total_wanted_ = 0;           // total size less padding
  std::int64_t done_bytes_ = 0;             // verified bytes less padding
  int pieces_checked_ = 0;
  std::int64_t downloaded_ = 0;
  std::int64_t wasted_ = 0;
  std::int64_t failed_bytes_ = 0;           // pieces that failed the hash check (total_failed_bytes)
  std::int64_t closed_uploaded_ = 0;        // uploaded by connections already closed
  std::int64_t peak_buffered_ = 0;
  std::int64_t block_read_bytes_ = 0;        // blocks being read outside the read cache
  std::int64_t block_reads_ = 0;             // see block_reads()
  std::int64_t peak_upload_read_bytes_ = 0;  // see peak_upload_read_bytes()
  rate_meter download_rate_{rate_meter::clock::now()};
  rate_meter upload_rate_{rate_meter::clock::now()};  // fed once per tick from the connections
  std::int64_t upload_sampled_ = 0;                   // total_uploaded() at the last tick
  std::vector<peer_key> scratch_keys_;

  // Choking (see rechoke()).
  choker_state choker_state_;
  std::mt19937_64 choker_rng_{std::random_device{}()};
  std::chrono::steady_clock::time_point last_rechoke_{};
  bool rechoke_posted_ = false;

  // Rate limits (torrent_bandwidth.cpp).
  /// Settings of a new connection: source address, TOS byte, bandwidth paths.
  peer_connection_settings connection_settings() const;
  std::shared_ptr<bandwidth_channel> download_limit_ = std::make_shared<bandwidth_channel>();
  std::shared_ptr<bandwidth_channel> upload_limit_ = std::make_shared<bandwidth_channel>();
  std::shared_ptr<bandwidth_share> bandwidth_share_ = std::make_shared<bandwidth_share>();
  int max_connections_ = 0;  // set_max_connections; 0: no cap of its own
};

}  // namespace tessera::detail
