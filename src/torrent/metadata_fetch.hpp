// Which peer to ask for which piece of a magnet torrent's info dictionary (BEP 9), and the
// assembly of the answers. Pure policy: no I/O, time passed in; the torrent sends the requests
// and feeds the answers.
//
// Policy: one source peer at a time is asked for every missing piece (at most
// max_outstanding_per_peer at once), so a peer sending bad data is identified by the hash check
// and never asked again. A reject, a timeout or a disconnect moves the fetch to the next peer
// (pieces already received are kept when the sizes agree); a hash mismatch excludes every peer
// that contributed to the failed attempt and restarts from nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/piece_picker.hpp"
#include "core/ut_metadata.hpp"
#include "tessera/result.hpp"

namespace tessera::detail {

class metadata_fetch {
 public:
  using clock = std::chrono::steady_clock;

  struct request {
    peer_key peer = 0;
    std::int32_t piece = 0;
    bool operator==(const request&) const = default;
  };

  struct settings {
    /// A request not answered within this is given up and its peer is put aside.
    std::chrono::seconds request_timeout{20};
    /// A peer that rejected, timed out or disconnected mid-fetch is not asked again before this.
    std::chrono::seconds backoff{60};
    int max_outstanding_per_peer = 8;
  };

  /// The metadata is verified against every hash `info_hash` holds (metadata_assembler).
  explicit metadata_fetch(const info_hash_t& info_hash) : metadata_fetch(info_hash, settings{}) {}
  metadata_fetch(const info_hash_t& info_hash, settings s) : assembler_(info_hash), settings_(s) {}

  /// A peer offered ut_metadata and announced `metadata_size` bytes (BEP 9). Sizes outside
  /// 1..max_metadata_size are ignored. Calling it again updates the size.
  void add_peer(peer_key peer, std::int64_t metadata_size);
  /// The peer is gone: its outstanding requests are given up.
  void remove_peer(peer_key peer);

  /// The requests to send now (also gives up timed-out requests first).
  std::vector<request> next_requests(clock::time_point now);

  /// A `data` message from `peer`. Data for a piece not requested from that peer is ignored
  /// (returns nullopt). Returns the verified info dictionary bytes when this piece completed it.
  /// Errors: the assembler's extension_errc (hash_mismatch: the contributors are excluded).
  result<std::optional<std::string>> on_data(peer_key peer, const metadata_message& m,
                                             clock::time_point now);
  /// A `reject` from `peer` for `piece`: the peer is put aside for settings::backoff.
  void on_reject(peer_key peer, std::int32_t piece, clock::time_point now);

  /// Peers that sent metadata failing the hash check (never asked again).
  const std::set<peer_key>& excluded() const { return excluded_; }
  /// The source being fetched from, if any.
  std::optional<peer_key> source() const { return source_; }
  std::int32_t pieces_received() const { return assembler_.pieces_received(); }
  std::int32_t piece_count() const { return assembler_.piece_count(); }

 private:
  struct peer_state {
    std::int64_t size = 0;
    clock::time_point usable_after{};
  };
  struct outstanding {
    peer_key peer = 0;
    clock::time_point sent;
  };

  void put_aside(peer_key peer, clock::time_point now);
  void choose_source(clock::time_point now);
  int outstanding_of(peer_key peer) const;

  metadata_assembler assembler_;
  settings settings_;
  std::map<peer_key, peer_state> peers_;
  std::map<std::int32_t, outstanding> outstanding_;  // by metadata piece
  std::set<peer_key> contributors_;                  // peers whose data the assembler holds
  std::set<peer_key> excluded_;
  std::optional<peer_key> source_;
};

}  // namespace tessera::detail
