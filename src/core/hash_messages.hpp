// BEP 52 peer messages of the merkle trees: `hash request` (id 21), `hashes` (22) and `hash
// reject` (23), as a pure codec over the payload that follows the id (wire::decode_message hands
// these ids over as `unknown{id, payload}`), and the checks of a request against a file's tree:
// answering one from a full tree (seeding) and verifying a reply against the file's pieces root
// (downloading). Layers, uncles and their order: core/merkle.hpp, "Proofs".
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <system_error>
#include <vector>

#include "core/merkle.hpp"
#include "tessera/result.hpp"
#include "tessera/types.hpp"

namespace tessera::detail {

/// Why a hash message, or a request for hashes, was refused. Category name "tessera.hashes".
enum class hash_errc {
  /// a payload whose size is not 48 bytes (request, reject) or 48 + 32 per hash the header
  /// implies (hashes)
  bad_message_length = 1,
  /// a header field out of its range on any tree: a negative field, `length` not a power of two
  /// in 2..max_hashes_per_request, `index` not a multiple of `length`, base layer or proof layers
  /// above max_tree_layer
  bad_request,
  /// a request that does not fit the file's tree: base layer at or above the root, the range
  /// past the end of its layer, or proof layers reaching the root or beyond
  out_of_range,
  /// the hashes do not hash up to the file's pieces root (or to the verified node they reach)
  hash_mismatch,
  /// the proof ends below the root at a node not verified yet: nothing to check it against
  unverifiable,
  /// a `hashes` or `hash reject` for no outstanding request (hash_request_tracker)
  not_requested,
  /// the seeder does not hold the requested layer (e.g. block hashes when it has only the piece
  /// layer): answer with a `hash reject`
  unavailable,
};
/// The category of hash_errc values; one static object, any thread.
const std::error_category& hash_category() noexcept;
inline std::error_code make_error_code(hash_errc e) { return {static_cast<int>(e), hash_category()}; }

/// Message ids (BEP 52 "peer messages").
inline constexpr std::uint8_t hash_request_id = 21;
inline constexpr std::uint8_t hashes_id = 22;
inline constexpr std::uint8_t hash_reject_id = 23;

/// Most hashes one request may name. BEP 52 says length SHOULD NOT exceed 512; libtorrent
/// answers up to 8,192, and so do we, which bounds a `hashes` payload to about 260 KiB.
inline constexpr std::int32_t max_hashes_per_request = 8192;
/// Highest layer (base layer + proof layers) any tree can have: a file of 2^63 bytes has 2^49
/// blocks, so its root is at layer 49.
inline constexpr std::int32_t max_tree_layer = 49;
/// The fixed part of every payload: pieces root and four 32-bit integers.
inline constexpr std::size_t hash_request_payload = 48;

/// The payload of `hash request` and `hash reject` (and the header of `hashes`): all integers
/// 32-bit big-endian on the wire.
struct hash_request {
  sha256_hash pieces_root;        ///< the file, by its merkle root
  std::int32_t base_layer = 0;    ///< layer of the requested hashes: 0 = blocks
  std::int32_t index = 0;         ///< first requested node of that layer
  std::int32_t length = 0;        ///< how many nodes (a power of two >= 2)
  std::int32_t proof_layers = 0;  ///< layers above the base whose uncles are wanted
  bool operator==(const hash_request&) const = default;
};

/// A `hashes` message: the request it answers, then `length` base hashes followed by
/// uncle_count() uncles, lowest layer first.
struct hashes_message {
  hash_request request;
  std::vector<sha256_hash> hashes;
};

/// Number of uncles a reply to `r` carries: max(0, proof_layers - log2(length) + 1). `r` must
/// have passed the field checks (a decoded one has).
std::int64_t uncle_count(const hash_request& r);

/// Decodes the payload after the id of a `hash request` (or `hash reject`): exactly 48 bytes
/// (bad_message_length) with fields in range (bad_request).
result<hash_request> decode_hash_request(std::span<const std::uint8_t> payload);
/// Decodes the payload after the id of a `hashes` message: the 48-byte header as
/// decode_hash_request, then exactly length + uncle_count() hashes (bad_message_length).
/// Copies the hashes (at most about 260 KiB).
result<hashes_message> decode_hashes(std::span<const std::uint8_t> payload);

/// Append one complete message (length prefix and id included).
void write_hash_request(std::vector<std::uint8_t>& out, const hash_request& r);
void write_hash_reject(std::vector<std::uint8_t>& out, const hash_request& r);
/// `m.hashes` must hold length + uncle_count(m.request) hashes (the writer does not check).
void write_hashes(std::vector<std::uint8_t>& out, const hashes_message& m);

/// Whether `r` fits the tree of a file of `blocks` blocks (1..2^49): its fields in range
/// (bad_request), base layer below the root, range inside its layer, base + proof layers below
/// the root (out_of_range).
std::error_code check_request(const hash_request& r, std::int64_t blocks);

/// The hashes answering `r` from `tree` (a tree_layers of the file `r` names, which the caller
/// found by pieces root): base hashes, then uncles. Errors: check_request's, and unavailable
/// when the base layer is below tree.first_layer().
result<std::vector<sha256_hash>> answer_request(const hash_request& r, const merkle::tree_layers& tree);

/// A node the caller has verified before (from the piece layers, or an earlier reply), or
/// nullopt. Called only for the node a proof ends at when that is below the root.
using verified_node_lookup = std::function<std::optional<sha256_hash>(merkle::node_position)>;

/// What a verified reply proves: the base hashes and the uncles, each with its place.
struct verified_hashes {
  std::vector<sha256_hash> base;  ///< `length` nodes of the base layer from `index`
  std::vector<std::pair<merkle::node_position, sha256_hash>> uncles;  ///< lowest first
};

/// Verifies a received `hashes` message for a file of `blocks` blocks whose root is
/// `pieces_root`: the request must fit the tree (check_request's errors), the hashes and the
/// uncles must hash up to the root, or, when the proof layers stop below it, to the node
/// `verified` returns for the proof's top (unverifiable when it returns nullopt or is empty).
/// Errors: hash_mismatch when the hashes do not lead there. Whether the range was ever asked
/// for is the caller's check (hash_request_tracker), made before this one.
result<verified_hashes> verify_hashes(const hashes_message& m, std::int64_t blocks, const sha256_hash& pieces_root,
                                      const verified_node_lookup& verified = {});

}  // namespace tessera::detail

template <>
struct std::is_error_code_enum<tessera::detail::hash_errc> : std::true_type {};
