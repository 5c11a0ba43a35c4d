// What the daemon publishes on its event stream (docs/rpc.md, "Event stream"): typed events at
// once (torrent-added, torrent-removed, torrent-finished, torrent-error, metadata-received,
// torrent-state) and, once a second while anyone listens, a `tick` with what changed since the
// previous one. Values are torrent-get's (rpc/torrent_fields), so the spelling and the numbers
// are exactly what torrent-get answers.
//
// tick_diff is the pure part (what was last sent per torrent, and the delta of a new snapshot),
// tested without a daemon. event_feed is the daemon's side: it lives in torrent_daemon and every
// call expects the daemon's mutex held. Nothing is computed while the hub has no subscriber.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/torrent_status.hpp"

namespace tessera::rpc {

class event_hub;
class torrent_daemon;
struct daemon_torrent;

/// The torrent fields a tick carries (docs/rpc.md), in torrent-get's spelling.
const std::vector<std::string>& tick_fields();

/// What was last sent of every torrent and of the session, and the delta of a new snapshot.
/// Not thread-safe (the daemon's mutex guards it).
class tick_diff {
 public:
  /// A torrent whose `status` changed (it was known before).
  struct state_change {
    std::int64_t id = 0;
    boost::json::value status, previous;
  };
  /// A torrent whose error became non-zero, or whose error text changed while non-zero.
  struct error_change {
    std::int64_t id = 0;
    boost::json::value error, error_string;
  };
  struct delta {
    /// The torrents that changed, each {"id": id, <changed field>: value, ...}; a torrent not
    /// known before carries every field it was given. Ordered by id.
    boost::json::array torrents;
    std::vector<state_change> states;
    std::vector<error_change> errors;
    /// The whole session object, when one of its values changed (or on the first update).
    std::optional<boost::json::object> session;
    /// True when there is nothing to send.
    bool empty() const { return torrents.empty() && !session; }
  };

  /// Diffs `current` (torrent id -> its tick fields now, without "id") and `session` against what
  /// was sent, and records them as sent. Torrents absent from `current` are left as they were
  /// (see forget).
  delta update(const std::map<std::int64_t, boost::json::object>& current, const boost::json::object& session);

  /// The value of `field` last sent for torrent `id`, or null when none was.
  const boost::json::value* sent(std::int64_t id, std::string_view field) const;
  /// Records `value` as sent for torrent `id`'s `field` (by an event outside a tick), so the next
  /// tick does not repeat it. Ignored for a torrent not sent yet (its first tick sends it whole).
  void note(std::int64_t id, std::string_view field, const boost::json::value& value);
  /// Forgets torrent `id` (removed): were it to come back, it would be sent whole.
  void forget(std::int64_t id);
  /// Forgets everything: the next update sends every torrent whole, and the session.
  void clear();
  /// The torrent ids known; for pruning and tests.
  std::vector<std::int64_t> known() const;

 private:
  std::map<std::int64_t, boost::json::object> sent_;
  std::optional<boost::json::object> session_;
};

/// The daemon's publisher. Every member expects the daemon's mutex held.
class event_feed {
 public:
  /// `hub` null: the daemon publishes nothing (no event stream).
  explicit event_feed(std::shared_ptr<event_hub> hub);

  /// True while the hub has a subscriber; the daemon skips all event work otherwise.
  bool active() const;

  /// torrent-added {"id","name","hashString"} (torrent-add; not for torrents loaded at start).
  void added(torrent_daemon& d, daemon_torrent& t, std::int64_t now);
  /// torrent-removed {"id"}; the torrent is forgotten by the ticks.
  void removed(std::int64_t id);
  /// torrent-finished {"id","name","status"} (engine event), then status_event's events.
  void finished(torrent_daemon& d, daemon_torrent& t, const torrent_status& st, std::int64_t now);
  /// metadata-received {"id","name"} (engine event).
  void metadata_received(torrent_daemon& d, daemon_torrent& t, const torrent_status& st, std::int64_t now);
  /// At an engine event that may change a torrent's status or error (state changed, paused,
  /// resumed, checked, error): torrent-state and torrent-error at once when they changed since
  /// last sent.
  void status_event(torrent_daemon& d, daemon_torrent& t, const torrent_status& st, std::int64_t now);
  /// Once a second: torrent-state and torrent-error for the changes the tick finds, then `tick`
  /// when anything changed. `all`: every torrent's status (torrent_daemon::statuses). While there
  /// is no subscriber it only forgets what was sent, so the first tick after one connects
  /// carries every torrent whole.
  void tick(torrent_daemon& d, const std::map<int, torrent_status>& all, std::int64_t now);

  /// The hub (may be null).
  const std::shared_ptr<event_hub>& hub() const { return hub_; }

 private:
  void publish(std::string_view name, const boost::json::object& data);
  void publish_changes(const std::vector<tick_diff::state_change>& states,
                       const std::vector<tick_diff::error_change>& errors);

  std::shared_ptr<event_hub> hub_;
  tick_diff diff_;
};

}  // namespace tessera::rpc
