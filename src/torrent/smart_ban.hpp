// Smart ban: who sent the bad block of a piece that failed its hash check. A piece is assembled
// from 16 KiB blocks sent by several peers; when its SHA-1 does not match, any of them may have
// lied. Striking all of them lets a liar get honest seeds banned, so, as libtorrent's smart_ban
// plugin does, we keep the SHA-1 of every block each peer sent for the failed piece, and when the
// piece is downloaded again and passes, the peers whose block differs from the verified one are
// the liars. A peer that sends two different versions of the same block is a liar too (an honest
// peer sends the same bytes every time). Pure bookkeeping: the disk pool hashes the blocks
// (piece_write_result::block_hashes), the torrent bans.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "tessera/types.hpp"

namespace tessera::detail {

/// The block hashes kept per failed piece, bounded in number.
/// Single-threaded: used on the network thread only.
class smart_ban {
 public:
  using address = boost::asio::ip::address;

  /// Records (one per block and sender of a failed piece, about 64 bytes each) kept at most:
  /// 16,384 is ~1 MiB, every block of 4 failed 64 MiB pieces or of 256 failed 1 MiB pieces.
  /// Beyond it the records of the piece that failed longest ago go first: its liars are then
  /// caught only if they send a wrong block again.
  static constexpr std::size_t default_max_records = 16384;

  explicit smart_ban(std::size_t max_records = default_max_records) : max_records_(max_records) {}

  /// Piece `p` failed its hash check. `block_hashes[i]` is the SHA-1 of block i as received and
  /// `senders[i]` the address that sent it (nullopt when unknown); the shorter of the two spans
  /// bounds the blocks recorded. Returns the senders proven to lie by this failure alone: those
  /// that sent a block of `p` before (an earlier failure) with other bytes than now. Each sender
  /// appears once.
  std::vector<address> on_piece_failed(piece_index p, std::span<const sha1_hash> block_hashes,
                                        std::span<const std::optional<address>> senders);
  /// Piece `p` passed its hash check; `block_hashes` are those of its verified blocks. Returns
  /// the senders whose recorded block of `p` differs from the verified one (each once; a block
  /// index beyond `block_hashes` proves nothing) and forgets `p`.
  std::vector<address> on_piece_passed(piece_index p, std::span<const sha1_hash> block_hashes);
  /// True when blocks of `p` are recorded (the next pass of `p` needs its block hashes).
  bool has_records(piece_index p) const { return pieces_.count(p) != 0; }
  /// Forgets everything (e.g. after a recheck).
  void clear();

  std::size_t num_records() const { return num_records_; }
  std::size_t max_records() const { return max_records_; }

 private:
  struct record {
    address from;
    sha1_hash hash;
  };
  struct piece_records {
    std::vector<std::vector<record>> blocks;  // index = block; one record per sender
    std::size_t count = 0;                    // records in `blocks`
    std::uint64_t failed_at = 0;              // failure_count_ at its last failure: eviction order
  };
  /// Drops the records of the pieces that failed longest ago until at most max_records_ are kept.
  /// When `keep` alone is over the bound, its records from earlier failures go instead (only
  /// `latest`, this failure's, stay).
  void enforce_bound(piece_index keep, std::span<const sha1_hash> latest,
                     std::span<const std::optional<address>> senders);
  /// Records (block i, senders[i], latest[i]) in `pr` unless that sender's version is there.
  void record_blocks(piece_records& pr, std::span<const sha1_hash> latest,
                     std::span<const std::optional<address>> senders, std::vector<address>* liars);

  std::size_t max_records_;
  std::size_t num_records_ = 0;
  std::uint64_t failure_count_ = 0;
  std::map<piece_index, piece_records> pieces_;
};

}  // namespace tessera::detail
