// The state of one peer connection (peer_connection::impl), shared by the files that implement
// it: peer_connection.cpp (lifetime, the BEP 3 messages, request pipeline, public accessors),
// peer_connection_handshake.cpp (connect, MSE/PE, the BitTorrent handshake, their timeouts),
// peer_connection_io.cpp (reader, writer and tick coroutines on the peer_stream, rate limits),
// peer_connection_upload.cpp (serving the peer's requests), peer_connection_extensions.cpp
// (BEP 10: ut_metadata, ut_pex, the magnet phase), _hashes (BEP 52) and _fast (BEP 6). Internal
// to the swarm library: include it only from those files.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/hash_request_tracker.hpp"
#include "swarm/coroutine_failure.hpp"
#include "swarm/peer_connection.hpp"
#include "swarm/peer_error.hpp"
#include "swarm/peer_stream.hpp"
#include "swarm/rate_meter.hpp"
#include "swarm/receive_buffer.hpp"
#include "swarm/send_queue.hpp"

namespace tessera::detail {

/// Counts events in one-minute windows (per-peer caps on ut_metadata requests and ut_pex).
struct minute_counter {
  std::chrono::steady_clock::time_point window_start{};
  int count = 0;
  /// Counts one event at `now`; returns the count in the current window including it.
  int add(std::chrono::steady_clock::time_point now) {
    if (now - window_start >= std::chrono::minutes(1)) {
      window_start = now;
      count = 0;
    }
    return ++count;
  }
};

/// The completion of every coroutine of a connection: an exception escaping one (a broken
/// invariant, e.g. thrown by the host) is logged and closes the connection
/// (peer_errc::internal_error), so the host hears on_disconnect and frees the slot.
inline auto connection_completion(std::shared_ptr<peer_connection> self) {
  return on_coroutine_failure("peer connection", [self = std::move(self)] {
    self->close(peer_errc::internal_error);
  });
}

struct peer_connection::impl {
  using clock_type = std::chrono::steady_clock;
  using tcp = boost::asio::ip::tcp;
  template <class T>
  using awaitable = boost::asio::awaitable<T>;

  /// A request we sent and still expect a `piece` for.
  struct outstanding_request {
    block_address block;
    std::int32_t begin = 0;
    std::int32_t length = 0;
  };

  impl(peer_connection& o, boost::asio::any_io_executor ex, peer_host& h, peer_key k, info_hash_t ih,
       tcp::endpoint r, peer_connection_settings s);

  peer_connection& owner;
  peer_host& host;
  peer_key key;
  info_hash_t info_hash;
  /// The 20 bytes our handshake carries: settings.outgoing_info_hash when it names the torrent,
  /// else info_hash.best(), or, answering an incoming handshake,
  /// the form the peer named the torrent by (a hybrid's v1 or v2 truncated, BEP 52).
  sha1_hash wire_info_hash;
  tcp::endpoint remote;
  peer_connection_settings settings;

  peer_stream stream;
  boost::asio::steady_timer deadline;  // connect and handshake timeouts
  unsigned deadline_generation = 0;    // a fired-but-queued deadline of an older phase is ignored
  boost::asio::steady_timer write_signal;  // the idle writer waits on it; cancel() wakes it
  boost::asio::steady_timer tick_timer;
  // Rate limits (bandwidth.hpp): asked before each read / write when a limit is set.
  bandwidth_request down_quota{deadline.get_executor(), settings.download_bandwidth};
  bandwidth_request up_quota{deadline.get_executor(), settings.upload_bandwidth};

  bool started = false;
  bool closed = false;
  /// close() is posted (the send backlog passed its hard limit): the reader decodes nothing more.
  bool close_scheduled = false;
  bool handshake_done = false;
  bool peer_dht = false;  // the peer's handshake set the DHT bit (BEP 5)
  bool peer_ext = false;  // the peer's handshake set the extension protocol bit (BEP 10)
  bool peer_v2 = false;   // the peer's handshake set the v2 bit (BEP 52)
  bool writer_waiting = false;
  bool pipeline_dirty = false;  // blocks arrived during a decode batch: top up after the batch
  bool peer_choking = true;
  bool peer_interested = false;
  bool am_interested = false;
  bool snubbed = false;
  bool pieces_known = false;  // a bitfield or a have arrived (pieces is sized)
  bool am_choking = true;
  bool incoming = false;
  bool transport_connected = false;  // the TCP connect succeeded (outgoing) or was accepted
  bool mse_attempted = false;        // the MSE handshake started on this connection
  clock_type::time_point connected_at{};
  clock_type::time_point last_interest{};  // last tick at which either side was interested

  /// A request from the peer we still owe a `piece` for.
  struct upload_request {
    std::uint64_t id = 0;  // matches a disk read's completion to its entry
    piece_index piece;
    std::int32_t begin = 0;
    std::int32_t length = 0;
    std::int32_t read_length = 0;  // bytes read from disk: `length` less padding past the end
    bool reading = false;  // a disk read for it was started (it may have completed: `ready`)
    bool ready = false;    // read: `data` waits for the requests ahead of it to be sent
    std::vector<std::uint8_t> data;
  };
  std::deque<upload_request> upload_queue;
  std::uint64_t next_upload_id = 1;
  int reads_in_flight = 0;  // includes reads whose request was cancelled meanwhile
  int ready_uploads = 0;    // entries holding read data not sent yet (count against the reads)
  int invalid_requests = 0;

  peer_id remote_id;
  bitfield pieces;
  int pieces_count = 0;

  // Extension protocol (BEP 10).
  std::optional<extension_handshake> peer_extensions;
  minute_counter metadata_requests;
  minute_counter pex_messages;
  // Kept while the host has no metadata (magnet), replayed by metadata_ready().
  std::optional<std::vector<std::uint8_t>> pending_bitfield;
  std::vector<std::int32_t> pending_haves;

  // BEP 52 hash messages (peer_connection_hashes.cpp).
  hash_request_tracker hash_requests{static_cast<std::size_t>(settings.max_hash_requests_sent)};
  std::deque<std::pair<hash_request, clock_type::time_point>> hash_sent;  // oldest first
  std::deque<hash_request> hash_expired;  // timed out: a late answer is dropped, not fatal
  int hash_requests_serving = 0;          // the peer's requests with the host now

  // BEP 6 (Fast Extension; peer_connection_fast.cpp).
  bool fast = false;              // both handshakes set reserved[7] & 0x04
  bool got_have_all = false;      // the peer's piece set came as have_all
  bool got_have_none = false;     // ... as have_none
  bool pending_have_all = false;  // a have_all before the metadata (magnet), replayed by metadata_ready
  std::vector<piece_index> allowed_fast_in;   // the peer lets us request these while choking us
  std::vector<piece_index> allowed_fast_out;  // we serve these to the peer while choking it
  std::vector<piece_index> suggested;         // the peer's suggestions, oldest first (small: a vector)
  std::deque<outstanding_request> released;   // given up (choke, cancel, snub): a late reject is fine

  std::deque<outstanding_request> outstanding;
  /// Later of the last block received and the moment the request queue became non-empty.
  clock_type::time_point last_progress{};
  std::vector<block_address> picked;  // scratch for pick_blocks, reused

  receive_buffer recv;
  send_queue sendq;

  clock_type::time_point last_receive{};
  clock_type::time_point last_send{};
  rate_meter down;
  rate_meter up;
  std::int64_t downloaded = 0;
  std::int64_t uploaded = 0;
  std::int64_t wasted = 0;
  std::int64_t received_bytes = 0;  // everything read from the socket
  std::string label;

  // --- helpers ---

  int num_pieces() const;
  std::uint32_t max_message_length() const;
  wire::handshake our_handshake() const;

  /// Closes with peer_errc::timeout when `d` passes before the next arm/disarm.
  void arm_deadline(std::chrono::steady_clock::duration d);
  void disarm_deadline();

  /// Call after appending messages to sendq.queued(): wakes the writer and enforces the hard
  /// limit of the backlog (settings.max_send_backlog_hard): above it, close() is posted (never
  /// run inside the call, which may come from the host iterating its connections).
  void queued();
  /// The backlog is above settings.max_send_backlog: answer nothing that is optional.
  bool send_backlog_full() const;

  // --- lifetime ---

  /// Idempotent. Reports outstanding requests as aborted and calls host.on_disconnect exactly
  /// once, even when a host callback throws on the way (the first exception is rethrown after).
  void close(std::error_code reason);

  // --- coroutines ---

  // The coroutines are static and reach the state through `self` (or a reference the caller's
  // `self` keeps alive) rather than member coroutines: with GCC 12.2 a member coroutine started
  // from start_incoming saw the owner's address as `this` and crashed; static ones are immune.
  static awaitable<void> run_outgoing(std::shared_ptr<peer_connection> self);
  static awaitable<void> run_incoming(std::shared_ptr<peer_connection> self);
  /// Incoming connection whose handshake the listener read already.
  static awaitable<void> run_incoming_known(std::shared_ptr<peer_connection> self, wire::handshake h);
  /// The outgoing transport: a TCP connect (source address, TOS, no_delay) or a uTP connect
  /// through settings.utp (the stream then becomes that uTP stream). False when the connection
  /// closed (the error went to close()).
  static awaitable<bool> connect_tcp(impl& d);
  static awaitable<bool> connect_utp(impl& d);
  /// Outgoing MSE (settings.encryption.use_mse): runs the initiator with our handshake as IA,
  /// then installs the selected cipher on the stream. False when the connection closed.
  static awaitable<bool> mse_initiate(impl& d);
  /// Reads and checks the peer's 68-byte handshake. Bytes after it stay in the receive buffer for
  /// the reader. `reply`: queue our handshake once theirs names our torrent (incoming side).
  /// `d` is kept alive by the caller's `self`.
  static awaitable<bool> read_handshake(impl& d, bool reply);
  /// Checks the peer's parsed handshake and asks the host. `reply`: queue our handshake first.
  bool accept_handshake(const wire::handshake& h, bool reply);
  /// After an accepted handshake: queue our bitfield, start the writer and the tick.
  void start_session(const std::shared_ptr<peer_connection>& self);
  static awaitable<void> read_loop(impl& d);
  static awaitable<void> write_loop(std::shared_ptr<peer_connection> self);
  /// Limited download: waits until the socket has bytes, then for download quota for them.
  /// Returns how many bytes the next read may take (1..room); `room` when the socket reports an
  /// error or end of stream (the read then reports it). Asking only for bytes that arrived keeps
  /// idle connections from holding quota that busy ones need.
  static awaitable<std::size_t> download_quota(impl& d, std::size_t room);
  /// Writes the next `n` unwritten bytes of the write in flight, one socket write at a time, so
  /// that the stall clock (send_queue::stalled_for) sees each byte the socket takes. The error of
  /// the write, or none (also when the connection closed meanwhile: the caller checks).
  static awaitable<boost::system::error_code> write_to_socket(impl& d, std::size_t n);
  /// Limited upload: writes the write in flight in pieces of the upload quota granted.
  static awaitable<boost::system::error_code> write_limited(impl& d);
  void apply_tos();
  static awaitable<void> tick_loop(std::shared_ptr<peer_connection> self);
  void on_tick(clock_type::time_point now);

  // --- messages ---

  void on_message(const wire::keep_alive&);
  void on_message(const wire::choke&);
  void on_message(const wire::unchoke&);
  void on_message(const wire::interested&);
  void on_message(const wire::not_interested&);
  void ensure_pieces_sized();
  void on_message(const wire::have& m);
  void on_message(const wire::bitfield& m);
  /// Fields a request/cancel may carry: inside the torrent, inside the piece, 1..16 KiB (BEP 3:
  /// implementations close connections asking for more than 2^14 bytes).
  bool valid_block_range(piece_index piece, std::int32_t begin, std::int32_t length) const;
  /// What a peer may request of `piece`: its size, or a whole piece for the last piece of a
  /// v2-only torrent (libtorrent 2.0 pads the last file too; the bytes past the end are zeros).
  std::int64_t requestable_piece_size(piece_index piece) const;
  void on_message(const wire::request& m);
  void on_message(const wire::cancel& m);
  void on_message(const wire::piece& m);
  void on_message(const wire::port& m);
  void on_message(const wire::unknown&);

  // --- upload side (peer_connection_upload.cpp) ---

  /// Starts disk reads for queued requests, within the read-ahead and send-backlog bounds.
  void pump_uploads();
  /// Sends the read blocks at the front of upload_queue, in request order.
  void send_ready_uploads();
  void on_read_done(std::uint64_t id, std::error_code ec, std::span<const std::uint8_t> data);
  void set_choking(bool choke);

  // --- extension protocol (BEP 10; peer_connection_extensions.cpp) ---

  void write_extension_handshake();
  void write_extended_to_peer(std::uint8_t peer_id_for_it, std::string_view payload);
  void on_message(const wire::extended& m);
  void on_metadata_payload(std::string_view payload);
  /// The longest bitfield kept before we have metadata: a torrent has at most one piece per 20
  /// bytes of its info dictionary, so the peer's `metadata_size` (BEP 9) bounds it, and
  /// max_metadata_size does while the peer has not said.
  std::size_t pending_bitfield_limit() const;
  /// A bitfield (or have) arriving before the metadata (magnet): kept for metadata_ready().
  void keep_pending_bitfield(std::span<const std::uint8_t> bits);
  void keep_pending_have(std::int32_t piece);
  void metadata_ready();

  // --- BEP 52 hash messages (peer_connection_hashes.cpp) ---

  void on_message(const wire::hash_request_msg& m);
  void on_message(const wire::hashes_msg& m);
  void on_message(const wire::hash_reject_msg& m);
  /// Removes `r` from the outstanding requests; false (and the connection closed) when it was
  /// never asked; `late` set when it had timed out (the answer is to be dropped).
  bool take_hash_answer(const hash_request& r, bool& late);
  /// Gives up requests older than hash_request_timeout (the tick).
  void expire_hash_requests(clock_type::time_point now);
  /// The connection closes: every outstanding request is reported failed with `reason`.
  void fail_hash_requests(std::error_code reason);

  // --- BEP 6 Fast Extension (peer_connection_fast.cpp) ---

  /// After the handshake: have_all/have_none or the bitfield, and our allowed-fast set.
  void write_piece_set();
  void send_allowed_fast_set();
  /// A piece set arrives (bitfield, have, have_all, have_none) or not: for the ordering checks.
  bool piece_set_given() const;
  void on_message(const wire::have_all&);
  void on_message(const wire::have_none&);
  void on_message(const wire::suggest_piece& m);
  void on_message(const wire::reject_request& m);
  void on_message(const wire::allowed_fast& m);
  /// Applies a have_all (metadata known): the peer has every piece.
  void apply_have_all();
  /// Our request `r` was given up without an answer: remembered (bounded) for a late reject.
  void release(const outstanding_request& r);
  /// The peer may request `p` while we choke it (our allowed-fast set for it).
  bool allowed_fast_for_peer(piece_index p) const;
  /// With BEP 6: tells the peer we will not serve its request.
  void reject(piece_index piece, std::int32_t begin, std::int32_t length);
  /// A BEP 6 message arrived: true when the fast extension was negotiated, else the connection is
  /// closed (fast_not_negotiated).
  bool fast_negotiated();
  /// The piece a suggest / allowed fast names: true when it is a piece of the torrent; false
  /// without metadata (the message is advisory) or, closing the connection, out of range.
  bool fast_piece_known(piece_index p);

  // --- request pipeline ---

  void request_more();
  void update_interest();
};

}  // namespace tessera::detail
