// A torrent's tracker list as the RPC sees it, and Transmission 3.00's edits of it (torrent-set
// trackerAdd / trackerRemove / trackerReplace; shared/transmission-rpc.md §4). Tracker ids are
// the daemon's: the metainfo's (or the magnet's) trackers get 0, 1, ... in their order; an added
// tracker gets the next unused id; a replaced one keeps its id; ids of removed trackers are not
// given again. (3.00 numbered trackers by position, so its ids moved when one was removed; 4.x
// keeps them, as here.) Pure apart from current_trackers, which reads the daemon's torrent.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <vector>

#include "rpc/catalogue.hpp"

namespace tessera::rpc {

struct daemon_torrent;

/// The torrent's list: its record's edited list, else the metainfo's trackers, else the magnet
/// link's (each `tr` its own tier). Tiers dense from 0, in tier order.
std::vector<tracker_entry> current_trackers(const daemon_torrent& t);
/// The id the next added tracker of `t` gets.
int next_tracker_id(const daemon_torrent& t);

/// The list as tiers of URLs (tessera::torrent_handle::replace_trackers).
std::vector<std::vector<std::string>> tracker_tiers(const std::vector<tracker_entry>& list);

/// One edit of `list` (each as Transmission 3.00: what cannot apply is skipped). Returns false,
/// leaving `list` and `next_id` as they were, when nothing applied ("invalid argument").
/// trackerAdd: `urls` a list of URL strings; each valid (is_valid_tracker_url) URL not in the
/// list yet is added in a tier of its own after the others, with id next_id++.
bool add_trackers(std::vector<tracker_entry>& list, int& next_id, const boost::json::value& urls);
/// trackerRemove: `ids` a list of tracker ids; those in the list are removed.
bool remove_trackers(std::vector<tracker_entry>& list, const boost::json::value& ids);
/// trackerReplace: `pairs` a flat list [id, url, id, url, ...]; for each pair whose id is in the
/// list and whose URL is valid and not another tracker's, the tracker's URL becomes `url`
/// (same id, same tier).
bool replace_trackers(std::vector<tracker_entry>& list, const boost::json::value& pairs);

}  // namespace tessera::rpc
