// The session's typed events. Every event names its torrent by its info-hashes (info_hash_t:
// v1 and/or v2, as torrent_status::info_hash). They are delivered on
// the session's event thread (see session::set_event_handler, torrent_handle::set_event_handler).
// Plain values: a handler may copy or keep them. Endpoints are "ip:port" ("[v6]:port").
//
// The queue between the engine and the handlers is bounded (docs/hardening.md, "Event queue").
// Events are of two kinds:
// - droppable: piece_verified, peer_connected, peer_disconnected, tracker_reply, tracker_error,
//   file_completed. They come with traffic and time, so a handler that falls behind could queue
//   them without end. At most session_settings::event_queue_size of them wait at once; one more
//   drops the OLDEST droppable event waiting, and an events_dropped event says so. What they tell
//   can be read again from torrent_handle::status, file_statuses, peer_statuses, tracker_statuses.
// - must-deliver: every other kind. Never dropped, never counted against event_queue_size. Each
//   follows a call of the user (add, remove, pause, resume, recheck, move, priorities) or a one-way
//   step of a torrent (checked, metadata received, finished, error), so only a few wait per torrent
//   and per call, however much traffic there is.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "tessera/torrent_status.hpp"
#include "tessera/types.hpp"

namespace tessera {

namespace events {
/// session::add_torrent accepted the torrent; the check of data on disk starts next.
struct torrent_added { info_hash_t info_hash; };
/// The start-up check of data already on disk ended: `pieces_present` of `num_pieces` verified.
struct torrent_checked { info_hash_t info_hash; int pieces_present = 0; int num_pieces = 0; };
/// Completed: every wanted piece (priority > 0) verified -- every piece when nothing is skipped.
/// Also sent when the data was complete on disk already, and again after an unskipped file is done.
struct torrent_finished { info_hash_t info_hash; };
/// The torrent stopped in torrent_state::error; `message` is torrent_status::error (e.g. a
/// storage_error's message()). Other torrents go on.
struct torrent_error { info_hash_t info_hash; std::string message; };
/// Every tracker of every tier failed in one round and no peer is connected. Droppable.
struct tracker_error { info_hash_t info_hash; std::string message; };
/// Piece `piece` passed its SHA-1 check (BEP 3) and is written. Droppable.
struct piece_verified { info_hash_t info_hash; piece_index piece; };
/// A magnet torrent's info dictionary arrived and passed the info-hash check (BEP 9): the torrent
/// now has a name, pieces and files, and checks its data next.
struct metadata_received { info_hash_t info_hash; std::string name; };
/// A peer finished the handshake (either direction); `client` is read from its peer id (BEP 20).
/// Droppable.
struct peer_connected { info_hash_t info_hash; std::string endpoint; std::string client; };
/// A connected peer went away; `reason` is the error's message (e.g. "End of file").
/// Droppable.
struct peer_disconnected { info_hash_t info_hash; std::string endpoint; std::string reason; };
/// A removed torrent (session::remove_torrent) finished stopping in the background: `stopped`
/// announced, files closed, and `data_deleted` when its files were deleted too. Its handles
/// failed already since remove_torrent returned; its info-hash may be added again from now on.
struct torrent_removed { info_hash_t info_hash; bool data_deleted = false; };
/// torrent_handle::pause took effect (connections closed, `stopped` announced). Not sent for the
/// quiet pause while move_storage moves the files.
struct torrent_paused { info_hash_t info_hash; };
/// torrent_handle::resume took effect (announces and connections start again).
struct torrent_resumed { info_hash_t info_hash; };
/// The torrent's state changed (not sent for `paused`, which has its own events).
struct state_changed { info_hash_t info_hash; torrent_state from{}; torrent_state to{}; };
/// A tracker answered an announce with `peers` peers. Droppable.
struct tracker_reply { info_hash_t info_hash; std::string url; int peers = 0; };
/// Every piece of file `file` (metainfo order) was downloaded and verified in this session.
/// Droppable.
struct file_completed { info_hash_t info_hash; file_index file; };
/// move_storage finished: the data now lives under `path`; `error` is empty on success, else
/// says why the move failed (the data then stays where it was).
struct storage_moved { info_hash_t info_hash; std::string path; std::string error; };
/// Droppable events were dropped because the handlers fell behind (like libtorrent's
/// alerts_dropped_alert). Delivered before the next event after the drops: to the session-wide
/// handler with an all-zero `info_hash` and `count` = events of every torrent dropped since the
/// previous events_dropped; to a torrent's own handler with its info-hash and `count` = that
/// torrent's events dropped since then. `total`: events dropped since the session started.
/// Re-read the status calls for what the dropped events said. Never itself dropped.
struct events_dropped { info_hash_t info_hash; std::uint64_t count = 0; std::uint64_t total = 0; };
}  // namespace events

/// Any one event; visit it or test with std::holds_alternative / std::get_if.
using event = std::variant<events::torrent_added, events::torrent_checked, events::torrent_finished, events::torrent_error,
                           events::tracker_error, events::piece_verified, events::peer_connected,
                           events::peer_disconnected, events::metadata_received, events::torrent_removed,
                           events::torrent_paused, events::torrent_resumed, events::state_changed,
                           events::tracker_reply, events::file_completed, events::storage_moved,
                           events::events_dropped>;

}  // namespace tessera
