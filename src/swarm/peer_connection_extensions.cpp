// The extension protocol side of peer_connection (BEP 10): our extended handshake, ut_metadata
// requests served from the host's metadata (BEP 9), ut_pex (BEP 11), and the magnet phase, in
// which the peer's bitfield and haves are kept (bounded by what its metadata_size allows) until
// the metadata arrives.
#include <algorithm>
#include <string>

#include <spdlog/spdlog.h>

#include "swarm/endpoint_conversion.hpp"
#include "swarm/peer_connection_impl.hpp"
#include "swarm/peer_error.hpp"

namespace tessera::detail {

namespace {

using clock_type = std::chrono::steady_clock;
using boost::asio::ip::tcp;

/// Extended message ids we ask peers to use for messages to us (BEP 10 `m`); the same numbers as
/// libtorrent, which helps when reading captures.
constexpr std::uint8_t our_ut_pex_id = 1;
constexpr std::uint8_t our_ut_metadata_id = 2;
/// Haves kept while the torrent has no metadata; beyond this they are dropped (the bitfield,
/// kept whole, is what matters; a peer sending this many haves before metadata is odd).
constexpr std::size_t max_pending_haves = 1 << 16;
/// Bytes of one SHA-1 piece hash in the info dictionary's `pieces` (BEP 3).
constexpr std::int64_t sha1_hash_length = 20;

std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

void peer_connection::impl::write_extension_handshake() {
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
  wire::write_extended(sendq.queued(), extended_handshake_id, as_bytes(payload));
  queued();
}

void peer_connection::impl::write_extended_to_peer(std::uint8_t peer_id_for_it, std::string_view payload) {
  wire::write_extended(sendq.queued(), peer_id_for_it, as_bytes(payload));
  queued();
}

void peer_connection::impl::on_message(const wire::extended& m) {
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
    if (pending_bitfield && pending_bitfield->size() > pending_bitfield_limit()) {
      close(peer_errc::bad_bitfield);  // more pieces than its own metadata_size allows
      return;
    }
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

void peer_connection::impl::on_metadata_payload(std::string_view payload) {
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
  // Over the send backlog (the peer reads slower than it asks) a 16 KiB answer would only queue
  // up; the 31-byte reject still counts, so a peer that keeps asking without reading reaches the
  // hard limit and is closed.
  if (md.empty() || msg->piece >= count || send_backlog_full() ||
      metadata_requests.add(clock_type::now()) > settings.max_metadata_requests_per_minute) {
    write_extended_to_peer(reply_id, make_metadata_reject(msg->piece));
    return;
  }
  const auto begin = static_cast<std::size_t>(msg->piece) * static_cast<std::size_t>(metadata_piece_size);
  const auto piece = md.substr(begin, static_cast<std::size_t>(metadata_piece_size));
  write_extended_to_peer(reply_id, make_metadata_data(msg->piece, static_cast<std::int64_t>(md.size()), piece));
}

std::size_t peer_connection::impl::pending_bitfield_limit() const {
  std::int64_t size = max_metadata_size;
  if (peer_extensions && peer_extensions->metadata_size) size = *peer_extensions->metadata_size;
  std::int64_t max_pieces = (size + sha1_hash_length - 1) / sha1_hash_length;
  // A v2-only torrent (a magnet with only a btmh) has no `pieces` in its info dictionary: its
  // piece count follows from its file sizes, bounded by max_v2_pieces (BEP 52).
  if (!info_hash.has_v1()) max_pieces = std::max(max_pieces, max_v2_pieces);
  return static_cast<std::size_t>((max_pieces + 7) / 8);
}

void peer_connection::impl::keep_pending_bitfield(std::span<const std::uint8_t> bits) {
  if (bits.size() > pending_bitfield_limit()) {
    close(peer_errc::bad_bitfield);
    return;
  }
  pending_bitfield.emplace(bits.begin(), bits.end());
  pending_haves.clear();  // the bitfield is the whole set; later haves add to it
}

void peer_connection::impl::keep_pending_have(std::int32_t piece) {
  // Out of range for any torrent this peer could describe: checked again by metadata_ready().
  if (piece < 0 || static_cast<std::size_t>(piece) >= pending_bitfield_limit() * 8) {
    close(peer_errc::have_out_of_range);
    return;
  }
  if (pending_haves.size() < max_pending_haves) pending_haves.push_back(piece);
}

void peer_connection::impl::metadata_ready() {
  if (closed || !handshake_done) return;
  const auto& ours = host.our_pieces();
  if (ours.size() == num_pieces() && !ours.none()) {
    wire::write_bitfield(sendq.queued(), ours.bytes());
    queued();
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
  if (pending_have_all) {  // BEP 6: a have_all that came before the metadata
    pending_have_all = false;
    apply_have_all();
    if (closed) return;
  }
  send_allowed_fast_set();
  update_interest();
}

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

}  // namespace tessera::detail
