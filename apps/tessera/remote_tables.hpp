// Pure renderers of a daemon's replies as the `tessera` verbs print them, and the torrent-get
// field lists they ask for. Every string from the daemon goes through printable(). Sizes and
// rates are 1000-based (kB, MB: Transmission's units); limits in the RPC are kB/s of 1000 B.
#pragma once

#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

namespace tessera::cli {

/// torrent-get fields `tessera list` asks for.
boost::json::array list_fields();
/// torrent-get fields `tessera info` asks for.
boost::json::array info_fields();
/// torrent-get fields `tessera files` asks for.
boost::json::array files_fields();

/// The `tessera list` table (like `transmission-remote -l`) of a torrent-get reply's
/// arguments: columns ID, Done, Have, ETA, Up, Down, Ratio, Status, Name, one row per torrent
/// in ID order, then a "Sum:" row with the total Have, Up and Down. ID is followed by '*' when
/// the torrent has an error. Done is truncated (100% only when complete); Have is
/// sizeWhenDone - leftUntilDone.
std::string render_torrent_list(const boost::json::object& torrent_get_arguments);

/// The `tessera files` table of one torrent object (fields of files_fields()): a title line
/// "NAME (N files):", then columns #, Done, Priority, Get, Size, Name. # is the index `set
/// --want/--skip/--priority` and `add --select` take (0-based).
std::string render_file_list(const boost::json::object& torrent);

/// The `tessera info` text of one torrent object (fields of info_fields()): sections NAME,
/// TRANSFER, HISTORY, ORIGINS, LIMITS, each line "  Key: value" with the keys of a section
/// aligned.
std::string render_torrent_info(const boost::json::object& torrent);

/// The `tessera stats` text of a session-stats reply: torrents, speeds, then CURRENT SESSION and
/// TOTAL (uploaded, downloaded, ratio, time active; TOTAL also the number of sessions).
std::string render_stats(const boost::json::object& session_stats_arguments);

/// The `tessera session` text of a session-get reply: one "key: value" line per key, sorted,
/// keys aligned; strings as they are (made printable), other values as compact JSON.
std::string render_session(const boost::json::object& session_get_arguments);

/// One value as render_session prints it.
std::string session_value_text(const boost::json::value& v);

}  // namespace tessera::cli
