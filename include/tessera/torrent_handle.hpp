// A handle to one torrent of a session. Every member may be called from any thread, event
// handlers included (they run on their own thread); each call goes to the session's network
// thread and waits for it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/events.hpp"
#include "tessera/file_priority.hpp"
#include "tessera/result.hpp"
#include "tessera/torrent_status.hpp"
#include "tessera/types.hpp"

namespace tessera {

namespace detail {
class session_impl;
class torrent;
}  // namespace detail

/// Whether `url` is a tracker URL a torrent may announce to: an `http://`, `https://` or `udp://`
/// URL (scheme in any case) with a non-empty host, at most 2,048 bytes, without spaces or control
/// characters. Pure; any thread.
bool is_valid_tracker_url(std::string_view url);

/// Refers to a torrent in a session. Cheap to copy. Once the torrent is removed (or the session is
/// gone) every call fails with std::errc::no_such_process instead of touching freed state.
class torrent_handle {
 public:
  /// An empty handle: refers to no torrent; every call fails with std::errc::no_such_process.
  torrent_handle() = default;
  /// A snapshot of the torrent's state and counters. Errors: no_such_process once it is gone.
  result<torrent_status> status() const;
  /// True while the torrent is in a running session (asks the network thread). The answer may be
  /// stale by the time it is used: the other calls' no_such_process errors are the reliable test.
  bool is_valid() const;
  /// The info-hashes (v1 and/or v2) of the torrent the handle was created for (kept after the
  /// torrent is gone; both zero for an empty handle). Never fails, never waits.
  info_hash_t info_hash() const { return info_hash_; }

  /// Per-file progress, metainfo order; empty for a magnet without metadata yet.
  result<std::vector<tessera::file_status>> files() const;
  /// The verified pieces as a BEP 3 bitfield: bit 7 (the high bit) of byte 0 is piece 0,
  /// ceil(num_pieces / 8) bytes, spare bits zero. During the check of existing data: the pieces
  /// checked good so far. Empty for a magnet without metadata yet. O(num_pieces / 8).
  result<std::vector<std::uint8_t>> have_pieces() const;
  /// The connected peers.
  result<std::vector<peer_status>> peers() const;
  /// Every tracker URL with its tier and last outcome.
  result<std::vector<tracker_status>> trackers() const;
  /// Replaces the torrent's tracker list at run time (BEP 12 tiers of announce URLs; the outer
  /// order is the tier order). Empty tiers and repeated URLs (the later ones) are dropped; an
  /// empty list leaves the torrent to the DHT, LSD and PEX. When the torrent announces (or would,
  /// were the list not empty), the announcer restarts with the new list: `stopped` goes to the
  /// old trackers that answered, `started` to every tracker of the new one. The list is kept
  /// when a magnet's metadata arrives and in torrent_status/trackers(); the status of a URL kept
  /// from the old list is kept too. It is not stored in the resume data: a program that wants the
  /// edit after a restart keeps it and calls this again after add_torrent (add it paused to
  /// announce only to the new list). Errors: std::errc::invalid_argument when a URL is not
  /// is_valid_tracker_url (nothing changes then), no_such_process once the torrent is gone.
  result<bool> replace_trackers(std::vector<std::vector<std::string>> tiers) const;

  /// Closes every connection, announces `stopped`, and stays idle until resume(); verified
  /// pieces are kept. A pause during the check of existing data lets the check finish first.
  /// Emits torrent_paused. No-op when paused already.
  result<bool> pause() const;
  /// Resumes a paused torrent (announce, connect). Emits torrent_resumed. No-op when not paused.
  result<bool> resume() const;
  /// Forgets which pieces are verified and hashes the data on disk again, then goes on as after
  /// the start-up check (connections are closed meanwhile). Fails with
  /// std::errc::operation_not_permitted for a magnet without metadata.
  result<bool> force_recheck() const;
  /// Adds a peer address ("ip:port", "[v6]:port") and dials it when there is room, like one
  /// from a tracker but exempt from the address filter (a loopback address is dialled even when
  /// we do not listen on loopback; port 0 and the unspecified address are still ignored).
  /// Errors: std::errc::invalid_argument for a malformed address.
  result<bool> connect_peer(const std::string& endpoint) const;
  /// Announces to the trackers now (tier rules as usual), as soon as their `min interval` allows;
  /// the first announce that succeeds is followed by a scrape of every tracker (as
  /// scrape_tracker), so that tracker_status's scrape figures count it.
  result<bool> force_reannounce() const;
  /// Scrapes (BEP 48 over HTTP, BEP 15 over UDP) the tracker at `index` of trackers() (-1: every
  /// tracker) now: libtorrent's name. A tracker scraped less than 10 s ago, or whose
  /// `min_request_interval` has not passed, is scraped as soon as it allows; one with no
  /// scrape_url, or a scrape in flight, is left alone. Only while the torrent announces (started,
  /// not paused, checking or in error); otherwise nothing happens. The outcome shows in
  /// trackers() (tracker_status::scrape...). Returns true. Errors: no_such_process once the
  /// torrent is gone; std::errc::invalid_argument for an index out of range.
  result<bool> scrape_tracker(int index = -1) const;
  /// Moves the torrent's files under `new_save_path` (created if missing; a rename when on the
  /// same file system, else copy then delete), then continues from there. Asynchronous: the
  /// torrent is paused while its files move; storage_moved reports the outcome. Only the
  /// torrent's own files move (see session_settings::overwrite_existing_files); a file already at
  /// a target is not replaced (the move fails with storage_errc::target_exists before moving
  /// anything) unless the torrent may overwrite existing files. Fails at once with
  /// std::errc::operation_not_permitted for a magnet without metadata or a move in progress.
  result<bool> move_storage(const std::filesystem::path& new_save_path) const;

  /// Renames the file or folder at `path` (relative to the save path, as tessera::file_status
  /// and file_entry::path name it: "name" for a multi-file torrent's top folder or a single
  /// file, "name/sub/file") to `new_name`, its new last component: on disk when it is there, and
  /// in the torrent, whose later reads and writes use the new names (a rename of the top folder or
  /// single file also renames the torrent: torrent_status::name). The semantics and the refusals
  /// are those of rename_torrent_path (tessera/torrent_info.hpp); what the storage does is
  /// storage::rename_path's: files on disk are renamed beneath the save path, never over an
  /// existing entry, and a file that is not the torrent's own stays where it is. A running
  /// torrent closes its connections for the rename (pieces on their way to the disk are written
  /// first) and reconnects after it; the announcer keeps running. During the check of existing
  /// data the rename waits for the check to end (about a second after it). Blocks until the
  /// rename is done. Not kept in the resume data: a program that wants it after a restart applies
  /// rename_torrent_path to the torrent_info it adds. Errors: rename_torrent_path's
  /// (invalid_argument, no_such_file_or_directory, file_exists; nothing changed);
  /// operation_not_permitted for a magnet without metadata, while moving or renaming, or with a
  /// recheck pending;
  /// storage_errc::target_exists when something not of the torrent is at the new path on disk, or
  /// the OS error of the rename (nothing renamed); operation_canceled when the session stopped
  /// first; no_such_process once the torrent is gone.
  result<bool> rename_path(const std::string& path, const std::string& new_name) const;

  // --- file selection and order. Each fails with std::errc::no_such_process once the torrent
  // is gone. See tessera/file_priority.hpp and torrent_status::is_finished for the semantics.
  /// Sets file `file`'s priority (metainfo order, padding files included) and recomputes every
  /// piece's priority from the file priorities (replacing earlier set_piece_priority calls).
  /// Skipping a file stops requesting its pieces (bytes already on disk stay); unskipping moves its
  /// bytes from the part file into the file and resumes the download. Errors: invalid_argument for
  /// an index out of range, operation_not_permitted for a magnet without metadata yet.
  result<bool> set_file_priority(file_index file, file_priority priority) const;
  /// One priority per file, metainfo order (padding files show as skip); empty for a magnet
  /// without metadata yet.
  result<std::vector<file_priority>> file_priorities() const;
  /// Sets one piece's priority: 0 (skip) .. 7 (highest), 4 being normal. Errors: invalid_argument
  /// for a piece index or priority out of range, operation_not_permitted without metadata.
  result<bool> set_piece_priority(piece_index piece, int priority) const;
  /// Sequential download: new pieces are requested lowest index first (within the highest
  /// priority left) instead of rarest first; pieces already started are finished first. Off by
  /// default; kept across the arrival of a magnet's metadata.
  result<bool> set_sequential_download(bool on) const;
  /// Gives the first and the last piece of every wanted file the highest priority (7), so a
  /// media file's header and index arrive early for previewing. Off by default.
  result<bool> set_first_last_pieces_first(bool on) const;

  /// Receives this torrent's events (besides the session-wide handler), on the session's event
  /// thread. An empty function removes it. Once it returns no event reaches an earlier handler.
  /// The handler is dropped after it received the torrent's torrent_removed (it never sees a
  /// torrent added again with the same info-hash). Fails with std::errc::no_such_process when the
  /// torrent is gone.
  result<bool> set_event_handler(std::function<void(const event&)> handler) const;

  /// This torrent's own download / upload limit in bytes per second (0 or negative = unlimited),
  /// applied on top of the session's limits (a connection moves bytes only when both allow; every
  /// byte after the handshake counts, protocol overhead included). Takes effect at once; raising
  /// or removing a limit wakes the connections waiting for quota. Returns true; fails with
  /// std::errc::no_such_process when the torrent is gone.
  result<bool> set_download_limit(std::int64_t bytes_per_second) const;
  /// Same as set_download_limit, for what this torrent sends.
  result<bool> set_upload_limit(std::int64_t bytes_per_second) const;
  /// Whether the session-wide rate limits (session_settings::download_rate_limit and
  /// upload_rate_limit, session::set_download_rate_limit ...) apply to this torrent: true by
  /// default (Transmission's `honorsSessionLimits`). false: its connections skip the session's
  /// channels, so only this torrent's own limits (set_download_limit, set_upload_limit) hold, and
  /// its bytes take nothing from the session's quota (the other torrents keep all of it). Takes
  /// effect at once on open connections (waiting ones are served). Returns true; fails with
  /// std::errc::no_such_process when the torrent is gone.
  result<bool> set_honors_session_limits(bool honors) const;
  /// How this torrent competes for a session limit (Transmission's `bandwidthPriority`): -1 low,
  /// 0 normal (the default), 1 high; other values count as the nearest. While connections wait
  /// for a session limit's quota, each gets a share weighted 1 (low), 2 (normal) or 4 (high): under
  /// a saturated limit a high-priority torrent's connection receives about four times a low one's
  /// (per connection: a torrent with more connections waiting takes more in all). No effect where
  /// no session limit binds, or on this torrent's own limits. Takes effect at once. Returns true;
  /// fails with std::errc::no_such_process when the torrent is gone.
  result<bool> set_bandwidth_priority(int priority) const;
  /// This torrent's own cap on peer connections (Transmission's `peer-limit`): incoming and
  /// outgoing, those still connecting or handshaking included; 0 or negative: no cap of its own
  /// (the default). The session's caps still hold: the torrent keeps at most the smallest of this,
  /// session_settings::max_connections_per_torrent and its even share of max_connections, and the
  /// per-host caps apply as before. Lowering it below the open connections closes the surplus
  /// (those still handshaking first, then those that sent us the fewest bytes); raising it dials
  /// more peers. Returns true; fails with std::errc::no_such_process when the torrent is gone.
  result<bool> set_max_connections(int max_connections) const;

 private:
  friend class detail::session_impl;
  torrent_handle(std::weak_ptr<detail::session_impl> s, std::weak_ptr<detail::torrent> t, info_hash_t ih)
      : session_(std::move(s)), torrent_(std::move(t)), info_hash_(ih) {}
  std::weak_ptr<detail::session_impl> session_;
  std::weak_ptr<detail::torrent> torrent_;
  info_hash_t info_hash_;
};

}  // namespace tessera
