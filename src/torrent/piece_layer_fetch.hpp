// Which BEP 52 `hash request`s fetch the piece layers a v2 magnet lacks (its info dictionary has
// only each file's `pieces root`; the `piece layers` live outside it, BEP 52 "Metadata"), and
// which peer asks for which. Each file larger than one piece needs its layer: requests of at most
// 512 piece-layer hashes (BEP 52: length SHOULD NOT exceed 512), each with the proof layers up to
// the file's root, so that every reply is verified against the pieces root alone. A request that
// fails (rejected, timed out, the peer left, a reply that did not verify) goes to another peer.
// Pure bookkeeping: the torrent sends, verifies (verify_hashes) and adds to its v2_hash_store.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/hash_messages.hpp"
#include "core/piece_picker.hpp"
#include "core/v2_hash_store.hpp"

namespace tessera::detail {

/// The piece-layer requests of one torrent. Network thread only.
class piece_layer_fetch {
 public:
  /// BEP 52's bound on one request's length.
  static constexpr std::int32_t default_max_hashes = 512;
  /// Requests one peer is asked at once.
  static constexpr int default_per_peer = 4;

  /// One request per run of at most `max_hashes` (a power of two >= 2) piece-layer nodes of
  /// every distinct pieces root in `store` whose layer is not complete.
  explicit piece_layer_fetch(const v2_hash_store& store, std::int32_t max_hashes = default_max_hashes,
                             int per_peer = default_per_peer);

  /// True when every request was answered (also when there was none to make).
  bool done() const { return remaining_ == 0; }
  /// Requests not answered yet.
  int remaining() const { return remaining_; }
  /// The next request for `peer`: one neither answered, nor in flight, nor failed by this peer
  /// before (unless forgive() ran since); marked in flight to it. nullopt when there is none or
  /// the peer has per_peer in flight.
  std::optional<hash_request> next(peer_key peer);
  /// The reply to `r` was verified and added: done.
  void on_answered(const hash_request& r);
  /// `r` to `peer` failed (reject, timeout, close, bad reply): another peer will be asked.
  void on_failed(const hash_request& r, peer_key peer);
  /// `peer` is gone: its requests in flight become free (as on_failed).
  void peer_gone(peer_key peer);
  /// Forgets which peers failed which request (every peer may be asked again): the torrent calls
  /// it now and then, so that a peer that could not answer before (it had no layers yet) can.
  void forgive();
  /// Every request, for tests.
  std::vector<hash_request> all_requests() const;

 private:
  struct item {
    hash_request request;
    bool answered = false;
    std::optional<peer_key> in_flight;
    std::vector<peer_key> failed_by;
  };
  item* find(const hash_request& r);
  int in_flight_to(peer_key peer) const;

  std::vector<item> items_;
  int per_peer_;
  int remaining_ = 0;
};

/// The requests that fetch the piece layer of a file of `num_blocks` 16 KiB blocks and
/// `num_pieces` pieces (>= 2) whose piece layer is layer `piece_layer` of its tree: runs of
/// min(max_hashes, layer width) nodes from index 0, proof layers up to just below the root.
std::vector<hash_request> piece_layer_requests(const sha256_hash& root, std::int64_t num_blocks,
                                               std::int32_t num_pieces, int piece_layer,
                                               std::int32_t max_hashes);

}  // namespace tessera::detail
