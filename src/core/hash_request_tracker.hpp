// The BEP 52 hash requests sent to one peer and not yet answered: a `hashes` or `hash reject`
// must answer one of them ("This message MUST correlate with a 'hash request'"), anything else is
// refused. Pure.
#pragma once

#include <cstddef>
#include <system_error>
#include <vector>

#include "core/hash_messages.hpp"

namespace tessera::detail {

/// Outstanding hash requests of one peer connection, in the order they were sent. Bounded:
/// at most `max_outstanding`. Not thread-safe (the connection's thread).
class hash_request_tracker {
 public:
  /// Default bound: libtorrent keeps a handful in flight per peer; 64 is far above that.
  explicit hash_request_tracker(std::size_t max_outstanding = 64) : max_(max_outstanding) {}

  /// Records a request about to be sent. False (nothing recorded: do not send it) when the same
  /// request is already outstanding or max_outstanding are.
  bool add(const hash_request& r);
  /// A `hashes` message arrived with header `r`: removes the request it answers (the same
  /// pieces root, base layer, index, length and proof layers). hash_errc::not_requested when
  /// none matches: the peer sent what was never asked.
  std::error_code on_hashes(const hash_request& r) { return take(r); }
  /// A `hash reject` arrived: as on_hashes.
  std::error_code on_reject(const hash_request& r) { return take(r); }

  bool outstanding(const hash_request& r) const;   ///< whether `r` awaits an answer
  std::size_t size() const { return pending_.size(); }  ///< requests awaiting an answer
  const std::vector<hash_request>& pending() const { return pending_; }  ///< oldest first
  void clear() { pending_.clear(); }  ///< forgets all (the connection closed)

 private:
  std::error_code take(const hash_request& r);

  std::size_t max_;
  std::vector<hash_request> pending_;
};

}  // namespace tessera::detail
