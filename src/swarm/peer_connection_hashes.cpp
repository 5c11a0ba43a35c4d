// The BEP 52 side of peer_connection: `hash request` (21) from the peer handed to the host and
// answered with `hashes` (22) or `hash reject` (23), a bounded number at a time; our own requests
// tracked until their answer, a timeout or the close.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "swarm/peer_connection_impl.hpp"
#include "swarm/peer_error.hpp"

namespace tessera::detail {

namespace {

/// Timed-out requests remembered so that their late answers are dropped quietly.
constexpr std::size_t max_expired_hash_requests = 64;

}  // namespace

void peer_connection::impl::on_message(const wire::hash_request_msg& m) {
  const hash_request r = m.request;
  if (hash_requests_serving >= settings.max_hash_requests_served) {
    spdlog::debug("peer {}: hash request beyond {} being served: rejected", label, settings.max_hash_requests_served);
    write_hash_reject(sendq.queued(), r);
    queued();
    return;
  }
  ++hash_requests_serving;
  // The host may answer inside the call or later; the answer finds the connection by weak_ptr.
  host.on_hash_request(owner, r, [weak = owner.weak_from_this(), r](result<std::vector<sha256_hash>> hashes) {
    auto self = weak.lock();
    if (!self) return;
    auto& d = *self->impl_;
    --d.hash_requests_serving;
    if (d.closed) return;
    if (hashes && static_cast<std::int64_t>(hashes->size()) == r.length + uncle_count(r)) {
      spdlog::debug("peer {}: answering hash request layer {} index {} length {}", d.label, r.base_layer, r.index,
                    r.length);
      write_hashes(d.sendq.queued(), {r, std::move(*hashes)});
    } else {
      if (hashes) spdlog::warn("peer {}: host answered a hash request with {} hashes", d.label, hashes->size());
      spdlog::debug("peer {}: rejecting hash request layer {} index {} length {}: {}", d.label, r.base_layer, r.index,
                    r.length, hashes ? "wrong count" : hashes.error().message());
      write_hash_reject(d.sendq.queued(), r);
    }
    d.queued();
  });
}

bool peer_connection::impl::take_hash_answer(const hash_request& r, bool& late) {
  late = false;
  if (!hash_requests.on_hashes(r)) {
    const auto it = std::find_if(hash_sent.begin(), hash_sent.end(), [&](const auto& e) { return e.first == r; });
    if (it != hash_sent.end()) hash_sent.erase(it);
    return true;
  }
  if (const auto it = std::find(hash_expired.begin(), hash_expired.end(), r); it != hash_expired.end()) {
    hash_expired.erase(it);
    late = true;
    return true;
  }
  // BEP 52: a `hashes` or `hash reject` MUST correlate with a `hash request`.
  spdlog::debug("peer {}: hashes or hash reject for a range never asked", label);
  close(make_error_code(hash_errc::not_requested));
  return false;
}

void peer_connection::impl::on_message(const wire::hashes_msg& m) {
  bool late = false;
  if (!take_hash_answer(m.request, late) || late) return;
  auto decoded = decode_hashes(m.payload);
  if (!decoded) {  // the codec checked the length already; kept for a codec change
    close(decoded.error());
    return;
  }
  spdlog::debug("peer {}: hashes layer {} index {} length {}", label, m.request.base_layer, m.request.index,
                m.request.length);
  host.on_hashes(owner, *decoded);
}

void peer_connection::impl::on_message(const wire::hash_reject_msg& m) {
  bool late = false;
  if (!take_hash_answer(m.request, late) || late) return;
  host.on_hash_request_failed(owner, m.request, make_error_code(hash_errc::unavailable));
}

void peer_connection::impl::expire_hash_requests(clock_type::time_point now) {
  while (!hash_sent.empty() && now - hash_sent.front().second >= settings.hash_request_timeout) {
    const hash_request r = hash_sent.front().first;
    hash_sent.pop_front();
    (void)hash_requests.on_reject(r);
    hash_expired.push_back(r);
    if (hash_expired.size() > max_expired_hash_requests) hash_expired.pop_front();
    spdlog::debug("peer {}: hash request timed out", label);
    host.on_hash_request_failed(owner, r, make_error_code(peer_errc::timeout));
    if (closed) return;
  }
}

void peer_connection::impl::fail_hash_requests(std::error_code reason) {
  while (!hash_sent.empty()) {
    const hash_request r = hash_sent.front().first;
    hash_sent.pop_front();
    (void)hash_requests.on_reject(r);
    host.on_hash_request_failed(owner, r, reason);
  }
  hash_requests.clear();
}

bool peer_connection::send_hash_request(const hash_request& r) {
  auto& d = *impl_;
  if (d.closed || !d.handshake_done || !d.peer_v2) return false;
  if (!d.hash_requests.add(r)) return false;
  d.hash_sent.emplace_back(r, std::chrono::steady_clock::now());
  // An answer to a request sent again is no longer late.
  std::erase(d.hash_expired, r);
  spdlog::debug("peer {}: hash request layer {} index {} length {} proof layers {}", d.label, r.base_layer, r.index,
                r.length, r.proof_layers);
  write_hash_request(d.sendq.queued(), r);
  d.queued();
  return true;
}

int peer_connection::outstanding_hash_requests() const { return static_cast<int>(impl_->hash_requests.size()); }

bool peer_connection::supports_v2() const { return impl_->peer_v2; }

}  // namespace tessera::detail
