// torrent-get's fields (shared/transmission-rpc.md §7 and §8): one torrent of the daemon as a
// JSON object holding the fields asked for, with Transmission 3.00's names, types and units
// (integers without a fraction, rates in B/s, limits in kB/s, times in Unix seconds). Unknown
// field names are skipped (E8). Fields tessera cannot know yet are left out rather than faked;
// docs/rpc.md lists them. Call with the daemon's mutex held.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "rpc/torrent_daemon.hpp"

namespace tessera::rpc {

/// Transmission's status enum (0 stopped ... 6 seeding) for a torrent's state.
int transmission_status(const daemon_torrent& t, const torrent_status& st);

/// Indexes into torrent_info::files of the files the RPC shows (BEP 47 padding files hidden):
/// the RPC's file index i is the engine's file visible_files(ti)[i].
std::vector<int> visible_files(const torrent_info& ti);

/// The object for one torrent. `st` is its status now (torrent_handle::status()).
boost::json::object torrent_fields(torrent_daemon& d, daemon_torrent& t, const torrent_status& st,
                                   const std::vector<std::string>& fields, std::int64_t now);

/// session-stats' rates and counts over `all` (every torrent's status, torrent_daemon::statuses):
/// {"downloadSpeed", "uploadSpeed" (B/s, stopped torrents not counted), "torrentCount",
/// "activeTorrentCount", "pausedTorrentCount"}. Torrents without a status count only in
/// torrentCount.
boost::json::object session_counts(torrent_daemon& d, const std::map<int, torrent_status>& all);

/// Transmission's `hashString`: 40 lowercase hex digits, the v1 info-hash of a v1 or hybrid
/// torrent, and for a v2-only torrent its SHA-256 info-hash truncated to 20 bytes (the hash its
/// swarm knows, BEP 52). Transmission 4.1 reads v1 and hybrid torrents only (by their v1 data),
/// so this keeps the 40-digit form every RPC client expects.
std::string hash_string(const info_hash_t& ih);

/// A magnet URI for the torrent (xt, dn, every tracker as tr).
std::string magnet_link(const daemon_torrent& t);

}  // namespace tessera::rpc
