// One BitTorrent peer connection (BEP 3): handshake, then a reader coroutine decoding messages and
// a writer coroutine draining a send queue. It keeps the per-peer protocol state (choke/interest
// both ways, the peer's bitfield, our outstanding requests, rates) and asks its torrent, through
// the narrow `peer_host` interface, for everything torrent-wide (which blocks to request, where
// received blocks go).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "core/bitfield.hpp"
#include "core/encryption_mode.hpp"
#include "core/extension_messages.hpp"
#include "core/hash_messages.hpp"
#include "core/piece_picker.hpp"
#include "core/ut_metadata.hpp"
#include "core/ut_pex.hpp"
#include "core/wire.hpp"
#include "swarm/bandwidth.hpp"
#include "swarm/peer_stream.hpp"
#include "swarm/utp_socket_manager.hpp"
#include "tessera/torrent_info.hpp"

namespace tessera::detail {

class peer_connection;

/// What a peer connection needs from its torrent. Implemented by the torrent. Every call happens on
/// the network thread. A connection never calls its host after close() has returned, so the host
/// only has to outlive its open connections.
class peer_host {
 public:
  virtual ~peer_host() = default;

  virtual const torrent_info& info() const = 0;
  virtual const peer_id& our_peer_id() const = 0;
  /// Our verified pieces (sent as our bitfield after the handshake).
  virtual const bitfield& our_pieces() const = 0;

  /// The peer's handshake arrived and its info-hash matches. Return false to drop the connection
  /// (a connection to ourselves, a peer id already connected, too many peers).
  virtual bool on_handshake(peer_connection& c, const wire::handshake& h) = 0;
  /// The peer's piece set grew: a bitfield as the whole new set (c.pieces() still holds the old
  /// one during the call: empty for the first, the earlier set for a later bitfield), or one
  /// `have`. Used for availability and interest.
  virtual void on_peer_has(peer_connection& c, const bitfield& whole_set) = 0;
  virtual void on_peer_have(peer_connection& c, piece_index p) = 0;
  /// True when the peer has a piece we still want.
  virtual bool is_interesting(const bitfield& peer_has) const = 0;
  /// Appends up to `max` blocks to request from `c` (the picker decides).
  virtual void pick_blocks(peer_connection& c, int max, std::vector<block_address>& out) = 0;
  /// Like pick_blocks, restricted to the peer's pieces among `pieces` (BEP 6: its allowed-fast
  /// pieces while it chokes us, or the pieces it suggested). Default: nothing.
  virtual void pick_blocks_in(peer_connection& c, std::span<const piece_index> pieces, int max,
                              std::vector<block_address>& out) {
    (void)c;
    (void)pieces;
    (void)max;
    (void)out;
  }
  /// A block we requested arrived; `data` is valid only during the call.
  virtual void on_block(peer_connection& c, block_address b, std::span<const std::uint8_t> data) = 0;
  /// A request ended without data (choked, timed out, snubbed, rejected).
  virtual void on_request_aborted(peer_connection& c, block_address b) = 0;
  /// The connection closed (any reason, including a failed connect). Its outstanding requests
  /// were already reported through on_request_aborted. Called exactly once per connection.
  virtual void on_disconnect(peer_connection& c, std::error_code reason) = 0;

  // --- upload side ---
  /// Completion of read_block: an error, or exactly the requested bytes. The span is valid only
  /// during the call (it may point into a shared read cache): copy what you keep.
  using read_handler = std::function<void(std::error_code, std::span<const std::uint8_t>)>;
  /// Reads `length` bytes at `begin` of our verified piece `p` (to serve a `request`) without
  /// blocking; `done` runs later on the network thread, never inside this call. The range was
  /// validated by the connection. `done` may run after the connection closed (it checks).
  virtual void read_block(piece_index p, std::int32_t begin, std::int32_t length,
                          read_handler done) = 0;
  /// The peer sent interested (true) or not_interested (false) and its state changed. The torrent
  /// uses it to rechoke early when a slot is free. Default: nothing.
  virtual void on_peer_interest(peer_connection& c, bool interested) {
    (void)c;
    (void)interested;
  }

  // --- DHT (BEP 5) ---
  /// Our DHT node's UDP port for this torrent, 0 when the DHT is off or the torrent is private
  /// (BEP 27). Non-zero: our handshake sets the DHT bit (reserved[7] & 0x01) and, when the peer's
  /// handshake sets it too, a `port` message follows our bitfield. Default: 0.
  virtual std::uint16_t dht_port() const { return 0; }
  /// The peer sent a `port` message: its DHT node listens on UDP `port` at the peer's address.
  /// Default: nothing.
  virtual void on_peer_dht_port(peer_connection& c, std::uint16_t port) {
    (void)c;
    (void)port;
  }

  // --- extension protocol (BEP 10), metadata exchange (BEP 9), peer exchange (BEP 11) ---
  /// False while the torrent has no metadata (added from a magnet link, BEP 9 fetch running):
  /// info() then has no pieces, and the connection keeps the peer's bitfield and haves unchecked
  /// until peer_connection::metadata_ready(), sends no bitfield, is never interested, and ignores
  /// `request` and `cancel`. Default: true.
  virtual bool has_metadata() const { return true; }
  /// The raw info dictionary served to peers' ut_metadata requests; empty: requests are answered
  /// with `reject`. Default: info().info_bytes() once has_metadata().
  virtual std::string_view metadata() const {
    return has_metadata() ? std::string_view(info().info_bytes()) : std::string_view();
  }
  /// Offer ut_pex in our extended handshake and accept the peer's ut_pex messages. False for
  /// private torrents (BEP 27). Default: false.
  virtual bool pex_enabled() const { return false; }
  /// Our TCP listen port, sent as `p` in the extended handshake; 0 leaves it out. Default: 0.
  virtual std::uint16_t listen_port() const { return 0; }
  /// The peer's extended handshake arrived (also c.peer_extensions()). Default: nothing.
  virtual void on_extension_handshake(peer_connection& c, const extension_handshake& h) {
    (void)c;
    (void)h;
  }
  /// A ut_metadata `data` or `reject` message arrived (requests are answered by the connection
  /// itself from metadata()). For data, `m.data` is valid only during the call. Default: nothing.
  virtual void on_metadata_message(peer_connection& c, const metadata_message& m) {
    (void)c;
    (void)m;
  }
  /// A ut_pex message arrived (only when pex_enabled()). Default: nothing.
  virtual void on_pex(peer_connection& c, const pex_message& m) {
    (void)c;
    (void)m;
  }

  // --- BEP 52 hash messages (21-23; peer_connection_hashes.cpp) ---
  /// Completion of on_hash_request: the hashes answering the request (base hashes, then the
  /// uncles lowest first, as answer_request gives them), or an error (any: a `hash reject` goes
  /// out). May run inside the call or later on the network thread, at most once; it may run
  /// after the connection closed (it checks).
  using hashes_handler = std::function<void(result<std::vector<sha256_hash>>)>;
  /// The peer sent a `hash request` whose fields are in range (hash_messages checked them; not
  /// yet whether they fit a file's tree: the host's check). At most
  /// peer_connection_settings::max_hash_requests_served are with the host at a time; the
  /// connection rejects the rest itself. Default: unavailable (rejected).
  virtual void on_hash_request(peer_connection& c, const hash_request& r, hashes_handler done) {
    (void)c;
    (void)r;
    done(unexpected{make_error_code(hash_errc::unavailable)});
  }
  /// A `hashes` message answering our request `m.request` (sent with
  /// peer_connection::send_hash_request and still outstanding). Not verified: that is the
  /// host's (verify_hashes; a reply that does not verify is the peer's fault). Default: nothing.
  virtual void on_hashes(peer_connection& c, const hashes_message& m) {
    (void)c;
    (void)m;
  }
  /// Our request `r` ended without hashes: `reason` is hash_errc::unavailable for a `hash
  /// reject`, peer_errc::timeout when no answer came within hash_request_timeout, or the close
  /// reason when the connection closed with it outstanding (reported before on_disconnect).
  /// Default: nothing.
  virtual void on_hash_request_failed(peer_connection& c, const hash_request& r, std::error_code reason) {
    (void)c;
    (void)r;
    (void)reason;
  }
};

/// Tuning of one connection; durations are std::chrono.
struct peer_connection_settings {
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds handshake_timeout{20};
  /// Target time a request waits in the peer's queue: pipeline depth = rate x this / block size.
  std::chrono::milliseconds request_queue_time{3000};
  int min_request_depth = 4;
  int max_request_depth = 500;
  /// No block received for this long while requests are outstanding: the peer is snubbed, its
  /// requests go back to the picker (other peers take them) and it gets one request at a time.
  std::chrono::seconds snub_timeout{30};
  std::chrono::seconds keep_alive_interval{120};
  /// Nothing received at all for this long: the connection is closed. Peers send keep-alives
  /// every 2 minutes, so a live peer never trips it.
  std::chrono::seconds inactivity_timeout{240};
  /// Neither side interested for this long: the connection is useless and closed (libtorrent's
  /// `inactivity_timeout`, 10 minutes). An interested peer that we choke is not idle: it waits
  /// for an unchoke (a seed keeps a queue of such peers for its optimistic slot).
  std::chrono::seconds idle_timeout{600};
  /// Source address of outgoing connections (session_settings::listen_interface when it is an
  /// IP literal): the socket is bound to it, port 0 (the OS picks), before connecting, so the
  /// peer sees the address we listen on. Used only when the remote is of the same family (IPv4
  /// or IPv6); otherwise, and when unset, the OS picks the source address. A failed bind closes
  /// the connection with the bind error.
  std::optional<boost::asio::ip::address> bind_address;
  /// IP TOS byte (DSCP << 2 | ECN bits; e.g. 0x20 for DSCP CS1) of the peer socket: IP_TOS for
  /// IPv4, IPV6_TCLASS (and IP_TOS, for IPv4-mapped peers) for IPv6; set before connecting, or
  /// when an accepted socket is adopted. 0: left as the OS sets it. A failure is logged only.
  int tos = 0;
  /// The 20 bytes our handshake carries on an outgoing connection: one of the torrent's hashes
  /// (v1, or v2 truncated: the swarm the address was found in, BEP 52). Zero, or a hash that
  /// does not name the torrent: info_hash.best(). Incoming connections answer in the peer's form.
  sha1_hash outgoing_info_hash;
  /// MSE/PE of an outgoing connection (core/encryption_mode.hpp, outgoing_for): with use_mse the
  /// connection starts with the MSE handshake offering crypto_provide, our BitTorrent handshake
  /// as its initial payload, and continues with the method the peer selected; without it, a
  /// plaintext handshake. Default: plaintext. Incoming connections arrive with their stream's
  /// cipher set already (the session's incoming handshake stage ran MSE).
  outgoing_encryption encryption;
  /// The transport of an outgoing connection: set, the connection dials over uTP (BEP 29)
  /// through this manager (the session's UDP socket of the remote's family) instead of TCP;
  /// null: TCP. bind_address and tos do not apply to uTP (the UDP socket is bound already).
  std::shared_ptr<utp_socket_manager> utp;
  /// Rate limits (swarm/bandwidth.hpp): download quota is awaited before each socket read (for
  /// the bytes waiting in the socket), upload quota before each socket write; every byte after
  /// the handshake counts, protocol overhead included. Default: unlimited (nothing awaited).
  bandwidth_path download_bandwidth;
  bandwidth_path upload_bandwidth;

  // Upload side.
  /// Requests queued from the peer (not yet answered) above which the connection is closed.
  /// 500: libtorrent's max_allowed_in_request_queue, and our own max_request_depth, so a peer
  /// pipelining like libtorrent or tessera at full speed never trips it.
  int max_queued_requests = 500;
  /// Disk reads in flight for this peer (read-ahead of its queued requests).
  int max_reads_in_flight = 8;
  /// The send backlog is what we hold for the peer: every queued message (pieces, metadata
  /// answers and rejects, haves, pex, requests...) plus the write in flight. While it is at or
  /// above this many bytes no new disk read starts and ut_metadata requests are answered with
  /// `reject` instead of 16 KiB of data. 512 KiB: about libtorrent's send_buffer_watermark
  /// (500 KiB), the point where it stops reading blocks for a peer.
  std::size_t max_send_backlog = 512 * 1024;
  /// A send backlog above this many bytes closes the connection (peer_errc::send_backlog): the
  /// peer keeps asking (each reject, have or pex message counts) but does not read. 2 MiB: four
  /// times max_send_backlog, far above what an honest connection holds (max_send_backlog, plus
  /// max_reads_in_flight blocks whose reads were already running, plus one metadata piece).
  /// Never below max_send_backlog + our bitfield, which goes out whole at the start.
  std::size_t max_send_backlog_hard = 2 * 1024 * 1024;
  /// A socket write that takes no byte for this long closes the connection
  /// (peer_errc::send_stalled): the peer stopped reading (a zero TCP window) while we have data
  /// for it. 120 s: libtorrent's peer_timeout, the time it gives a peer that sends nothing; a
  /// peer that takes nothing gets the same. Only time inside socket writes counts: waiting for
  /// upload quota (a rate limit) is not a stall.
  std::chrono::seconds send_stall_timeout{120};
  /// Requests for pieces we do not have (a broken or hostile peer; they are ignored) tolerated
  /// before the connection is closed.
  int max_invalid_requests = 100;
  /// `v` of our extended handshake (BEP 10): client name and version.
  std::string client_version = "tessera 0.1";
  /// ut_metadata requests answered per peer per minute; more are rejected (BEP 9 `reject`), so
  /// one peer cannot make us send the whole info dictionary in a loop.
  int max_metadata_requests_per_minute = 500;
  /// ut_pex messages accepted per peer per minute (BEP 11 asks for at most one); more close the
  /// connection (peer_errc::pex_flood).
  int max_pex_per_minute = 3;
  /// BEP 52 `hash request`s of the peer being answered at once (the host may read and hash a
  /// piece from disk for one); more arriving meanwhile are answered with `hash reject`.
  int max_hash_requests_served = 8;
  // BEP 6 (Fast Extension).
  /// Pieces in the allowed-fast set we send a peer (computed from its IPv4 /24 and the info-hash;
  /// core/allowed_fast.hpp). 10, libtorrent's default; 0 sends none.
  int allowed_fast_set_size = 10;
  /// Allowed-fast pieces kept from the peer; more `allowed fast` messages are ignored.
  int max_allowed_fast_received = 32;
  /// Suggested pieces kept from the peer (newest kept, oldest dropped).
  int max_suggested_pieces = 16;
  /// Our requests given up (choke, cancel, snub) remembered so that the peer's late `reject`
  /// for one is not taken for a reject of a block never requested (which closes). Oldest dropped.
  int max_released_requests = 1000;
  /// Our `hash request`s outstanding to the peer at once (send_hash_request refuses more).
  int max_hash_requests_sent = 16;
  /// An outstanding `hash request` of ours unanswered for this long is given up
  /// (host.on_hash_request_failed with peer_errc::timeout); a late answer is then dropped.
  std::chrono::seconds hash_request_timeout{30};
};

/// Counters of one connection. Byte counts are payload bytes; rates are bytes/s over a few seconds.
struct peer_connection_stats {
  std::int64_t downloaded = 0;
  std::int64_t uploaded = 0;
  std::int64_t download_rate = 0;
  std::int64_t upload_rate = 0;
  int outstanding_requests = 0;
  /// Payload bytes of `piece` messages that matched no outstanding request (late after a choke,
  /// cancel or snub, or never requested): dropped, never handed to the host.
  std::int64_t wasted = 0;
  /// The peer's requests we still owe (queued or being read from disk).
  int queued_uploads = 0;
  /// Every byte read from the socket (handshake and protocol overhead included).
  std::int64_t received_bytes = 0;
  /// Bytes held for the peer (see peer_connection_settings::max_send_backlog).
  std::size_t send_backlog = 0;
  /// Bytes allocated for received, undecoded data: 256 KiB, more only while a longer message
  /// (at most the message limit) is being received.
  std::size_t receive_buffer = 0;
};

/// Must be owned by a std::shared_ptr before start_*() (its coroutines hold a reference). Single
/// network thread: every member is called on the executor passed at construction. Protocol
/// decisions: a `piece` that matches no outstanding request exactly (piece, begin, length) is
/// counted in stats().wasted and dropped, not a disconnect (late blocks after a choke or cancel are
/// normal); a later bitfield (after haves, as aria2 sends it) replaces the piece set when it keeps
/// every piece known so far, and closes the connection when it drops one; a bitfield of the wrong
/// size, a have out of range, a request/cancel outside the torrent or above 16 KiB, and any message the codec
/// rejects close the connection (reasons: peer_errc, wire_errc, or the socket's error code).
///
/// Upload side (BEP 3): we start choking. A `request` that is valid but arrives while we choke the
/// peer is ignored (it may have been sent before our choke arrived); one for a piece we do not
/// have is ignored and counted (closed after max_invalid_requests); a duplicate of a queued
/// request is ignored; more than max_queued_requests queued closes (peer_errc::too_many_requests).
/// Queued requests are read from disk through host.read_block, at most max_reads_in_flight at a
/// time (reads done but not sent yet included) and only while the send backlog is below
/// max_send_backlog, and answered with `piece` messages in the order they were requested (a block
/// read sooner waits for the ones asked for before it). `cancel` drops a request not sent yet (a read in
/// flight is then discarded). Choking the peer drops its whole queue. A failed disk read closes
/// the connection with the read's error code.
///
/// Bounds: the send backlog (every message queued for the peer plus the write in flight) closes
/// the connection above max_send_backlog_hard (peer_errc::send_backlog), and a socket write that
/// takes nothing for send_stall_timeout closes it too (peer_errc::send_stalled). The receive
/// buffer grows only for a message longer than it (up to the message limit) and shrinks back
/// after; a message with an id we do not know is skipped as it streams in, never buffered. An
/// exception escaping the connection's code (a broken invariant, or thrown by the host) is
/// logged and closes the connection (peer_errc::internal_error).
///
/// BEP 52 hash messages: our handshake sets the v2 bit (reserved[7] & 0x10) when the torrent's
/// info_hash has a v2 part. A `hash request` is handed to host.on_hash_request (at most
/// max_hash_requests_served at a time, the rest rejected) and answered with `hashes` or `hash
/// reject` through the send queue. Our requests (send_hash_request, only to peers that
/// supports_v2()) are tracked (hash_request_tracker): a `hashes` or `hash reject` that answers none of
/// them closes the connection (hash_errc::not_requested), unless it answers one that timed out
/// (then it is dropped); a malformed hash message closes it with its hash_errc.
///
/// Fast Extension (BEP 6; peer_connection_fast.cpp): our handshake sets reserved[7] & 0x04; when
/// the peer's does too (supports_fast()), what is said above about ignored or dropped requests
/// becomes a `reject request` for each (choked, a piece we lack, cancelled while queued, and every
/// queued one when we choke the peer), except requests of the allowed-fast set we send right after
/// the handshake (allowed_fast_set_size pieces, IPv4 peers), which are served while we choke. Our
/// piece set goes as `have all`/`have none` when we have every piece or none. The peer's `have
/// all`/`have none` is its piece set (once, before any bitfield or have: else unexpected_have_all);
/// its `reject` returns the block to the host (on_request_aborted; a reject matching no request,
/// outstanding or given up, closes: unexpected_reject); its `allowed fast` pieces (bounded) are
/// requested while it chokes us and its suggestions (bounded) first, through host.pick_blocks_in;
/// a choke from it keeps only our requests of its allowed-fast pieces outstanding. Any of the five
/// messages from a peer without the bit closes the connection (fast_not_negotiated).
///
/// Extension protocol (BEP 10): our handshake sets the extension bit (reserved[5] & 0x10); when
/// the peer's does too, our extended handshake follows the bitfield, with `m` {ut_metadata: 2,
/// ut_pex: 1 (only when host.pex_enabled())}, `v`, `p` (host.listen_port()), `reqq`
/// (max_queued_requests), `metadata_size` (when host.metadata() is not empty) and `yourip`. The
/// peer's `reqq` caps our request pipeline to it. ut_metadata requests are answered from
/// host.metadata() (reject when empty, out of range, over the per-minute cap, or while the send
/// backlog is at max_send_backlog); data and reject
/// messages go to host.on_metadata_message, ut_pex messages to host.on_pex. An extended message
/// with an id we did not assign is ignored; a malformed ut_metadata or ut_pex payload closes the
/// connection with its extension_errc. Before the host has metadata (magnet), a bitfield longer
/// than the peer's `metadata_size` allows (a torrent has at most one piece per 20 bytes of info
/// dictionary; max_metadata_size while it has not said; max_v2_pieces for a torrent named by a v2
/// info-hash alone, whose info dictionary has no `pieces`) closes the connection (bad_bitfield), as
/// does a have beyond that bound (have_out_of_range).
class peer_connection : public std::enable_shared_from_this<peer_connection> {
 public:
  /// `host` must outlive the connection's open period (see peer_host). `key` identifies the
  /// connection to the picker. `info_hash` is the torrent's: the peer's handshake must match() it
  /// (v1, or v2 truncated; BEP 52), else the connection closes with info_hash_mismatch. Ours
  /// carries settings.outgoing_info_hash (else its best() 20 bytes), or, answering an incoming
  /// handshake, the peer's form.
  peer_connection(boost::asio::any_io_executor ex, peer_host& host, peer_key key,
                  info_hash_t info_hash, boost::asio::ip::tcp::endpoint remote,
                  peer_connection_settings settings = {});
  ~peer_connection();

  /// Connects, sends our handshake, then runs the reader and writer. Call once.
  void start_outgoing();
  /// Takes an accepted socket whose handshake was not read yet (plaintext). Call once.
  void start_incoming(boost::asio::ip::tcp::socket socket);
  /// Takes an accepted stream whose 68-byte handshake `h` the session's incoming stage already
  /// read (through MSE when the peer used it: the stream's cipher is set and bytes read past the
  /// handshake are held in it) and matched to this torrent by info-hash: checks it like
  /// start_incoming would, replies with ours and our bitfield, then runs the reader and writer.
  /// Call once.
  void start_incoming(peer_stream stream, const wire::handshake& h);

  /// Closes the socket and stops the coroutines; reports outstanding requests as aborted and calls
  /// host.on_disconnect once. Idempotent; after it returns the host is never called again.
  void close(std::error_code reason);
  bool is_closed() const;

  // --- calls from the torrent (network thread) ---
  /// Queues a `have` (skipped when the peer already has the piece).
  void send_have(piece_index p);
  /// Cancels our request for `b` (endgame: another peer delivered it). Not reported as aborted.
  void cancel_request(block_address b);
  /// Re-evaluates interest (after our piece set changed) and tops up the request pipeline.
  void update_interest();
  /// Tops up the request pipeline (e.g. after blocks were returned to the picker).
  void request_more();
  /// Choker decisions (no-ops when the state does not change or before the handshake). choke()
  /// also drops the peer's queued requests (BEP 3: the peer knows they are discarded).
  void choke();
  void unchoke();
  /// The host has its metadata now (it was a magnet): sizes the peer's piece set from info() and
  /// replays the bitfield and haves kept meanwhile through the usual checks (a bad one closes
  /// the connection), sends our bitfield if we have pieces, then re-evaluates interest.
  void metadata_ready();
  /// Sends a ut_metadata request for metadata piece `piece` (BEP 9). False (nothing sent) when
  /// the peer did not offer ut_metadata in its extended handshake or the connection is closed.
  bool send_metadata_request(std::int32_t piece);
  /// Sends a ut_pex message (BEP 11). False (nothing sent) when the peer did not offer ut_pex,
  /// we did not (host.pex_enabled() false), or the connection is closed.
  bool send_pex(const pex_message& m);
  /// Sends a BEP 52 `hash request`. False (nothing sent) when the peer does not supports_v2(),
  /// the same request is outstanding, max_hash_requests_sent are, or the connection is closed
  /// or not past the handshake. Its answer goes to host.on_hashes or on_hash_request_failed.
  bool send_hash_request(const hash_request& r);
  /// Our hash requests awaiting an answer.
  int outstanding_hash_requests() const;

  // --- state ---
  peer_key key() const;
  const boost::asio::ip::tcp::endpoint& remote() const;
  /// The peer's piece set (empty until its bitfield arrived; sized num_pieces after).
  const bitfield& pieces() const;
  bool is_seed() const;            ///< the peer has every piece
  bool handshake_done() const;
  const peer_id& remote_peer_id() const;
  /// From the peer id (see client_name_from_peer_id): "-LT2080-" -> "libtorrent 2080", an unknown
  /// Azureus code "-XY1234-" -> "XY 1234", else the hex of the first 8 bytes.
  std::string client_name() const;
  bool peer_choking() const;       ///< the peer chokes us
  bool am_interested() const;
  bool am_choking() const;         ///< we choke the peer (true until the choker unchokes it)
  bool peer_interested() const;    ///< the peer wants pieces from us
  /// When the handshake completed (time_point{} before).
  std::chrono::steady_clock::time_point connected_at() const;
  /// The connection was accepted by us (not dialled).
  bool is_incoming() const;
  /// Our side's address of the socket (empty endpoint when not connected).
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  bool is_snubbed() const;
  /// The stream is RC4-encrypted (MSE/PE selected RC4).
  bool is_encrypted() const;
  /// The MSE handshake was started on this connection (incoming: the peer used MSE).
  bool used_mse() const;
  /// The transport is connected: the TCP connect succeeded, or the connection was accepted.
  bool transport_connected() const;
  /// The connection's transport (TCP, or uTP: BEP 29).
  peer_transport transport() const;
  /// Both handshakes set the Fast Extension bit (reserved[7] & 0x04, BEP 6).
  bool supports_fast() const;
  /// The peer sent `have all` / `have none` (BEP 6) in place of a bitfield.
  bool sent_have_all() const;
  bool sent_have_none() const;
  /// Pieces the peer allows us to request while it chokes us (BEP 6 `allowed fast`), in arrival
  /// order, at most max_allowed_fast_received.
  const std::vector<piece_index>& allowed_fast_from_peer() const;
  /// The allowed-fast set we sent the peer (empty without BEP 6, for IPv6 peers, or before metadata).
  const std::vector<piece_index>& allowed_fast_to_peer() const;
  /// Pieces the peer suggested (BEP 6 `suggest piece`), oldest first, at most max_suggested_pieces.
  const std::vector<piece_index>& suggested_pieces() const;
  /// The peer speaks BEP 52: its handshake set the v2 bit (reserved[7] & 0x10), or named a
  /// torrent with a v2 part by its truncated v2 info-hash (libtorrent 2.0 sets no bit).
  bool supports_v2() const;
  peer_connection_stats stats() const;
  /// The peer's extended handshake (BEP 10); nullopt until it arrived, and for peers without
  /// the extension protocol.
  const std::optional<extension_handshake>& peer_extensions() const;
  /// Where the peer accepts connections: remote() for a connection we dialled; for an incoming
  /// one its address with the `p` of its extended handshake; nullopt when unknown.
  std::optional<boost::asio::ip::tcp::endpoint> listen_endpoint() const;

 private:
  /// Takes the accepted socket for an incoming connection; false when already started or closed.
  bool adopt_incoming(peer_stream stream);

  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace tessera::detail
