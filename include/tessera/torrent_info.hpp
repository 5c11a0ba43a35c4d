// The contents of a .torrent file (BEP 3 metainfo v1, BEP 52 v2 and hybrid), parsed and validated.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "tessera/folder_tree.hpp"
#include "tessera/result.hpp"
#include "tessera/types.hpp"

namespace tessera {

/// Why a .torrent was rejected. Category name "tessera.metainfo".
enum class metainfo_errc {
  bencode = 1,            ///< the file is not valid bencode (see the message for the offset)
  not_a_dictionary,       ///< the top level (or `info`) is not a dictionary
  missing_info,           ///< no `info` dictionary
  missing_name,           ///< `info.name` missing or not a string
  bad_piece_length,       ///< `piece length` missing, not positive, or above 64 MiB
  bad_pieces,             ///< `pieces` missing or its length is not a multiple of 20
  piece_count_mismatch,   ///< the number of hashes does not match the total length
  bad_length,             ///< a file length is missing or negative, or the total overflows
  bad_files,              ///< `files` is not a list of dictionaries
  /// the name or a path component is empty, "." or "..", or holds '/', '\\' or NUL (ways
  /// out of the download directory; refused, never rewritten), or a `path` list is empty or
  /// holds a non-string
  bad_path,
  no_files,               ///< both `length` and `files`, or neither
  /// two files map to the same path on disk, or a file to a folder another file needs; compared
  /// after sanitising and truncation, so names that differ only there collide too
  duplicate_path,
  /// a file's `path` list has more than max_path_components entries; checked before any of
  /// them is looked at, so such a list costs no more than its bencode
  path_too_deep,
  /// a file's path ("name/" and its components, sanitised) is longer than max_path_bytes
  path_too_long,
  /// `meta version` is present and not 2 (BEP 52: checked before anything else, so a torrent of
  /// a later version is named as such instead of failing some other check)
  unsupported_meta_version,
  /// BEP 52 `file tree`: missing or not a dictionary where `meta version` is 2, a node that is
  /// not a dictionary, a node that is both a file (a "" key) and a folder, a "" entry that is
  /// not a dictionary with an integer `length`, or a tree root that is itself a file
  bad_file_tree,
  /// BEP 52 `pieces root`: missing for a non-empty file, not a 32-byte string, or all zeros
  bad_pieces_root,
  /// BEP 52 `piece layers`: not a dictionary of strings, a layer keyed by a root no file has, a
  /// layer whose length is not 32 bytes per piece of its file, or a file larger than one piece
  /// whose layer is missing
  bad_piece_layers,
  /// BEP 52 `piece layers`: a layer whose merkle root is not its file's `pieces root`
  piece_layer_mismatch,
  /// a hybrid torrent (both `pieces` and `file tree`) whose v1 file list and v2 file tree do not
  /// describe the same files in the same order, each aligned to a piece boundary by BEP 47
  /// padding files (BEP 52 "Upgrade Path")
  hybrid_mismatch,
  /// a v2 torrent whose files need more than max_v2_pieces pieces
  too_many_pieces,
};
/// The category of metainfo_errc values ("tessera.metainfo"); one static object, any thread.
const std::error_category& metainfo_category() noexcept;
/// Lets a metainfo_errc compare with and convert to std::error_code.
inline std::error_code make_error_code(metainfo_errc e) { return {static_cast<int>(e), metainfo_category()}; }

// Limits on the paths of a .torrent's files (parse_torrent). Linux's, so that every path a
// torrent names can be created: deeper or longer paths are refused (path_too_deep,
// path_too_long), longer components truncated. See docs/hardening.md, "Metainfo paths".

/// Bytes of one path component (and of the name) after sanitising: NAME_MAX. A longer one is
/// truncated to this, keeping its extension (libtorrent truncates too, at 240 bytes); see
/// file_entry::path.
inline constexpr std::size_t max_path_component_bytes = 255;
/// Bytes of a file's whole relative path ("name/a/b"): PATH_MAX (4,096) less its NUL.
inline constexpr std::size_t max_path_bytes = 4095;
/// Entries of one file's `path` list. libtorrent refuses a v2 file tree deeper than 100
/// folders; a real torrent is nowhere near.
inline constexpr std::size_t max_path_components = 100;

/// Most pieces a v2-only torrent may have (its piece count comes from its file sizes, not from a
/// `pieces` string whose size the 10 MiB metainfo limit bounds as in v1): 2^21, a 256 KiB
/// bitfield; 32 GiB at the smallest piece length, 32 TiB at 16 MiB pieces.
inline constexpr std::int64_t max_v2_pieces = std::int64_t{1} << 21;

/// One file of the torrent, in metainfo order.
struct file_entry {
  /// Path relative to the download directory, components joined by '/'. For a multi-file torrent
  /// it starts with the torrent's name (the folder), for a single file it is the name.
  /// `name.utf-8`/`path.utf-8` are preferred when present. Every component is checked: never
  /// empty, never "." or "..", no '/', '\\' or NUL inside, so the path cannot leave the
  /// download directory (such a torrent is refused with bad_path). Every component is
  /// sanitised as libtorrent does: a byte of invalid UTF-8, a control character (C0, DEL, C1)
  /// and a bidirectional formatting mark (U+200E/F, U+202A..E, U+2066..9) each become '_', so
  /// no name on disk holds a terminal escape or a newline. A component longer than
  /// max_path_component_bytes is truncated to it, keeping an extension of up to 16 bytes. At
  /// most max_path_components components after the name, at most max_path_bytes in all.
  std::string path;
  std::int64_t size = 0;    ///< bytes
  std::int64_t offset = 0;  ///< byte offset of the file's first byte in the torrent's byte stream
  bool pad = false;         ///< BEP 47 padding file (`attr` contains 'p'): zeros, never on disk
  /// BEP 47 `attr` 'x': the files-on-disk storage creates the file with mode 0755 instead of
  /// 0644 (both before the umask, so it gets execute bits exactly where it gets read bits). A
  /// file that was already at the path (adopted, not created) keeps its mode.
  bool executable = false;
  /// BEP 47 `attr` 'h'. Kept for display only: on POSIX a file is hidden by its name (a leading
  /// '.'), which comes from the torrent's path and is never changed.
  bool hidden = false;
  /// BEP 47 `attr` 'l' in a multi-file torrent: the file is a symbolic link with no data (size 0:
  /// a non-zero `length` is refused with bad_length; a missing `length` is 0). Ignored for a
  /// padding file and for a single-file torrent (which has no folder for a link to point into).
  bool symlink = false;
  /// For a `symlink`: its target, relative to the torrent's root folder (`name`), components
  /// joined by '/', no "." or "..". From BEP 47 `symlink path`, resolved as libtorrent 2.0 does
  /// (and writes it: the components of the link's text): from the link's folder, ".." one
  /// folder up, "." staying, every other component checked and sanitised as `path`'s are. A
  /// target that leaves the root folder at any step (or is the root folder itself), an empty or
  /// missing list, or a bad component is refused with bad_path, so a target can never leave the
  /// torrent's folder. The files-on-disk storage creates the link relative ("../bin/tool") from
  /// the link's folder to name/<symlink_target> when a write reaches its offset, or when the
  /// start-up check finds every piece; never over anything already at its path. Empty unless
  /// `symlink`.
  std::string symlink_target = {};
  /// BEP 52 `pieces root`: the SHA-256 merkle root of the file's 16 KiB blocks. Zero in a v1
  /// torrent, for a padding file and for an empty file.
  sha256_hash pieces_root{};
};

/// One entry of a .torrent's `nodes` list (BEP 5): a DHT node to join the DHT through.
struct dht_node_address {
  std::string host;        ///< IP literal or host name, as written in the .torrent
  std::uint16_t port = 0;  ///< UDP port, 1..65535
};
/// Most `nodes` entries kept from one .torrent (the rest are ignored).
inline constexpr std::size_t max_torrent_dht_nodes = 64;

namespace detail {
class torrent_info_builder;
}

/// A parsed .torrent: v1 (BEP 3), v2-only or hybrid (BEP 52). Immutable: every member is
/// private, read through const accessors, and nothing changes an object once made; an edit
/// (with_trackers, rename_torrent_path) makes a new one. Made only by the parsers
/// (parse_torrent, parse_info_dictionary, load_torrent_file) and by the library's own builder
/// (torrent creation, magnet stand-ins, tests), which checks the invariants the parser
/// guarantees. A value type, cheap to move, copyable; share it as
/// `std::shared_ptr<const torrent_info>`. Any thread may read an object no thread replaces.
///
/// A v2 torrent's files are laid out as v1 files are (one byte stream, `files` with offsets), so
/// that piece arithmetic is the same for every kind: in a hybrid torrent `files` is its v1 list
/// (BEP 47 padding files included), checked to hold the v2 tree's files in the same order with
/// every non-empty file at a piece boundary; in a v2-only torrent `files` is the tree's files in
/// tree order with a padding file (`pad`, path "<name>/.pad/<size>") after each non-empty file
/// whose end is not on a piece boundary and that another non-empty file follows, so each
/// non-empty file starts a piece (BEP 52 "piece length"); no padding after the last one, whose
/// last piece may be short.
class torrent_info {
 public:
  /// An empty torrent: no files, no pieces, zero info-hashes, meta version 1.
  torrent_info() = default;

  /// The info-hashes (BEP 52): `v1`, the SHA-1 of the exact bytes of the `info` dictionary, set
  /// for every .torrent with `pieces` (v1 and hybrid); `v2`, the SHA-256 of the same bytes, set
  /// for every torrent with `meta version` 2 (v2-only and hybrid). The absent one is zero; a
  /// v2-only torrent is named by info_hash().best(), its v2 hash truncated to 20 bytes.
  const info_hash_t& info_hash() const { return info_hash_; }
  /// BEP 52 `meta version`: 1 for a v1 torrent (no `meta version` key), 2 for v2-only and hybrid.
  int meta_version() const { return meta_version_; }
  /// BEP 52 `piece layers`, validated (each hashes up to its root, one hash per piece), keyed by
  /// pieces root: one per distinct file larger than one piece. Empty when the .torrent had none
  /// (a bare info dictionary, from a magnet or resume data, never has them: peers supply them
  /// with `hashes` messages). A .torrent that has the key must have every layer.
  const std::map<sha256_hash, std::vector<sha256_hash>>& piece_layers() const { return piece_layers_; }
  /// `info.name`, sanitised and bounded like a path component (after a rename of the torrent's
  /// top folder or single file: the new name).
  const std::string& name() const { return name_; }
  /// Bytes per piece (the last piece may be shorter); 0 only for a torrent without metadata.
  std::int64_t piece_length() const { return piece_length_; }
  /// The v1 SHA-1 piece hashes, one per piece (v1 and hybrid); empty for v2-only. The span
  /// lives as long as this object.
  std::span<const sha1_hash> piece_hashes() const { return piece_hashes_; }
  /// The v1 hash of piece `p`; `p` must be < piece_hashes().size().
  const sha1_hash& piece_hash(piece_index p) const { return piece_hashes_[static_cast<std::size_t>(p.value)]; }
  /// The files in metainfo order (padding files included); a single-file torrent has one
  /// entry. The span lives as long as this object.
  std::span<const file_entry> files() const { return files_; }
  /// File `f`; `f` must be < files().size().
  const file_entry& file(file_index f) const { return files_[static_cast<std::size_t>(f.value)]; }
  /// Sum of all file sizes in bytes, padding included.
  std::int64_t total_size() const { return total_size_; }
  /// True when the metainfo had `files` (or a v2 tree with a folder).
  bool multi_file() const { return multi_file_; }
  /// Announce URLs by tier (BEP 12). From `announce-list` when present, else one tier holding
  /// `announce`. Empty tiers and non-string entries are dropped.
  const std::vector<std::vector<std::string>>& trackers() const { return trackers_; }
  /// `url-list` (BEP 19).
  const std::vector<std::string>& web_seeds() const { return web_seeds_; }
  /// `info.private` == 1 (BEP 27).
  bool is_private() const { return is_private_; }
  /// `nodes` (BEP 5): DHT bootstrap nodes, usually in trackerless torrents, in file order.
  /// Entries that are not a [host, port] list with a non-empty host of at most 253 bytes and a
  /// port in 1..65535 are ignored; at most max_torrent_dht_nodes are kept.
  const std::vector<dht_node_address>& dht_nodes() const { return dht_nodes_; }
  /// `comment`, empty if absent. Raw bytes from the file (any encoding, control characters
  /// included): escape before showing it on a terminal. So are `created_by`, the tracker and
  /// web seed URLs.
  const std::string& comment() const { return comment_; }
  /// `created by`, empty if absent (raw, like comment).
  const std::string& created_by() const { return created_by_; }
  /// `creation date`: seconds since the Unix epoch, 0 if absent.
  std::int64_t creation_date() const { return creation_date_; }
  /// The raw bencoded `info` dictionary (served for BEP 9).
  const std::string& info_bytes() const { return info_bytes_; }
  /// The files (padding excluded) and their folders as a tree, built when this object was made
  /// (see folder_tree).
  const folder_tree& file_tree() const { return tree_; }

  /// Number of pieces: one per entry of piece_hashes; for a v2-only torrent (no piece_hashes)
  /// ceil(total_size / piece_length), at most max_v2_pieces.
  int num_pieces() const;
  /// True for a torrent with a v1 part (`pieces`): v1 and hybrid.
  bool has_v1() const { return info_hash_.has_v1(); }
  /// True for a torrent with a v2 part (`meta version` 2): v2-only and hybrid.
  bool has_v2() const { return info_hash_.has_v2(); }
  /// True when the info dictionary has no v1 `pieces` (a v2-only torrent, BEP 52), whichever
  /// hashes name it (a magnet's v1 hash may be put in info_hash after a metadata fetch). Its pieces
  /// are verified by their v2 merkle targets only (from a magnet, once peers have sent the
  /// piece layers).
  bool lacks_v1_pieces() const { return meta_version_ == 2 && piece_hashes_.empty(); }
  /// True when every file larger than one piece has its layer in piece_layers (always true for
  /// a v1 torrent, and for a v2 torrent without such files).
  bool has_all_piece_layers() const;
  /// Size in bytes of piece `p`: piece_length, except for the last piece; 0 out of range.
  std::int32_t piece_size(piece_index p) const;
  /// Number of 16 KiB blocks in piece `p`.
  int blocks_in_piece(piece_index p) const { return (piece_size(p) + block_size - 1) / block_size; }

  /// A copy of this torrent with `tiers` as its announce URLs by tier (BEP 12), e.g. after a
  /// tracker edit; everything else (info dictionary and hashes included) unchanged.
  torrent_info with_trackers(std::vector<std::vector<std::string>> tiers) const;

 private:
  friend class detail::torrent_info_builder;

  info_hash_t info_hash_;
  int meta_version_ = 1;
  std::map<sha256_hash, std::vector<sha256_hash>> piece_layers_;
  std::string name_;
  std::int64_t piece_length_ = 0;
  std::vector<sha1_hash> piece_hashes_;
  std::vector<file_entry> files_;
  std::int64_t total_size_ = 0;
  bool multi_file_ = false;
  std::vector<std::vector<std::string>> trackers_;
  std::vector<std::string> web_seeds_;
  bool is_private_ = false;
  std::vector<dht_node_address> dht_nodes_;
  std::string comment_;
  std::string created_by_;
  std::int64_t creation_date_ = 0;
  std::string info_bytes_;
  folder_tree tree_;
};

/// Parses a whole .torrent file: v1 (BEP 3), v2-only or hybrid (BEP 52; `meta version` 2 with a
/// `file tree`, `piece layers` at the top level; piece length a power of two >= 16 KiB). Errors
/// are `metainfo_errc` values (std::errc::file_too_large above 10 MiB); nothing is thrown for
/// bad input. Limits: nesting depth 100, at most 10 MiB of
/// metainfo and 4,000,000 bencoded values, at most 1,000,000 files, paths as file_entry::path
/// says. Time and memory are linear in the input. Pure; any thread. (A session parses metadata
/// fetched from peers on its disk pool, never on its network thread.)
result<torrent_info> parse_torrent(std::span<const std::byte> data);
result<torrent_info> parse_torrent(std::string_view data);

/// Parses a bare bencoded info dictionary (what BEP 9 ut_metadata carries, and what resume data
/// stores), as parse_torrent would parse a .torrent holding only it: no trackers. Errors: as
/// parse_torrent.
result<torrent_info> parse_info_dictionary(std::string_view info_bytes);

/// A complete .torrent around the raw info dictionary `info_bytes` (kept byte for byte, so the
/// info-hash is unchanged) with `tiers` as `announce-list` (BEP 12) and its first URL as
/// `announce`; no tracker keys when `tiers` is empty; `web_seeds` as `url-list` (BEP 19, a
/// list), none when empty.
std::string make_torrent_file(std::string_view info_bytes, const std::vector<std::vector<std::string>>& tiers,
                              const std::vector<std::string>& web_seeds = {});

/// A copy of `ti` with the file or folder at `path` renamed to `new_name` (its last
/// component), as torrent_handle::rename_path does in a running torrent (which calls this); a
/// program that keeps renames across restarts applies them with this to the torrent_info it
/// adds. `path` is relative to the download directory as in file_entry::path: a file's path, or
/// a folder that holds files ("name" for a multi-file torrent's top folder, "name/sub"); one
/// trailing '/' is ignored. Every file at or beneath `path` (padding files included) gets the
/// new prefix; when `path` is the torrent's name (its top folder, or its single file), the
/// copy's name() becomes `new_name` too. The info dictionary (info_bytes, info_hash) is not
/// changed: peers still see the original names. Renaming to the current name returns an equal
/// copy. Errors: std::errc::invalid_argument when `new_name` is empty, ".", "..", holds '/',
/// '\' or NUL, or is longer than max_path_component_bytes, or a new path would be longer than
/// max_path_bytes; std::errc::no_such_file_or_directory when no file is at or beneath `path`;
/// std::errc::file_exists when another file of the torrent is at, or beneath, the new path.
/// Pure; `ti` is never changed.
result<torrent_info> rename_torrent_path(const torrent_info& ti, std::string_view path, std::string_view new_name);

/// Reads and parses a .torrent file from disk (blocking; any thread). I/O errors come back as
/// std::errc values (e.g. no_such_file_or_directory), malformed content as metainfo_errc.
result<torrent_info> load_torrent_file(const std::string& path);

}  // namespace tessera

template <>
struct std::is_error_code_enum<tessera::metainfo_errc> : std::true_type {};
