// Creating a .torrent from files on disk: v1 (BEP 3), v2 (BEP 52) or hybrid (both, with BEP 47
// padding files), with trackers (BEP 12), web seeds (BEP 19), the private flag (BEP 27).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <system_error>
#include <vector>

#include "tessera/result.hpp"
#include "tessera/torrent_info.hpp"
#include "tessera/types.hpp"

namespace tessera {

/// Which metainfo format to write.
enum class torrent_kind {
  v1,      ///< BEP 3 only: `pieces` (SHA-1), `length` or `files`; no padding files
  v2,      ///< BEP 52 only: `file tree`, `piece layers` (SHA-256 merkle trees), `meta version` 2
  hybrid,  ///< both in one info dictionary; each file starts on a piece boundary (BEP 47 padding)
};

/// Why a torrent could not be created. Category name "tessera.create".
enum class create_errc {
  /// the root is neither a regular file nor a directory, or it is a directory without any file
  /// once the exclude globs are applied
  no_files = 1,
  /// every file is empty: a torrent needs at least one byte (v1 has no piece to hash otherwise)
  no_data,
  /// the piece size is not a multiple of 16 KiB in [16 KiB, 64 MiB], or (v2, hybrid) not a power
  /// of two
  bad_piece_size,
  /// a file's size changed while it was hashed (it ended early), or it became another kind of file
  file_changed,
  /// more than 1,000,000 files, more pieces than fit an int, or a path deeper than
  /// max_path_components folders: beyond what tessera (and other clients) read back
  too_large,
  /// the root's name is empty ("/")
  bad_name,
  /// the stop token was triggered (or the progress callback asked to stop)
  cancelled,
};
/// The category of create_errc values ("tessera.create"); one static object, any thread.
const std::error_category& create_category() noexcept;
/// Lets a create_errc compare with and convert to std::error_code.
inline std::error_code make_error_code(create_errc e) { return {static_cast<int>(e), create_category()}; }

/// A failure of create_torrent: the code (a create_errc, or an errno value of the system
/// category for I/O: ENOENT, EACCES, EIO, EISDIR...) and the file it is about (the path on disk,
/// empty when none applies).
struct create_error {
  std::error_code code;
  std::string path;
  /// "<path>: <code's message>", or the code's message alone without a path.
  std::string message() const;
};

/// Progress of the hashing: bytes of file data read and hashed so far, out of `total` (the sum of
/// the files' sizes; padding not counted). Return false to cancel (create_errc::cancelled).
using create_progress_callback = std::function<bool(std::int64_t hashed, std::int64_t total)>;

/// What create_torrent makes a torrent of, and how.
struct create_torrent_params {
  /// A regular file (a single-file torrent named after it) or a directory (a multi-file torrent
  /// named after it, holding every file beneath it). A symlink as the root is followed.
  std::string root;
  torrent_kind kind = torrent_kind::hybrid;
  /// Bytes per piece; 0 picks auto_piece_size(sum of the file sizes). v1: a multiple of 16 KiB;
  /// v2 and hybrid: a power of two; both between 16 KiB and 64 MiB.
  std::int64_t piece_size = 0;
  /// Announce URLs by tier (BEP 12). `announce` is the first URL; `announce-list` is written when
  /// there is more than one URL. Empty tiers and empty URLs are dropped.
  std::vector<std::vector<std::string>> trackers;
  std::vector<std::string> web_seeds;  ///< `url-list` (BEP 19): a string for one, a list for more
  bool is_private = false;             ///< `info.private` = 1 (BEP 27)
  std::string comment;                 ///< `comment`, omitted when empty
  /// `info.source`, omitted when empty. Inside the info dictionary, so it changes the info-hash
  /// (trackers use it to tell their torrents from re-uploads).
  std::string source;
  /// `created by`; nullopt: "tessera <version>"; an empty string: no `created by` key.
  std::optional<std::string> creator;
  /// `creation date` in seconds since the Unix epoch; nullopt: now; a negative value: no key.
  std::optional<std::int64_t> creation_date;
  /// Globs (fnmatch(3), no flags) matched against each file's and folder's path relative to the
  /// root ("sub/a.log") and against its name alone ("a.log"): a match leaves it out (a folder with
  /// everything beneath it). Nothing else is left out: hidden files are listed, as libtorrent and
  /// mktorrent list them.
  std::vector<std::string> exclude;
  /// Hashing threads; 0: one per core (std::thread::hardware_concurrency()).
  int threads = 0;
  /// Called from the thread that called create_torrent, at most every 100 ms while hashing, and
  /// once more with hashed == total when hashing ended. May be empty.
  create_progress_callback progress;
  /// Cancels the creation when stop is requested (checked between 256 KiB reads and by the calling
  /// thread every 100 ms); create_torrent then returns create_errc::cancelled.
  std::stop_token stop;
};

/// A created torrent.
struct created_torrent {
  std::string torrent;           ///< the .torrent file's bytes (bencoded, keys sorted)
  info_hash_t info_hashes;       ///< v1 for v1 and hybrid, v2 for v2 and hybrid
  std::string name;              ///< `info.name`
  std::int64_t piece_length = 0; ///< bytes per piece
  /// Pieces: of the v1 byte stream (padding included) for v1 and hybrid; for v2 the sum over the
  /// files of their pieces.
  std::int64_t num_pieces = 0;
  std::int64_t num_files = 0;    ///< files listed, padding files not counted
  std::int64_t total_size = 0;   ///< bytes of the files, padding not counted
  /// Entries beneath the root that were not listed and why, e.g. "link: symlink out of the root"
  /// (symlinks to folders, symlinks leaving the root, dangling symlinks, sockets, FIFOs, devices),
  /// paths relative to the root. Excluded paths are not in it.
  std::vector<std::string> skipped;
  /// The torrent parsed back by parse_torrent (every kind), for a program that adds it to a
  /// session at once (a session does not take v2-only torrents yet); nullopt when parse_torrent
  /// refuses the torrent (above its limits: 10 MiB of metainfo, a path longer than
  /// max_path_bytes); the .torrent itself is still made.
  std::optional<torrent_info> info;
};

/// The piece size libtorrent 2.0's create_torrent picks for `total_size` bytes of files (a power
/// of two from 16 KiB to 16 MiB), so that both pick the same and make the same torrent: about
/// 2 * sqrt(total_size) / 20 pieces, e.g. 256 KiB for 600 MiB, 1 MiB for 4 GiB. Pure.
std::int64_t auto_piece_size(std::int64_t total_size);

/// The name create_torrent gives a torrent of `root` (`info.name`): its last path component
/// ("data/" -> "data"), or for ".", ".." and "/"-ended forms of them the last component of its
/// real path. Empty when that cannot be resolved or is empty ("/"). Reads the file system only
/// for those forms. Any thread.
std::string torrent_name(const std::string& root);

/// Hashes the files under params.root and builds the .torrent. Files are listed in a fixed order
/// (so the same files give the same torrent): v1 sorts whole relative paths by their bytes (as
/// mktorrent does, whose info-hashes it then matches), v2 and hybrid compare path component by
/// component (BEP 52's file tree order, libtorrent's). A file symlink that resolves to a regular
/// file inside the root is listed with the target's content; other symlinks and special files are
/// skipped (created_torrent::skipped); nothing outside the root is ever read. Executable files get
/// BEP 47 `attr` "x" in v2 and hybrid torrents (as libtorrent gives them; mktorrent's v1 torrents
/// carry no attributes, nor do ours). A hybrid torrent of more than one file pads each non-empty
/// file that does not end on a piece boundary, the last one included, with a file
/// ".pad/<bytes>" (`attr` "p"), as libtorrent 2.0 does, so that its v1 and v2 info-hashes equal
/// libtorrent's.
///
/// Each file is read once, sequentially, by params.threads threads that each take runs of whole
/// pieces (at least 4 MiB) and read them 256 KiB at a time; the v1 SHA-1 and the v2 SHA-256
/// hashes come from the same read. Memory: 256 KiB per thread plus 32 bytes per piece (and per
/// 16 KiB block of files smaller than a piece).
/// Blocking; any thread; the callback and cancellation as params says.
/// Errors: create_errc values; I/O errors as errno values of the system category, with the file.
result<created_torrent, create_error> create_torrent(const create_torrent_params& params);

}  // namespace tessera

template <>
struct std::is_error_code_enum<tessera::create_errc> : std::true_type {};
