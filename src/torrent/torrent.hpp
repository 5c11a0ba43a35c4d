// One torrent's state machine: checking -> downloading -> seeding, or error. Composes the piece
// picker, the in-flight piece buffers, the peer list and connections, the tracker announcer and
// the disk. Everything here runs on the session's network thread (no locks).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
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
#include "discovery/tracker.hpp"
#include "disk/disk_io.hpp"
#include "disk/storage.hpp"
#include "swarm/choker.hpp"
#include "swarm/peer_connection.hpp"
#include "tessera/session.hpp"
#include "swarm/rate_meter.hpp"
#include "torrent/metadata_fetch.hpp"
#include "torrent/peer_list.hpp"
#include "torrent/pex_history.hpp"
#include "torrent/piece_buffers.hpp"
#include "torrent/read_cache.hpp"

namespace tessera::detail {

/// Connections open across the whole session (shared by every torrent of a session).
struct connection_budget {
  int max = 200;  ///< session_settings::max_connections
  int open = 0;   ///< connections currently open (connecting included)
};

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
  /// A peer's `port` message named a DHT node at (address, UDP port); may be empty.
  std::function<void(const boost::asio::ip::address&, std::uint16_t)> on_dht_node;
  /// Magnet torrents (constructed without storage): creates and initializes the storage once
  /// the metadata arrived. An error puts the torrent into the error state.
  std::function<result<std::shared_ptr<storage>, storage_error>(std::shared_ptr<const torrent_info>)>
      make_storage;
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
  /// Bytes of whole pieces kept in memory to serve peers' requests (see read_cache.hpp); at least
  /// one piece is kept.
  std::int64_t max_read_cache_bytes = 8 << 20;
};

class torrent final : public peer_host, public std::enable_shared_from_this<torrent> {
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

  torrent_status status() const;
  const sha1_hash& info_hash() const { return ti_->info_hash; }
  torrent_state state() const { return state_; }
  /// Highest piece-buffer memory seen so far: assembling plus queued at the disk, in bytes (for
  /// tests and diagnostics of the memory bound).
  std::int64_t peak_buffered_bytes() const { return peak_buffered_; }
  /// Adds peer addresses (tracker replies, user-given peers) and connects if there is room.
  void add_peers(const std::vector<endpoint>& peers);
  /// An incoming connection whose handshake (`h`, naming this torrent) the listener read. Closed
  /// at once while checking, stopped or in error, from a banned address, or beyond the
  /// per-torrent or session connection limits; otherwise a connection is attached and the
  /// handshake goes through on_handshake like an outgoing one (self and duplicate ids dropped).
  void attach_incoming(boost::asio::ip::tcp::socket socket, const wire::handshake& h);
  /// Runs one choking round now (normally every choker_settings::rechoke_interval, and early when
  /// a peer becomes interested while a slot is free). Exposed for tests.
  void rechoke();

  // --- peer_host ---
  const torrent_info& info() const override { return *ti_; }
  const peer_id& our_peer_id() const override { return ctx_.pid; }
  const bitfield& our_pieces() const override { return picker_.have_pieces(); }
  bool on_handshake(peer_connection& c, const wire::handshake& h) override;
  void on_peer_has(peer_connection& c, const bitfield& whole_set) override;
  void on_peer_have(peer_connection& c, piece_index p) override;
  bool is_interesting(const bitfield& peer_has) const override;
  void pick_blocks(peer_connection& c, int max, std::vector<block_address>& out) override;
  void on_block(peer_connection& c, block_address b, std::span<const std::uint8_t> data) override;
  void on_request_aborted(peer_connection& c, block_address b) override;
  void on_disconnect(peer_connection& c, std::error_code reason) override;
  void read_block(piece_index p, std::int32_t begin, std::int32_t length,
                  read_handler done) override;
  void on_peer_interest(peer_connection& c, bool interested) override;
  std::uint16_t dht_port() const override { return ti_->is_private ? 0 : ctx_.dht_port; }
  bool has_metadata() const override { return has_metadata_; }
  bool pex_enabled() const override { return ctx_.settings.enable_pex && !ti_->is_private; }
  std::uint16_t listen_port() const override { return ctx_.settings.listen_port; }
  void on_extension_handshake(peer_connection& c, const extension_handshake& h) override;
  void on_metadata_message(peer_connection& c, const metadata_message& m) override;
  void on_pex(peer_connection& c, const pex_message& m) override;
  void on_peer_dht_port(peer_connection& c, std::uint16_t port) override {
    if (!ti_->is_private && ctx_.dht_port != 0 && ctx_.on_dht_node) ctx_.on_dht_node(c.remote().address(), port);
  }

 private:
  struct connection_entry {
    std::shared_ptr<peer_connection> conn;
    endpoint remote;
    bool counted = false;          // handshake accepted: counts in num_peers
    bool availability = false;     // its pieces were added to the picker
    bool retry = true;             // false: never reconnect (ourselves, duplicate)
    bool incoming = false;         // accepted: `remote` is the peer's outgoing port, not listed
    pex_history pex;               // what this peer was told through ut_pex (BEP 11)
  };

  void on_checked(check_result r);
  /// Starts the check of existing data (also after a magnet's metadata arrived).
  void start_check();
  // Metadata phase and peer exchange (torrent_extensions.cpp).
  /// Sends the ut_metadata requests metadata_fetch wants now.
  void request_metadata();
  /// The verified info dictionary arrived: become a full torrent.
  void on_metadata_complete(std::string info_bytes);
  /// Sends each ut_pex peer what changed since its last message (called every pex_interval).
  void send_pex_all();
  void start_swarm();
  void schedule_tick();
  void on_tick();
  void connect_candidates();
  void release_stuck_pieces();
  void hash_piece(piece_index p);
  void on_piece_written(piece_write_result r);
  /// A whole-piece read for upload (started by read_block) ended: answers its waiters.
  void on_piece_read(piece_index p, result<std::vector<std::uint8_t>, storage_error> r);
  void on_hash_failed(piece_index p, const std::vector<peer_key>& contributors);
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
  std::shared_ptr<announcer> announcer_;
  boost::asio::steady_timer tick_timer_;

  std::unordered_map<peer_key, connection_entry> conns_;
  std::unordered_map<peer_key, boost::asio::ip::address> key_addresses_;  // for strikes
  peer_key next_key_ = 1;

  torrent_state state_ = torrent_state::checking;
  bool has_metadata_ = true;
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
  std::int64_t closed_uploaded_ = 0;        // uploaded by connections already closed
  std::int64_t peak_buffered_ = 0;
  rate_meter download_rate_{rate_meter::clock::now()};
  rate_meter upload_rate_{rate_meter::clock::now()};  // fed once per tick from the connections
  std::int64_t upload_sampled_ = 0;                   // total_uploaded() at the last tick
  std::vector<peer_key> scratch_keys_;

  // Choking (see rechoke()).
  choker_state choker_state_;
  std::mt19937_64 choker_rng_{std::random_device{}()};
  std::chrono::steady_clock::time_point last_rechoke_{};
  bool rechoke_posted_ = false;
};

}  // namespace tessera::detail
