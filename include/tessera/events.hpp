// The session's typed events. Every event names its torrent by info-hash. They are delivered on
// the session's event thread (see session::set_event_handler, torrent_handle::set_event_handler).
#pragma once

#include <string>
#include <variant>

#include "tessera/torrent_status.hpp"
#include "tessera/types.hpp"

namespace tessera {

namespace events {
struct torrent_added { sha1_hash info_hash; };
/// The start-up check of data already on disk ended: `pieces_present` of `num_pieces` verified.
struct torrent_checked { sha1_hash info_hash; int pieces_present = 0; int num_pieces = 0; };
struct torrent_finished { sha1_hash info_hash; };                    ///< completed: every piece verified
struct torrent_error { sha1_hash info_hash; std::string message; };  ///< torrent stopped
/// Every tracker of every tier failed in one round and no peer is connected.
struct tracker_error { sha1_hash info_hash; std::string message; };
struct piece_verified { sha1_hash info_hash; piece_index piece; };
/// A magnet torrent's info dictionary arrived and passed the info-hash check (BEP 9): the torrent
/// now has a name, pieces and files, and checks its data next.
struct metadata_received { sha1_hash info_hash; std::string name; };
struct peer_connected { sha1_hash info_hash; std::string endpoint; std::string client; };
struct peer_disconnected { sha1_hash info_hash; std::string endpoint; std::string reason; };
/// The torrent left the session (session::remove_torrent); `data_deleted` when its files were
/// deleted too. Its handles fail from now on.
struct torrent_removed { sha1_hash info_hash; bool data_deleted = false; };
struct torrent_paused { sha1_hash info_hash; };
struct torrent_resumed { sha1_hash info_hash; };
/// The torrent's state changed (not sent for `paused`, which has its own events).
struct state_changed { sha1_hash info_hash; torrent_state from{}; torrent_state to{}; };
/// A tracker answered an announce with `peers` peers.
struct tracker_reply { sha1_hash info_hash; std::string url; int peers = 0; };
/// Every piece of file `file` (metainfo order) was downloaded and verified in this session.
struct file_completed { sha1_hash info_hash; file_index file; };
/// move_storage finished: the data now lives under `path`; `error` is empty on success, else
/// says why the move failed (the data then stays where it was).
struct storage_moved { sha1_hash info_hash; std::string path; std::string error; };
}  // namespace events

using event = std::variant<events::torrent_added, events::torrent_checked, events::torrent_finished, events::torrent_error,
                           events::tracker_error, events::piece_verified, events::peer_connected,
                           events::peer_disconnected, events::metadata_received, events::torrent_removed,
                           events::torrent_paused, events::torrent_resumed, events::state_changed,
                           events::tracker_reply, events::file_completed, events::storage_moved>;

}  // namespace tessera
