// The BEP 52 hashes of one torrent as known so far: each v2 file's place in the torrent's pieces,
// its `pieces root`, its piece layer (from the .torrent's `piece layers`, from resume data, or
// received from peers in `hashes` replies, possibly a range at a time), and the block hashes of
// pieces received for per-block blame. What a piece is verified against comes from here, and so
// does what a seeder answers `hash request`s from. Pure.
//
// Files with the same content have the same pieces root and share one layer: hashes added for a
// root serve every file that has it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <system_error>
#include <utility>
#include <vector>

#include "core/hash_messages.hpp"
#include "core/merkle.hpp"
#include "core/piece_verify.hpp"
#include "tessera/torrent_info.hpp"
#include "tessera/types.hpp"

namespace tessera::detail {

/// What one v2 piece is verified against: the merkle target, and how many of the piece's bytes
/// are the file's (BEP 52 hashes a file's bytes only). The rest of the piece, up to
/// torrent_info::piece_size, is padding (a BEP 47 pad file in a hybrid, the v2 layout's gap in
/// a v2-only torrent): zeros, not hashed by v2. A value; any thread.
struct v2_piece_check {
  v2_piece_target target;
  std::int32_t file_bytes = 0;  ///< 1..piece_length: the file's bytes at the start of the piece
};

/// One non-empty file of a v2 or hybrid torrent, as the store sees it.
struct v2_file_place {
  file_index file;               ///< index in torrent_info::files
  sha256_hash pieces_root;       ///< BEP 52 `pieces root` (never zero here)
  std::int64_t size = 0;         ///< bytes (> 0)
  piece_index first_piece;       ///< torrent-wide index of the file's first piece
  std::int32_t num_pieces = 0;   ///< ceil(size / piece_length)
  std::int64_t num_blocks = 0;   ///< ceil(size / 16 KiB): leaves of the file's merkle tree
};

/// The piece layer of one pieces root as known so far. Entries whose `known` bit is false are
/// zero. A file of one piece needs no layer: `hashes` is empty and the layer counts as complete.
struct v2_layer_state {
  std::vector<sha256_hash> hashes;  ///< one per piece of the file, or empty (one-piece file)
  std::vector<bool> known;          ///< parallel to hashes
  std::int64_t known_count = 0;     ///< set bits of `known`
  bool from_torrent = false;        ///< complete from the .torrent's `piece layers`
  bool complete() const { return known_count == static_cast<std::int64_t>(hashes.size()); }
};

/// An immutable copy of the targets of every v2 piece, for the disk pool (the start-up check):
/// complete layers are shared with the store, not copied. Any thread.
class v2_piece_targets {
 public:
  /// The check of piece `p`: nullopt when `p` is in no v2 file (or out of range) or its
  /// piece-layer entry is not known yet.
  std::optional<v2_piece_check> check(piece_index p) const;

 private:
  friend class v2_hash_store;
  std::int64_t piece_length_ = 0;
  std::vector<v2_file_place> files_;                            // by first_piece
  std::vector<std::size_t> root_of_file_;                       // parallel to files_: index in layers_
  std::vector<std::shared_ptr<const v2_layer_state>> layers_;   // per distinct root
};

/// The BEP 52 hash state of one torrent. Not thread-safe: the torrent's network thread only
/// (the disk pool gets values: piece_check(), snapshot()).
class v2_hash_store {
 public:
  /// A store with no files (a v1 torrent, or a magnet before its metadata).
  v2_hash_store() = default;
  /// Every file of `ti` with a pieces root (none for a v1 torrent), with the layers of
  /// ti.piece_layers (validated by the parser) as complete and from_torrent. Files of one piece
  /// are complete at once (their target is the pieces root).
  explicit v2_hash_store(const torrent_info& ti);

  /// True when the torrent has v2 files (v2-only or hybrid).
  bool has_v2() const { return !files_.empty(); }
  /// The v2 files, in torrent order (by first piece).
  std::span<const v2_file_place> files() const { return files_; }
  /// The v2 file piece `p` belongs to; null when none (out of range, or a v1 torrent).
  const v2_file_place* file_of_piece(piece_index p) const;
  /// The first v2 file whose pieces root is `root`; null when none.
  const v2_file_place* file_by_root(const sha256_hash& root) const;
  /// The layer index of piece-layer nodes: log2(piece_length / 16 KiB).
  int piece_layer_index() const { return piece_layer_; }

  // --- targets ---
  /// What piece `p` is verified against now; nullopt when `p` is in no v2 file or its
  /// piece-layer entry is unknown (a v2 magnet before the layers arrived).
  std::optional<v2_piece_check> piece_check(piece_index p) const;
  /// Whether piece_check(p) has a value.
  bool has_target(piece_index p) const;
  /// True when every file's layer is complete (always for a .torrent with `piece layers`).
  bool all_layers_known() const { return incomplete_roots_ == 0; }
  /// A snapshot of every target for the disk pool (cheap: complete layers are shared).
  std::shared_ptr<const v2_piece_targets> snapshot() const;

  // --- adding hashes ---
  /// Piece-layer entries `first` .. first + hashes.size() - 1 of the file(s) with `root`, already
  /// verified by the caller (verify_hashes against the pieces root). Entries past the file's last
  /// piece (the padding of a request's range) are ignored, as are entries known already. Returns
  /// the torrent pieces whose target became known (of every file with this root), ascending;
  /// empty for an unknown root or nothing new.
  std::vector<piece_index> add_piece_layer(const sha256_hash& root, std::int64_t first,
                                           std::span<const sha256_hash> hashes);
  /// A whole piece layer from an untrusted source (resume data): checked to have one hash per
  /// piece and to hash up to `root` (merkle::piece_layer_root) before it replaces what is known.
  /// Returns the pieces whose target became known. Errors: std::errc::invalid_argument (no file
  /// larger than one piece has this root, or a wrong length), metainfo_errc::piece_layer_mismatch
  /// (does not hash up to the root). Nothing changes on error.
  result<std::vector<piece_index>> set_piece_layer(const sha256_hash& root,
                                                   std::span<const sha256_hash> layer);
  /// Nodes proved by a verified `hashes` reply (verified_hashes::uncles) kept for
  /// verified_node(); at most max_extra_nodes per root, the rest dropped.
  void add_verified_nodes(const sha256_hash& root,
                          std::span<const std::pair<merkle::node_position, sha256_hash>> nodes);
  static constexpr std::size_t max_extra_nodes = 4096;
  /// The SHA-256 of each 16 KiB block of piece `p` (file bytes only, so ceil(file_bytes / 16
  /// KiB) of them), verified by the caller against the piece's target; replaces earlier ones.
  /// Ignored for a piece in no v2 file or a wrong count.
  void add_block_hashes(piece_index p, std::span<const sha256_hash> blocks);
  /// The block hashes added for `p`; empty when none.
  std::span<const sha256_hash> block_hashes(piece_index p) const;
  /// Forgets the block hashes of `p` (the piece passed and blame is over).
  void drop_block_hashes(piece_index p) { blocks_.erase(p.value); }

  // --- lookups for hash messages ---
  /// The piece layer of `root`, complete; nullopt when unknown, incomplete or the file has one
  /// piece (no layer).
  std::optional<std::span<const sha256_hash>> piece_layer(const sha256_hash& root) const;
  /// A node of `root`'s tree known to be right: the root itself, a node past the file's data
  /// (merkle::pad_hash of its layer), a known piece-layer entry, any node above a complete layer,
  /// a node added by add_verified_nodes, a block hash added by add_block_hashes. nullopt
  /// otherwise, and for an unknown root or a position outside the tree.
  std::optional<sha256_hash> verified_node(const sha256_hash& root, merkle::node_position pos) const;
  /// verified_node bound to `root`, for verify_hashes. Refers to this store: use it before the
  /// store changes or goes away (within one call on the network thread).
  verified_node_lookup node_lookup(const sha256_hash& root) const;
  /// What a seeder answers `hash request`s for `root` from (answer_request): the file's tree from
  /// its piece layer up (from its root alone for a one-piece file), built on first use and kept;
  /// null when the layer is not complete or the root unknown. Valid while the store lives.
  const merkle::tree_layers* tree(const sha256_hash& root) const;

  // --- resume data ---
  /// The complete layers that did not come from the .torrent (received from peers), by root:
  /// what v2 resume data saves.
  std::map<sha256_hash, std::vector<sha256_hash>> layers_to_save() const;

 private:
  struct root_entry {
    sha256_hash root;
    std::int32_t num_pieces = 0;
    std::int64_t num_blocks = 0;
    std::shared_ptr<v2_layer_state> layer;  // shared with snapshots: copied before a change
    std::map<merkle::node_position, sha256_hash> extra;         // add_verified_nodes
    mutable std::unique_ptr<merkle::tree_layers> tree;          // built by tree()
  };
  std::size_t root_index(const sha256_hash& root) const;  // npos when unknown
  v2_layer_state& writable_layer(root_entry& e);
  std::vector<piece_index> pieces_of(std::size_t root, std::int64_t first, std::int64_t last) const;
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  std::int64_t piece_length_ = 0;
  int piece_layer_ = 0;
  std::vector<v2_file_place> files_;           // by first_piece
  std::vector<std::size_t> root_of_file_;      // parallel to files_
  std::vector<root_entry> roots_;              // distinct roots, first appearance order
  std::map<sha256_hash, std::size_t> by_root_;
  std::int64_t incomplete_roots_ = 0;
  std::map<std::int32_t, std::vector<sha256_hash>> blocks_;  // add_block_hashes, by piece
};

}  // namespace tessera::detail
