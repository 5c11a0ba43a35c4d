// peer_connection: BEP 3 handshake, then a reader coroutine (decodes messages straight out of the
// receive buffer, no per-message allocation), a writer coroutine (drains a byte queue with one
// write per wake-up) and a 1 s tick coroutine (snub, keep-alive, inactivity). Everything runs on
// one executor; no locks. Each coroutine holds a shared_ptr to the connection, and every resume
// checks `closed` before touching the host or any state.
#include "swarm/peer_connection.hpp"

#include <algorithm>
#include <cstring>
#include <deque>
#include <exception>
#include <limits>
#include <tuple>
#include <variant>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "core/request_policy.hpp"
#include "swarm/client_name.hpp"
#include "swarm/coroutine_failure.hpp"
#include "swarm/endpoint_conversion.hpp"
#include "swarm/peer_error.hpp"
#include "swarm/rate_meter.hpp"
#include "swarm/socket_options.hpp"

namespace tessera::detail {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

/// First size of the receive buffer; reads are this large so one read carries several blocks.
// 256 KiB: fewer, larger reads at high rates (measured: ~10% less system time than 64 KiB).
constexpr std::size_t initial_receive_buffer = 256 * 1024;
/// Longest message accepted besides a bitfield: room for BEP 10 extension messages (metadata
/// pieces, PEX). A `piece` longer than a block is accepted by the codec but matches no request.
constexpr std::uint32_t extension_message_limit = 1024 * 1024;

constexpr auto tick_interval = std::chrono::seconds(1);

/// Extended message ids we ask peers to use for messages to us (BEP 10 `m`); the same numbers as
/// libtorrent, which helps when reading captures.
constexpr std::uint8_t our_ut_pex_id = 1;
constexpr std::uint8_t our_ut_metadata_id = 2;
/// Haves kept while the torrent has no metadata; beyond this they are dropped (the bitfield,
/// kept whole, is what matters; a peer sending this many haves before metadata is odd).
constexpr std::size_t max_pending_haves = 1 << 16;

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

std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

struct peer_connection::impl {
  /// A request we sent and still expect a `piece` for.
  struct outstanding_request {
    block_address block;
    std::int32_t begin = 0;
    std::int32_t length = 0;
  };

  impl(peer_connection& o, asio::any_io_executor ex, peer_host& h, peer_key k, sha1_hash ih,
       tcp::endpoint r, peer_connection_settings s)
      : owner(o),
        host(h),
        key(k),
        info_hash(ih),
        remote(std::move(r)),
        settings(s),
        socket(ex),
        deadline(ex),
        write_signal(ex),
        tick_timer(ex),
        down(clock_type::now()),
        up(clock_type::now()),
        label(endpoint_to_string(remote)) {}

  peer_connection& owner;
  peer_host& host;
  peer_key key;
  sha1_hash info_hash;
  tcp::endpoint remote;
  peer_connection_settings settings;

  tcp::socket socket;
  asio::steady_timer deadline;      // connect and handshake timeouts
  unsigned deadline_generation = 0; // a fired-but-queued deadline of an older phase is ignored
  asio::steady_timer write_signal;  // the idle writer waits on it; cancel() wakes it
  asio::steady_timer tick_timer;
  // Rate limits (bandwidth.hpp): asked before each read / write when a limit is set.
  bandwidth_request down_quota{socket.get_executor(), settings.download_bandwidth};
  bandwidth_request up_quota{socket.get_executor(), settings.upload_bandwidth};

  bool started = false;
  bool closed = false;
  bool handshake_done = false;
  bool peer_dht = false;  // the peer's handshake set the DHT bit (BEP 5)
  bool peer_ext = false;  // the peer's handshake set the extension protocol bit (BEP 10)
  bool writer_waiting = false;
  bool pipeline_dirty = false;  // blocks arrived during a decode batch: top up after the batch
  bool peer_choking = true;
  bool peer_interested = false;
  bool am_interested = false;
  bool snubbed = false;
  bool pieces_known = false;  // a bitfield or a have arrived (pieces is sized)
  bool am_choking = true;
  bool incoming = false;
  clock_type::time_point connected_at{};
  clock_type::time_point last_interest{};  // last tick at which either side was interested

  /// A request from the peer we still owe a `piece` for.
  struct upload_request {
    std::uint64_t id = 0;  // matches a disk read's completion to its entry
    piece_index piece;
    std::int32_t begin = 0;
    std::int32_t length = 0;
    bool reading = false;  // a disk read for it is in flight
  };
  std::deque<upload_request> upload_queue;
  std::uint64_t next_upload_id = 1;
  int reads_in_flight = 0;  // includes reads whose request was cancelled meanwhile
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

  std::deque<outstanding_request> outstanding;
  /// Later of the last block received and the moment the request queue became non-empty.
  clock_type::time_point last_progress{};
  std::vector<block_address> picked;  // scratch for pick_blocks, reused

  std::vector<std::uint8_t> recv_buf = std::vector<std::uint8_t>(initial_receive_buffer);
  std::size_t recv_begin = 0;  // first undecoded byte
  std::size_t recv_end = 0;    // one past the last received byte
  std::vector<std::uint8_t> send_buf;   // messages queued since the last write started
  std::vector<std::uint8_t> write_buf;  // the bytes of the write in flight (swapped with send_buf)

  clock_type::time_point last_receive{};
  clock_type::time_point last_send{};
  rate_meter down;
  rate_meter up;
  std::int64_t downloaded = 0;
  std::int64_t uploaded = 0;
  std::int64_t wasted = 0;
  std::string label;

  // --- helpers ---

  int num_pieces() const { return host.info().num_pieces(); }

  std::uint32_t max_message_length() const {
    const auto bitfield_bytes = static_cast<std::uint32_t>((num_pieces() + 7) / 8);
    return std::max(bitfield_bytes + 1, extension_message_limit);
  }

  wire::handshake our_handshake() const {
    wire::handshake h;  // reserved bits zero but the extension protocol (BEP 10) and DHT (BEP 5)
    h.reserved[5] |= 0x10;
    if (host.dht_port() != 0) h.reserved[7] |= 0x01;
    h.info_hash = info_hash;
    h.id = host.our_peer_id();
    return h;
  }

  static auto completion() { return log_coroutine_failure("peer connection"); }

  /// Closes with peer_errc::timeout when `d` passes before the next arm/disarm.
  void arm_deadline(std::chrono::steady_clock::duration d) {
    const unsigned generation = ++deadline_generation;
    deadline.expires_after(d);
    deadline.async_wait([weak = owner.weak_from_this(), generation](std::error_code ec) {
      if (ec) return;
      auto self = weak.lock();
      if (!self || self->impl_->deadline_generation != generation) return;
      self->impl_->close(peer_errc::timeout);
    });
  }
  void disarm_deadline() {
    ++deadline_generation;
    deadline.cancel();
  }

  void wake_writer() {
    if (writer_waiting) write_signal.cancel();
  }

  // --- lifetime ---

  void close(std::error_code reason) {
    if (closed) return;
    closed = true;
    // The host may drop its last reference in on_disconnect; stay alive until we return.
    auto keep_alive = owner.weak_from_this().lock();
    spdlog::debug("peer {}: closed: {}", label, reason.message());
    boost::system::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    deadline.cancel();
    write_signal.cancel();
    down_quota.cancel();
    up_quota.cancel();
    tick_timer.cancel();
    upload_queue.clear();
    // One at a time, so a reentrant host still sees the remaining ones here exactly once.
    while (!outstanding.empty()) {
      const auto r = outstanding.front();
      outstanding.pop_front();
      host.on_request_aborted(owner, r.block);
    }
    host.on_disconnect(owner, reason);
  }

  // --- coroutines ---

  // The coroutines are static and reach the state through `self` (or a reference the caller's
  // `self` keeps alive) rather than member coroutines: with GCC 12.2 a member coroutine started
  // from start_incoming saw the owner's address as `this` and crashed; static ones are immune.
  static awaitable<void> run_outgoing(std::shared_ptr<peer_connection> self) {
    impl& d = *self->impl_;
    d.arm_deadline(d.settings.connect_timeout);
    // Bind to the source address first (port 0) when the remote is of its family.
    // The TOS byte is set before connecting, so that the SYN is marked too.
    const auto& local = d.settings.bind_address;
    const bool bind = local && local->is_v4() == d.remote.address().is_v4();
    if (bind || d.settings.tos != 0) {
      boost::system::error_code bec;
      d.socket.open(d.remote.protocol(), bec);
      if (!bec && d.settings.tos != 0) d.apply_tos();
      if (!bec && bind) d.socket.bind(tcp::endpoint(*local, 0), bec);
      if (bec) {
        d.close(bec);
        co_return;
      }
    }
    auto [cec] = co_await d.socket.async_connect(d.remote, use_tuple);
    if (d.closed) co_return;
    if (cec) {
      d.close(cec);
      co_return;
    }
    boost::system::error_code ignored;
    d.socket.set_option(tcp::no_delay(true), ignored);
    d.arm_deadline(d.settings.handshake_timeout);

    std::vector<std::uint8_t> hs;
    wire::write_handshake(hs, d.our_handshake());
    auto [wec, written] = co_await asio::async_write(d.socket, asio::buffer(hs), use_tuple);
    if (d.closed) co_return;
    if (wec) {
      d.close(wec);
      co_return;
    }
    d.last_send = clock_type::now();
    if (!co_await read_handshake(d, false)) co_return;
    d.start_session(self);
    co_await read_loop(d);
  }

  static awaitable<void> run_incoming(std::shared_ptr<peer_connection> self) {
    impl& d = *self->impl_;
    d.arm_deadline(d.settings.handshake_timeout);
    if (!co_await read_handshake(d, true)) co_return;
    d.start_session(self);
    co_await read_loop(d);
  }

  /// Incoming connection whose handshake the listener read already.
  static awaitable<void> run_incoming_known(std::shared_ptr<peer_connection> self, wire::handshake h) {
    impl& d = *self->impl_;
    if (!d.accept_handshake(h, true)) co_return;
    d.start_session(self);
    co_await read_loop(d);
  }

  /// Reads and checks the peer's 68-byte handshake. Bytes after it stay in the receive buffer for
  /// the reader. `reply`: queue our handshake once theirs names our torrent (incoming side).
  /// `d` is kept alive by the caller's `self`.
  static awaitable<bool> read_handshake(impl& d, bool reply) {
    while (d.recv_end < wire::handshake_length) {
      auto [ec, n] = co_await d.socket.async_read_some(
          asio::buffer(d.recv_buf.data() + d.recv_end, d.recv_buf.size() - d.recv_end), use_tuple);
      if (d.closed) co_return false;
      if (ec) {
        d.close(ec);
        co_return false;
      }
      d.recv_end += n;
    }
    auto h = wire::parse_handshake({d.recv_buf.data(), wire::handshake_length});
    if (!h) {
      d.close(h.error());
      co_return false;
    }
    d.recv_begin = wire::handshake_length;
    co_return d.accept_handshake(*h, reply);
  }

  /// Checks the peer's parsed handshake and asks the host. `reply`: queue our handshake first.
  bool accept_handshake(const wire::handshake& h, bool reply) {
    if (h.info_hash != info_hash) {
      close(peer_errc::info_hash_mismatch);
      return false;
    }
    remote_id = h.id;
    peer_dht = h.supports_dht();
    peer_ext = h.supports_extensions();
    if (reply) wire::write_handshake(send_buf, our_handshake());
    const bool accepted = host.on_handshake(owner, h);
    if (closed) return false;  // the host closed it with its own reason
    if (!accepted) {
      close(peer_errc::handshake_rejected);
      return false;
    }
    disarm_deadline();
    handshake_done = true;
    const auto now = clock_type::now();
    last_receive = now;
    connected_at = now;
    last_interest = now;
    spdlog::debug("peer {}: handshake done, client {}", label, client_name_from_peer_id(remote_id));
    return true;
  }

  /// After an accepted handshake: queue our bitfield, start the writer and the tick.
  void start_session(const std::shared_ptr<peer_connection>& self) {
    impl& d = *this;
    const auto& ours = d.host.our_pieces();
    if (ours.size() == d.num_pieces() && !ours.none()) wire::write_bitfield(d.send_buf, ours.bytes());
    if (d.peer_dht && d.host.dht_port() != 0) wire::write_port(d.send_buf, d.host.dht_port());
    if (d.peer_ext) d.write_extension_handshake();
    if (d.last_send == clock_type::time_point{}) d.last_send = clock_type::now();
    auto ex = d.socket.get_executor();
    asio::co_spawn(ex, write_loop(self), completion());
    asio::co_spawn(ex, tick_loop(self), completion());
  }

  static awaitable<void> read_loop(impl& d) {
    const std::uint32_t max_length = d.max_message_length();
    for (;;) {
      std::size_t needed = 0;
      while (!d.closed) {
        auto r = wire::decode_message({d.recv_buf.data() + d.recv_begin, d.recv_end - d.recv_begin},
                                      max_length);
        if (r.ec) {
          d.close(r.ec);
          co_return;
        }
        if (r.consumed == 0) {
          needed = r.needed;
          break;
        }
        d.recv_begin += r.consumed;  // spans in r.msg stay valid: nothing moves until the batch ends
        std::visit([&d](const auto& m) { d.on_message(m); }, r.msg);
      }
      if (d.closed) co_return;
      if (d.pipeline_dirty) {
        d.pipeline_dirty = false;
        d.request_more();
        if (d.closed) co_return;
      }
      // Keep the partial message at the front, so the next read lands after it.
      const std::size_t pending = d.recv_end - d.recv_begin;
      if (d.recv_begin > 0) {
        if (pending > 0) std::memmove(d.recv_buf.data(), d.recv_buf.data() + d.recv_begin, pending);
        d.recv_begin = 0;
        d.recv_end = pending;
      }
      if (needed > d.recv_buf.size()) d.recv_buf.resize(needed);  // bounded by max_length + 4
      std::size_t room = d.recv_buf.size() - d.recv_end;
      if (!d.down_quota.unlimited()) {
        room = co_await download_quota(d, room);
        if (d.closed) co_return;
      }
      auto [ec, n] = co_await d.socket.async_read_some(
          asio::buffer(d.recv_buf.data() + d.recv_end, room), use_tuple);
      if (d.closed) co_return;
      if (ec) {
        d.close(ec);
        co_return;
      }
      d.recv_end += n;
      d.last_receive = clock_type::now();
    }
  }

  static awaitable<void> write_loop(std::shared_ptr<peer_connection> self) {
    impl& d = *self->impl_;
    while (!d.closed) {
      if (d.send_buf.empty()) {
        d.writer_waiting = true;
        d.write_signal.expires_at(clock_type::time_point::max());
        co_await d.write_signal.async_wait(use_tuple);
        d.writer_waiting = false;
        continue;
      }
      // Swap, so messages queued while this write is in flight go to the other buffer; both
      // keep their capacity, so the steady state allocates nothing.
      std::swap(d.send_buf, d.write_buf);
      d.send_buf.clear();
      boost::system::error_code ec;
      if (d.up_quota.unlimited()) {
        std::tie(ec, std::ignore) = co_await asio::async_write(d.socket, asio::buffer(d.write_buf), use_tuple);
      } else {
        ec = co_await write_limited(d);
      }
      if (d.closed) co_return;
      if (ec) {
        d.close(ec);
        co_return;
      }
      d.write_buf.clear();
      d.last_send = clock_type::now();
      d.pump_uploads();  // the backlog shrank: start more disk reads
    }
  }

  /// Limited download: waits until the socket has bytes, then for download quota for them.
  /// Returns how many bytes the next read may take (1..room); `room` when the socket reports an
  /// error or end of stream (the read then reports it). Asking only for bytes that arrived keeps
  /// idle connections from holding quota that busy ones need.
  static awaitable<std::size_t> download_quota(impl& d, std::size_t room) {
    auto [wec] = co_await d.socket.async_wait(tcp::socket::wait_read, use_tuple);
    if (d.closed || wec) co_return room;
    boost::system::error_code aec;
    const std::size_t ready = d.socket.available(aec);
    if (aec || ready == 0) co_return room;
    const auto granted = co_await d.down_quota.acquire(static_cast<std::int64_t>(std::min(room, ready)));
    co_return static_cast<std::size_t>(granted);
  }

  /// Limited upload: writes write_buf in pieces of the upload quota granted. The error of the
  /// write, or none (also when the connection closed meanwhile: the caller checks).
  static awaitable<boost::system::error_code> write_limited(impl& d) {
    std::size_t done = 0;
    while (done < d.write_buf.size()) {
      const auto granted = co_await d.up_quota.acquire(static_cast<std::int64_t>(d.write_buf.size() - done));
      if (d.closed || granted <= 0) co_return boost::system::error_code{};
      auto [ec, n] = co_await asio::async_write(
          d.socket, asio::buffer(d.write_buf.data() + done, static_cast<std::size_t>(granted)), use_tuple);
      if (ec || d.closed) co_return ec;
      done += n;
    }
    co_return boost::system::error_code{};
  }

  void apply_tos() {
    if (const auto ec = set_traffic_class(socket, settings.tos)) {
      spdlog::warn("peer {}: cannot set TOS {:#x}: {}", label, settings.tos, ec.message());
    }
  }

  static awaitable<void> tick_loop(std::shared_ptr<peer_connection> self) {
    impl& d = *self->impl_;
    while (!d.closed) {
      d.tick_timer.expires_after(tick_interval);
      co_await d.tick_timer.async_wait(use_tuple);
      if (d.closed) co_return;
      d.on_tick(clock_type::now());
    }
  }

  void on_tick(clock_type::time_point now) {
    if (now - last_receive >= settings.inactivity_timeout) {
      close(peer_errc::inactivity);
      return;
    }
    if (am_interested || peer_interested) {
      last_interest = now;
    } else if (now - last_interest >= settings.idle_timeout) {
      close(peer_errc::idle);
      return;
    }
    if (detail::is_snubbed(last_progress, now, settings.snub_timeout, static_cast<int>(outstanding.size()))) {
      spdlog::debug("peer {}: snubbed, returning {} requests", label, outstanding.size());
      snubbed = true;
      // Give the blocks to other peers; tell this one not to bother (what it still sends is
      // then unrequested and dropped).
      while (!outstanding.empty()) {
        const auto r = outstanding.front();
        outstanding.pop_front();
        wire::write_cancel(send_buf, {r.block.piece, r.begin, r.length});
        host.on_request_aborted(owner, r.block);
        if (closed) return;
      }
      wake_writer();
      request_more();  // snubbed: depth 1
      if (closed) return;
    }
    if (send_buf.empty() && !writer_busy() && now - last_send >= settings.keep_alive_interval) {
      wire::write_keep_alive(send_buf);
      wake_writer();
    }
  }

  bool writer_busy() const { return !write_buf.empty(); }

  // --- messages ---

  void on_message(const wire::keep_alive&) {}

  void on_message(const wire::choke&) {
    peer_choking = true;
    // BEP 3: a choking peer discards our requests; they go back to the picker.
    while (!outstanding.empty()) {
      const auto r = outstanding.front();
      outstanding.pop_front();
      host.on_request_aborted(owner, r.block);
      if (closed) return;
    }
  }

  void on_message(const wire::unchoke&) {
    peer_choking = false;
    request_more();
  }

  void on_message(const wire::interested&) {
    if (peer_interested) return;
    peer_interested = true;
    host.on_peer_interest(owner, true);
  }
  void on_message(const wire::not_interested&) {
    if (!peer_interested) return;
    peer_interested = false;
    host.on_peer_interest(owner, false);
  }

  void ensure_pieces_sized() {
    if (pieces_known) return;
    pieces.resize(num_pieces());
    pieces_known = true;
  }

  void on_message(const wire::have& m) {
    if (!host.has_metadata()) {
      if (pending_haves.size() < max_pending_haves) pending_haves.push_back(m.piece.value);
      return;
    }
    const int p = m.piece.value;
    if (p < 0 || p >= num_pieces()) {
      close(peer_errc::have_out_of_range);
      return;
    }
    ensure_pieces_sized();
    if (pieces.get(p)) return;
    pieces.set(p);
    ++pieces_count;
    host.on_peer_have(owner, m.piece);
    if (closed || am_interested) return;
    // A piece we already have cannot make the peer interesting: skip the full check.
    const auto& ours = host.our_pieces();
    if (p < ours.size() && ours.get(p)) return;
    update_interest();
  }

  void on_message(const wire::bitfield& m) {
    // BEP 3 wants it as the first message only. In practice aria2 may send `have`s (for pieces
    // it completed while our handshake was in flight) before its bitfield, and libtorrent accepts
    // that, so a later bitfield replaces the set when it keeps every piece already known; one
    // that drops a known piece makes the set ambiguous and closes the connection.
    if (!host.has_metadata()) {
      pending_bitfield.emplace(m.bits.begin(), m.bits.end());
      pending_haves.clear();  // the bitfield is the whole set; later haves add to it
      return;
    }
    if (!pieces_known) {
      if (!pieces.assign(m.bits, num_pieces())) {
        close(peer_errc::bad_bitfield);
        return;
      }
      pieces_known = true;
      pieces_count = pieces.count();
      host.on_peer_has(owner, pieces);
    } else {
      bitfield next;
      if (!next.assign(m.bits, num_pieces())) {
        close(peer_errc::bad_bitfield);
        return;
      }
      for (int i = 0; i < pieces.size(); ++i) {
        if (pieces.get(i) && !next.get(i)) {
          close(peer_errc::unexpected_bitfield);
          return;
        }
      }
      spdlog::debug("peer {}: bitfield after {} known pieces: replacing the set", label, pieces_count);
      host.on_peer_has(owner, next);  // the host still sees the old set through pieces()
      if (closed) return;
      pieces = std::move(next);
      pieces_count = pieces.count();
    }
    if (closed) return;
    update_interest();
  }

  /// Fields a request/cancel may carry: inside the torrent, inside the piece, 1..16 KiB (BEP 3:
  /// implementations close connections asking for more than 2^14 bytes).
  bool valid_block_range(piece_index piece, std::int32_t begin, std::int32_t length) const {
    if (piece.value < 0 || piece.value >= num_pieces()) return false;
    if (begin < 0 || length <= 0 || length > block_size) return false;
    return std::int64_t{begin} + length <= host.info().piece_size(piece);
  }

  void on_message(const wire::request& m) {
    if (!host.has_metadata()) return;  // we have no pieces to serve yet
    if (!valid_block_range(m.piece, m.begin, m.length)) {
      close(peer_errc::bad_request);
      return;
    }
    // Sent before our choke reached the peer, or a peer ignoring it: BEP 3 says choked requests
    // are discarded; without BEP 6 there is no reject to send.
    if (am_choking) return;
    const auto& ours = host.our_pieces();
    if (m.piece.value >= ours.size() || !ours.get(m.piece.value)) {
      spdlog::debug("peer {}: request for piece {} we do not have", label, m.piece.value);
      if (++invalid_requests > settings.max_invalid_requests) close(peer_errc::invalid_requests);
      return;
    }
    const auto same = [&](const upload_request& r) {
      return r.piece == m.piece && r.begin == m.begin && r.length == m.length;
    };
    if (std::find_if(upload_queue.begin(), upload_queue.end(), same) != upload_queue.end()) return;
    if (static_cast<int>(upload_queue.size()) >= settings.max_queued_requests) {
      close(peer_errc::too_many_requests);
      return;
    }
    upload_queue.push_back({next_upload_id++, m.piece, m.begin, m.length, false});
    pump_uploads();
  }

  void on_message(const wire::cancel& m) {
    if (!host.has_metadata()) return;
    if (!valid_block_range(m.piece, m.begin, m.length)) {
      close(peer_errc::bad_request);
      return;
    }
    // A request whose read is in flight is dropped too: the read's result finds no entry.
    const auto it = std::find_if(upload_queue.begin(), upload_queue.end(), [&](const upload_request& r) {
      return r.piece == m.piece && r.begin == m.begin && r.length == m.length;
    });
    if (it != upload_queue.end()) upload_queue.erase(it);
  }

  // --- upload side ---

  /// Starts disk reads for queued requests, within the read-ahead and send-backlog bounds.
  void pump_uploads() {
    if (closed || am_choking) return;
    for (auto& r : upload_queue) {
      if (reads_in_flight >= settings.max_reads_in_flight) return;
      if (send_buf.size() + write_buf.size() >= settings.max_send_backlog) return;
      if (r.reading) continue;
      r.reading = true;
      ++reads_in_flight;
      host.read_block(r.piece, r.begin, r.length,
                      [weak = owner.weak_from_this(), id = r.id](std::error_code ec,
                                                                 std::span<const std::uint8_t> data) {
                        auto self = weak.lock();
                        if (!self) return;
                        self->impl_->on_read_done(id, ec, data);
                      });
      if (closed) return;
    }
  }

  void on_read_done(std::uint64_t id, std::error_code ec, std::span<const std::uint8_t> data) {
    --reads_in_flight;
    if (closed) return;
    const auto it = std::find_if(upload_queue.begin(), upload_queue.end(),
                                 [id](const upload_request& r) { return r.id == id; });
    if (it == upload_queue.end()) {  // cancelled, or dropped by a choke, while it was read
      pump_uploads();
      return;
    }
    if (!ec && data.size() != static_cast<std::size_t>(it->length)) {
      ec = std::make_error_code(std::errc::io_error);
    }
    if (ec) {
      spdlog::warn("peer {}: reading piece {} for upload failed: {}", label, it->piece.value, ec.message());
      close(ec);
      return;
    }
    wire::write_piece_header(send_buf, it->piece, it->begin, it->length);
    send_buf.insert(send_buf.end(), data.begin(), data.end());
    uploaded += it->length;
    up.add(it->length, clock_type::now());
    upload_queue.erase(it);
    wake_writer();
    pump_uploads();
  }

  void set_choking(bool choke) {
    if (closed || !handshake_done || am_choking == choke) return;
    am_choking = choke;
    if (choke) {
      wire::write_choke(send_buf);
      upload_queue.clear();  // reads in flight find no entry and are discarded
    } else {
      wire::write_unchoke(send_buf);
    }
    wake_writer();
  }

  void on_message(const wire::piece& m) {
    const auto length = static_cast<std::int64_t>(m.data.size());
    const auto it = std::find_if(outstanding.begin(), outstanding.end(), [&](const auto& r) {
      return r.block.piece == m.piece && r.begin == m.begin && r.length == length;
    });
    if (it == outstanding.end()) {
      // Like libtorrent: not a reason to disconnect. This is the normal fate of blocks that
      // were in flight when the peer choked us or we cancelled/snubbed, so it is only counted.
      wasted += length;
      spdlog::debug("peer {}: unrequested block piece {} begin {} length {}", label, m.piece.value,
                    m.begin, length);
      return;
    }
    const block_address b = it->block;
    outstanding.erase(it);
    const auto now = clock_type::now();
    downloaded += length;
    down.add(length, now);
    last_progress = now;
    snubbed = false;
    host.on_block(owner, b, m.data);
    pipeline_dirty = true;
  }

  void on_message(const wire::port& m) {
    if (m.port != 0) host.on_peer_dht_port(owner, m.port);
  }
  // --- extension protocol (BEP 10) ---

  void write_extension_handshake() {
    extension_handshake h;
    h.ut_metadata = our_ut_metadata_id;
    if (host.pex_enabled()) h.ut_pex = our_ut_pex_id;
    h.client = settings.client_version;
    if (host.listen_port() != 0) h.listen_port = host.listen_port();
    h.reqq = settings.max_queued_requests;
    const auto md = host.metadata();
    if (!md.empty()) h.metadata_size = static_cast<std::int64_t>(md.size());
    h.yourip = to_peer_endpoint(remote);
    h.yourip->port = 0;
    h.upload_only = false;
    const std::string payload = make_extension_handshake(h);
    wire::write_extended(send_buf, extended_handshake_id, as_bytes(payload));
    wake_writer();
  }

  void write_extended_to_peer(std::uint8_t peer_id_for_it, std::string_view payload) {
    wire::write_extended(send_buf, peer_id_for_it, as_bytes(payload));
    wake_writer();
  }

  void on_message(const wire::extended& m) {
    if (!peer_ext) return;  // the peer did not announce BEP 10: ignore, as BEP 10 asks
    const std::string_view payload(reinterpret_cast<const char*>(m.payload.data()), m.payload.size());
    if (m.id == extended_handshake_id) {
      auto h = parse_extension_handshake(payload);
      if (!h) {
        spdlog::debug("peer {}: bad extended handshake: {}", label, h.error().message());
        return;  // BEP 10: a peer may send a handshake we cannot use; it just gets no extensions
      }
      // A later handshake updates the earlier one (BEP 10 allows sending it again).
      peer_extensions = std::move(*h);
      host.on_extension_handshake(owner, *peer_extensions);
      if (closed) return;
      request_more();  // reqq may have changed the pipeline bound
      return;
    }
    if (m.id == our_ut_metadata_id) {
      on_metadata_payload(payload);
    } else if (m.id == our_ut_pex_id && host.pex_enabled()) {
      if (pex_messages.add(clock_type::now()) > settings.max_pex_per_minute) {
        close(peer_errc::pex_flood);
        return;
      }
      auto msg = parse_pex_message(payload);
      if (!msg) {
        close(msg.error());
        return;
      }
      host.on_pex(owner, *msg);
    }
    // Any other id is one we never assigned: ignored.
  }

  void on_metadata_payload(std::string_view payload) {
    auto msg = parse_metadata_message(payload);
    if (!msg) {
      close(msg.error());
      return;
    }
    if (msg->type != metadata_msg_type::request) {
      host.on_metadata_message(owner, *msg);
      return;
    }
    if (!peer_extensions || peer_extensions->ut_metadata == 0) return;  // cannot answer
    const std::uint8_t reply_id = peer_extensions->ut_metadata;
    const auto md = host.metadata();
    const std::int32_t count = metadata_piece_count(static_cast<std::int64_t>(md.size()));
    if (md.empty() || msg->piece >= count ||
        metadata_requests.add(clock_type::now()) > settings.max_metadata_requests_per_minute) {
      write_extended_to_peer(reply_id, make_metadata_reject(msg->piece));
      return;
    }
    const auto begin = static_cast<std::size_t>(msg->piece) * static_cast<std::size_t>(metadata_piece_size);
    const auto piece = md.substr(begin, static_cast<std::size_t>(metadata_piece_size));
    write_extended_to_peer(reply_id, make_metadata_data(msg->piece, static_cast<std::int64_t>(md.size()), piece));
  }

  void metadata_ready() {
    if (closed || !handshake_done) return;
    const auto& ours = host.our_pieces();
    if (ours.size() == num_pieces() && !ours.none()) {
      wire::write_bitfield(send_buf, ours.bytes());
      wake_writer();
    }
    auto bits = std::move(pending_bitfield);
    auto haves = std::move(pending_haves);
    pending_bitfield.reset();
    pending_haves.clear();
    if (bits) {
      on_message(wire::bitfield{std::span<const std::uint8_t>(*bits)});
      if (closed) return;
    }
    for (const std::int32_t p : haves) {
      on_message(wire::have{piece_index{p}});
      if (closed) return;
    }
    update_interest();
  }
  void on_message(const wire::unknown&) {}

  // --- request pipeline ---

  void request_more() {
    if (closed || !handshake_done || peer_choking || !am_interested) return;
    const auto now = clock_type::now();
    int depth = snubbed ? 1
                        : request_queue_depth(down.rate(now), settings.request_queue_time,
                                              settings.min_request_depth, settings.max_request_depth);
    // The peer's `reqq` (BEP 10): it drops requests beyond its queue.
    if (peer_extensions && peer_extensions->reqq) depth = std::min(depth, *peer_extensions->reqq);
    const int room = depth - static_cast<int>(outstanding.size());
    if (room <= 0) return;
    picked.clear();
    host.pick_blocks(owner, room, picked);
    if (closed) return;
    const int n = num_pieces();
    int sent = 0;
    for (std::size_t i = 0; i < picked.size(); ++i) {
      const block_address b = picked[i];
      if (sent >= room) {  // the host handed out more than asked: give the extra back
        host.on_request_aborted(owner, b);
        if (closed) return;
        continue;
      }
      if (b.piece.value < 0 || b.piece.value >= n || b.block.value < 0) continue;
      const std::int32_t piece_size = host.info().piece_size(b.piece);
      const std::int64_t begin = std::int64_t{b.block.value} * block_size;
      if (begin >= piece_size) continue;
      const auto length = static_cast<std::int32_t>(std::min<std::int64_t>(block_size, piece_size - begin));
      if (outstanding.empty()) last_progress = now;
      outstanding.push_back({b, static_cast<std::int32_t>(begin), length});
      wire::write_request(send_buf, {b.piece, static_cast<std::int32_t>(begin), length});
      ++sent;
    }
    if (sent > 0) wake_writer();
  }

  void update_interest() {
    if (closed || !handshake_done) return;
    const bool want = pieces_known && pieces_count > 0 && host.is_interesting(pieces);
    if (closed) return;
    if (want != am_interested) {
      am_interested = want;
      if (want) {
        wire::write_interested(send_buf);
      } else {
        wire::write_not_interested(send_buf);
      }
      wake_writer();
    }
    request_more();
  }
};

peer_connection::peer_connection(asio::any_io_executor ex, peer_host& host, peer_key key,
                                 sha1_hash info_hash, tcp::endpoint remote,
                                 peer_connection_settings settings)
    : impl_(std::make_unique<impl>(*this, std::move(ex), host, key, info_hash, std::move(remote),
                                   settings)) {}

// The coroutines own the connection, so by the time it is destroyed they are gone; the host is
// not called from here (a connection destroyed without being closed was never started, or its
// io_context was torn down).
peer_connection::~peer_connection() = default;

void peer_connection::start_outgoing() {
  if (impl_->started || impl_->closed) return;
  impl_->started = true;
  auto self = shared_from_this();
  asio::co_spawn(impl_->socket.get_executor(), impl::run_outgoing(self), impl::completion());
}

bool peer_connection::adopt_incoming(tcp::socket socket) {
  if (impl_->started || impl_->closed) return false;
  impl_->started = true;
  impl_->incoming = true;
  impl_->socket = std::move(socket);
  boost::system::error_code ignored;
  impl_->socket.set_option(tcp::no_delay(true), ignored);
  if (impl_->settings.tos != 0) impl_->apply_tos();
  return true;
}

void peer_connection::start_incoming(tcp::socket socket) {
  if (!adopt_incoming(std::move(socket))) return;
  asio::co_spawn(impl_->socket.get_executor(), impl::run_incoming(shared_from_this()),
                 impl::completion());
}

void peer_connection::start_incoming(tcp::socket socket, const wire::handshake& h) {
  if (!adopt_incoming(std::move(socket))) return;
  asio::co_spawn(impl_->socket.get_executor(), impl::run_incoming_known(shared_from_this(), h),
                 impl::completion());
}

void peer_connection::close(std::error_code reason) { impl_->close(reason); }
bool peer_connection::is_closed() const { return impl_->closed; }

void peer_connection::send_have(piece_index p) {
  auto& d = *impl_;
  if (d.closed || !d.handshake_done) return;  // before that, our bitfield will carry it
  if (p.value < 0 || p.value >= d.num_pieces()) return;
  if (d.pieces_known && d.pieces[p]) return;
  wire::write_have(d.send_buf, p);
  d.wake_writer();
}

void peer_connection::cancel_request(block_address b) {
  auto& d = *impl_;
  if (d.closed) return;
  const auto it = std::find_if(d.outstanding.begin(), d.outstanding.end(),
                               [&](const auto& r) { return r.block == b; });
  if (it == d.outstanding.end()) return;
  wire::write_cancel(d.send_buf, {b.piece, it->begin, it->length});
  d.outstanding.erase(it);
  d.wake_writer();
}

void peer_connection::update_interest() { impl_->update_interest(); }
void peer_connection::metadata_ready() { impl_->metadata_ready(); }

bool peer_connection::send_metadata_request(std::int32_t piece) {
  auto& d = *impl_;
  if (d.closed || !d.peer_extensions || d.peer_extensions->ut_metadata == 0) return false;
  d.write_extended_to_peer(d.peer_extensions->ut_metadata, make_metadata_request(piece));
  return true;
}

bool peer_connection::send_pex(const pex_message& m) {
  auto& d = *impl_;
  if (d.closed || !d.host.pex_enabled() || !d.peer_extensions || d.peer_extensions->ut_pex == 0) {
    return false;
  }
  d.write_extended_to_peer(d.peer_extensions->ut_pex, make_pex_message(m));
  return true;
}

const std::optional<extension_handshake>& peer_connection::peer_extensions() const {
  return impl_->peer_extensions;
}

std::optional<tcp::endpoint> peer_connection::listen_endpoint() const {
  const auto& d = *impl_;
  if (!d.incoming) return d.remote;
  if (d.peer_extensions && d.peer_extensions->listen_port) {
    return tcp::endpoint(d.remote.address(), *d.peer_extensions->listen_port);
  }
  return std::nullopt;
}
void peer_connection::request_more() { impl_->request_more(); }
void peer_connection::choke() { impl_->set_choking(true); }
void peer_connection::unchoke() { impl_->set_choking(false); }

peer_key peer_connection::key() const { return impl_->key; }
const tcp::endpoint& peer_connection::remote() const { return impl_->remote; }
const bitfield& peer_connection::pieces() const { return impl_->pieces; }
bool peer_connection::is_seed() const {
  return impl_->pieces_known && impl_->pieces_count == impl_->pieces.size();
}
bool peer_connection::handshake_done() const { return impl_->handshake_done; }
const peer_id& peer_connection::remote_peer_id() const { return impl_->remote_id; }
std::string peer_connection::client_name() const { return client_name_from_peer_id(impl_->remote_id); }
bool peer_connection::peer_choking() const { return impl_->peer_choking; }
bool peer_connection::am_interested() const { return impl_->am_interested; }
bool peer_connection::is_snubbed() const { return impl_->snubbed; }
bool peer_connection::am_choking() const { return impl_->am_choking; }
bool peer_connection::peer_interested() const { return impl_->peer_interested; }
clock_type::time_point peer_connection::connected_at() const { return impl_->connected_at; }
bool peer_connection::is_incoming() const { return impl_->incoming; }
tcp::endpoint peer_connection::local_endpoint() const {
  boost::system::error_code ec;
  auto ep = impl_->socket.local_endpoint(ec);
  return ec ? tcp::endpoint{} : ep;
}

peer_connection_stats peer_connection::stats() const {
  const auto now = clock_type::now();
  peer_connection_stats s;
  s.downloaded = impl_->downloaded;
  s.uploaded = impl_->uploaded;
  s.download_rate = impl_->down.rate(now);
  s.upload_rate = impl_->up.rate(now);
  s.outstanding_requests = static_cast<int>(impl_->outstanding.size());
  s.wasted = impl_->wasted;
  s.queued_uploads = static_cast<int>(impl_->upload_queue.size());
  return s;
}

}  // namespace tessera::detail
