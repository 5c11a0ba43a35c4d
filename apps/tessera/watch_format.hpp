// How `tessera watch` prints the daemon's events (docs/rpc.md, "Event stream"): one line per
// event, for a terminal or, with --json, as JSON. Pure: time is passed in.
#pragma once

#include <cstdint>
#include <ctime>
#include <map>
#include <string>

#include <boost/json/object.hpp>

#include "sse_reader.hpp"
#include "tessera/result.hpp"

namespace tessera::cli {

/// `{"event":<name>,"id":<id>,"data":<data>}` on one line: the id as an integer when it is one,
/// else as text; the data as the JSON it is. Error: the data is not JSON ("the daemon sent an
/// event whose data is not JSON: ...").
result<std::string, std::string> watch_json_line(const sse_event& e);

/// What the terminal form remembers between events: each torrent's name and its latest
/// percentDone and rates (a tick carries only what changed), and the session's rates.
class watch_printer {
 public:
  /// The line for `e` received at `now` (local time "HH:MM:SS", the event's name, then what it
  /// says), without a newline; names from the daemon are made printable. Examples:
  ///   12:00:01  torrent-added     #3 ubuntu.iso
  ///   12:00:02  tick              down 1.20 MB/s  up 0 B/s  #3 ubuntu.iso 45.2% 1.20 MB/s/0 B/s
  /// A tick names at most 5 torrents, then "(+N more)". Error: the data is not a JSON object.
  result<std::string, std::string> line(const sse_event& e, std::time_t now);

 private:
  struct torrent {
    std::string name;
    double percent = 0;
    std::int64_t down = 0, up = 0;
  };
  std::string label(std::int64_t id) const;
  std::map<std::int64_t, torrent> torrents_;
  std::int64_t session_down_ = 0, session_up_ = 0;
};

}  // namespace tessera::cli
