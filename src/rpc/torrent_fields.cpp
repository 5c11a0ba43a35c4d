#include "rpc/torrent_fields.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cstdio>
#include <optional>

#include "rpc/base64_text.hpp"
#include "rpc/tracker_list.hpp"

namespace tessera::rpc {

namespace json = boost::json;

int transmission_status(const daemon_torrent& t, const torrent_status& st) {
  if (t.relocating) return 1;  // queued to verify: added again at its new place in a moment
  if (t.record.paused || st.state == torrent_state::error) return 0;  // stopped
  if (t.queued) return t.ti && st.is_finished ? 5 : 3;                 // queued to seed / download
  if (st.is_paused) return 0;
  switch (st.state) {
    case torrent_state::checking: return 2;  // verifying
    case torrent_state::downloading_metadata: return 4;
    case torrent_state::downloading: return st.is_finished ? 6 : 4;  // a finished partial torrent seeds
    case torrent_state::seeding: return 6;
    default: return 0;
  }
}

std::vector<int> visible_files(const torrent_info& ti) {
  std::vector<int> out;
  for (std::size_t i = 0; i < ti.files().size(); ++i) {
    if (!ti.files()[i].pad) out.push_back(static_cast<int>(i));
  }
  return out;
}

namespace {

std::string percent_encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// "ip:port" or "[v6]:port" -> (ip, port).
std::pair<std::string, int> split_endpoint(const std::string& ep) {
  const auto colon = ep.rfind(':');
  if (colon == std::string::npos) return {ep, 0};
  std::string host = ep.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int port = 0;
  for (char c : ep.substr(colon + 1)) {
    if (c < '0' || c > '9' || port > 65535) return {host, 0};
    port = port * 10 + (c - '0');
  }
  return {host, port};
}

// "http://host:port" of a tracker URL (Transmission's `host`).
std::string tracker_host(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const auto end = url.find('/', scheme + 3);
  return url.substr(0, end);
}

// BEP 48's convention (tracker_scrape_url): the last path component "announce..." becomes
// "scrape..."; else none. A udp:// tracker is scraped at its announce URL.
std::string scrape_url(const std::string& announce) { return tracker_scrape_url(announce); }

std::string flag_string(const peer_status& p) {
  std::string f;
  const bool downloading = p.download_rate > 0 && !p.peer_choking;
  const bool uploading = p.upload_rate > 0 && !p.am_choking;
  if (downloading) f += 'D';
  else if (p.am_interested && p.peer_choking) f += 'd';
  if (uploading) f += 'U';
  else if (p.peer_interested && p.am_choking) f += 'u';
  if (!p.peer_choking && !p.am_interested) f += 'K';
  if (!p.am_choking && !p.peer_interested) f += '?';
  if (p.encrypted) f += 'E';
  if (p.utp) f += 'T';
  if (p.incoming) f += 'I';
  return f;
}

template <class T>
T value_or_empty(result<T> r) {
  return r ? std::move(*r) : T{};
}

// What one torrent-get call fetched of a torrent beyond its status, each at most once.
struct lazy_lists {
  daemon_torrent& t;
  std::optional<std::vector<file_status>> files_;
  std::optional<std::vector<peer_status>> peers_;
  std::optional<std::vector<tracker_status>> trackers_;
  std::optional<std::vector<file_priority>> prios_;
  const std::vector<file_status>& files() {
    if (!files_) files_ = value_or_empty(t.handle.files());
    return *files_;
  }
  const std::vector<peer_status>& peers() {
    if (!peers_) peers_ = value_or_empty(t.handle.peers());
    return *peers_;
  }
  const std::vector<tracker_status>& trackers() {
    if (!trackers_) trackers_ = value_or_empty(t.handle.trackers());
    return *trackers_;
  }
  const std::vector<file_priority>& priorities() {
    if (!prios_) prios_ = value_or_empty(t.handle.file_priorities());
    return *prios_;
  }
};

int rpc_priority(file_priority p) {
  if (p == file_priority::high) return 1;
  if (p == file_priority::low) return -1;
  return 0;
}

}  // namespace

std::string hash_string(const info_hash_t& ih) { return ih.best().to_hex(); }

std::string magnet_link(const daemon_torrent& t) {
  // Both xt parameters for a hybrid (BEP 9, BEP 52 "Magnet links": btmh = multihash 0x12 sha2-256,
  // 0x20 bytes).
  const info_hash_t& ih = t.record.info_hash;
  std::string m = "magnet:?";
  if (ih.has_v1()) m += "xt=urn:btih:" + ih.v1.to_hex();
  if (ih.has_v2()) m += std::string(ih.has_v1() ? "&" : "") + "xt=urn:btmh:1220" + ih.v2.to_hex();
  const std::string name = t.ti ? t.ti->name() : t.magnet_name;
  if (!name.empty()) m += "&dn=" + percent_encode(name);
  for (const auto& tr : current_trackers(t)) m += "&tr=" + percent_encode(tr.url);
  return m;
}

json::object session_counts(torrent_daemon& d, const std::map<int, torrent_status>& all) {
  std::int64_t active = 0, paused = 0, down = 0, up = 0;
  for (auto& [id, t] : d.torrents()) {
    auto found = all.find(id);
    if (found == all.end()) continue;
    if (t.record.paused) {
      ++paused;
      continue;  // a stopped torrent moves nothing (its rate estimate decays)
    }
    ++active;
    down += found->second.download_rate;
    up += found->second.upload_rate;
  }
  return json::object{{"downloadSpeed", down},
                      {"uploadSpeed", up},
                      {"torrentCount", static_cast<std::int64_t>(d.torrents().size())},
                      {"activeTorrentCount", active},
                      {"pausedTorrentCount", paused}};
}

json::object torrent_fields(torrent_daemon& d, daemon_torrent& t, const torrent_status& st,
                            const std::vector<std::string>& fields, std::int64_t now) {
  json::object o;
  o.reserve(fields.size());  // hashed lookups from the start (a small object is searched linearly)
  lazy_lists lists{t, {}, {}, {}, {}};
  const auto& r = t.record;
  const torrent_info* ti = t.ti.get();
  const std::int64_t uploaded_ever = r.uploaded_before + t.run_uploaded;
  const std::int64_t downloaded_ever = r.downloaded_before + t.run_downloaded;
  const std::int64_t left = std::max<std::int64_t>(0, st.total_wanted - st.total_wanted_done);
  const int status = transmission_status(t, st);
  auto visible = [&] { return ti ? visible_files(*ti) : std::vector<int>{}; };

  for (const std::string& field : fields) {
    // A view: comparing it with each name below checks the length first, which is most of the
    // cost of this chain when a tick asks 26 fields of 1,000 torrents every second.
    const std::string_view f = field;
    if (o.contains(f)) continue;
    if (f == "id") o[f] = t.id;
    else if (f == "hashString") o[f] = hash_string(r.info_hash);
    else if (f == "name") o[f] = ti ? ti->name() : (t.magnet_name.empty() ? r.info_hash.to_hex() : t.magnet_name);
    else if (f == "magnetLink") o[f] = magnet_link(t);
    else if (f == "torrentFile") o[f] = d.config_dir().string() + "/torrents/" + r.info_hash.to_hex() + ".torrent";
    else if (f == "labels") {
      json::array a;
      for (const auto& l : r.labels) a.emplace_back(l);
      o[f] = std::move(a);
    }
    else if (f == "totalSize") o[f] = st.total_size;
    else if (f == "pieceCount") o[f] = ti ? ti->num_pieces() : 0;
    else if (f == "pieceSize") o[f] = ti ? ti->piece_length() : 0;
    else if (f == "comment") o[f] = ti ? ti->comment() : "";
    else if (f == "creator") o[f] = ti ? ti->created_by() : "";
    else if (f == "dateCreated") o[f] = ti ? ti->creation_date() : 0;
    else if (f == "isPrivate") o[f] = ti && ti->is_private();
    else if (f == "webseeds") {
      json::array a;
      if (ti) {
        for (const auto& w : ti->web_seeds()) a.emplace_back(w);
      }
      o[f] = std::move(a);
    }
    else if (f == "webseedsSendingToUs") {
      // Transmission: web seeds that sent us data in the last moments (a rate above zero).
      std::int64_t n = 0;
      for (const auto& w : st.web_seeds) n += w.download_rate > 0 ? 1 : 0;
      o[f] = n;
    }
    else if (f == "status") o[f] = status;
    else if (f == "error") o[f] = st.state == torrent_state::error ? 3 : (st.tracker_message.empty() ? 0 : 2);
    else if (f == "errorString") {
      o[f] = st.state == torrent_state::error ? st.error
                                              : (st.tracker_message.empty() ? "" : "Tracker gave an error: " + st.tracker_message);
    }
    else if (f == "isFinished") o[f] = r.finished;
    else if (f == "isStalled") {
      const auto since = std::max(r.activity_date, t.start_date);
      const auto stalled = d.settings().integer("queue-stalled-minutes") * 60;
      o[f] = (status == 4 || status == 6) && since > 0 && now - since > stalled;
    }
    else if (f == "queuePosition") o[f] = r.queue_position;
    else if (f == "recheckProgress") {
      o[f] = st.state == torrent_state::checking ? st.checking_progress : 0.0;
    }
    else if (f == "metadataPercentComplete") o[f] = ti ? 1.0 : 0.0;
    else if (f == "percentDone") {
      o[f] = st.total_wanted > 0 ? static_cast<double>(st.total_wanted_done) / static_cast<double>(st.total_wanted)
                                 : (ti ? 1.0 : 0.0);
    }
    else if (f == "sizeWhenDone") o[f] = st.total_wanted;
    else if (f == "leftUntilDone") o[f] = left;
    else if (f == "desiredAvailable") o[f] = st.num_seeds > 0 ? left : 0;  // a lower bound: what a connected seed has
    else if (f == "haveValid") o[f] = st.total_done;
    else if (f == "haveUnchecked") o[f] = 0;  // blocks are held in memory until their piece verifies
    else if (f == "corruptEver") o[f] = r.corrupt_before + t.run_corrupt;
    else if (f == "downloadedEver") o[f] = downloaded_ever;
    else if (f == "uploadedEver") o[f] = uploaded_ever;
    else if (f == "uploadRatio") {
      const auto base = downloaded_ever > 0 ? downloaded_ever : st.total_done;
      o[f] = base > 0 ? static_cast<double>(uploaded_ever) / static_cast<double>(base) : (uploaded_ever > 0 ? -2 : -1);
    }
    else if (f == "eta") {
      auto eta = st.eta();
      o[f] = status == 4 && eta ? static_cast<std::int64_t>(eta->count()) : -1;
    }
    else if (f == "etaIdle") o[f] = -1;
    else if (f == "rateDownload") o[f] = status == 0 ? 0 : st.download_rate;  // the estimate decays; a stopped torrent moves nothing
    else if (f == "rateUpload") o[f] = status == 0 ? 0 : st.upload_rate;
    else if (f == "peersConnected") o[f] = st.num_peers;
    else if (f == "peersGettingFromUs") o[f] = st.peers_getting_from_us;
    else if (f == "peersSendingToUs") o[f] = st.peers_sending_to_us;
    else if (f == "addedDate") o[f] = r.added_date;
    else if (f == "startDate") o[f] = t.start_date;
    else if (f == "doneDate") o[f] = r.done_date;
    else if (f == "activityDate") o[f] = r.activity_date;
    else if (f == "editDate") o[f] = 0;
    else if (f == "manualAnnounceTime") o[f] = 0;
    else if (f == "secondsDownloading") o[f] = r.seconds_downloading;
    else if (f == "secondsSeeding") o[f] = r.seconds_seeding;
    else if (f == "downloadDir") o[f] = r.download_dir;
    else if (f == "downloadLimit") o[f] = r.download_limit_kbps;
    else if (f == "downloadLimited") o[f] = r.download_limited;
    else if (f == "uploadLimit") o[f] = r.upload_limit_kbps;
    else if (f == "uploadLimited") o[f] = r.upload_limited;
    else if (f == "honorsSessionLimits") o[f] = r.honors_session_limits;
    else if (f == "bandwidthPriority") o[f] = r.bandwidth_priority;
    else if (f == "peer-limit" || f == "maxConnectedPeers") o[f] = r.peer_limit;
    else if (f == "seedRatioLimit") o[f] = r.seed_ratio_limit;
    else if (f == "seedRatioMode") o[f] = static_cast<int>(r.seed_ratio_mode);
    else if (f == "seedIdleLimit") o[f] = r.seed_idle_limit;
    else if (f == "seedIdleMode") o[f] = static_cast<int>(r.seed_idle_mode);
    else if (f == "fileCount") o[f] = static_cast<std::int64_t>(visible().size());
    else if (f == "files" || f == "fileStats" || f == "priorities" || f == "wanted") {
      json::array a;
      const auto& files = lists.files();
      const auto& prios = lists.priorities();
      for (int i : visible()) {
        const auto idx = static_cast<std::size_t>(i);
        const std::int64_t done = idx < files.size() ? files[idx].done : 0;
        const file_priority p = idx < prios.size() ? prios[idx] : file_priority::normal;
        if (f == "files") {
          a.emplace_back(json::object{{"bytesCompleted", done}, {"length", ti->files()[idx].size}, {"name", ti->files()[idx].path}});
        } else if (f == "fileStats") {
          a.emplace_back(json::object{{"bytesCompleted", done}, {"wanted", p != file_priority::skip}, {"priority", rpc_priority(p)}});
        } else if (f == "priorities") {
          a.emplace_back(rpc_priority(p));
        } else {
          a.emplace_back(p != file_priority::skip ? 1 : 0);  // 0/1 integers, not booleans (§8)
        }
      }
      o[f] = std::move(a);
    }
    else if (f == "trackers") {
      // The daemon's list: no visit to the engine (the web client asks this of every torrent).
      json::array a;
      for (const auto& tr : current_trackers(t)) {
        a.emplace_back(json::object{{"announce", tr.url}, {"id", tr.id}, {"scrape", scrape_url(tr.url)}, {"tier", tr.tier}});
      }
      o[f] = std::move(a);
    }
    else if (f == "trackerStats") {
      json::array a;
      const auto& engine = lists.trackers();
      for (const auto& entry : current_trackers(t)) {
        tracker_status tr;  // the engine's outcome for this URL (none yet: a fresh status)
        for (const auto& e : engine) {
          if (e.url == entry.url) tr = e;
        }
        tr.url = entry.url;
        json::object x{{"announce", tr.url}, {"id", entry.id}, {"scrape", scrape_url(tr.url)}, {"tier", entry.tier}};
        const bool ok = tr.announces > 0 && tr.failures == 0;
        x["announceState"] = status == 0 ? 0 : 1;
        // The last successful scrape's figures (the primary swarm's: v1, else v2), else the
        // last announce reply's, else -1 (Transmission 3.00's "unknown").
        const bool scraped = tr.scrapes > 0;
        x["downloadCount"] = tr.scrape.downloaded;
        x["hasAnnounced"] = tr.announces > 0 || tr.failures > 0;
        x["hasScraped"] = tr.last_scrape != 0;
        x["host"] = tracker_host(tr.url);
        x["isBackup"] = false;
        x["lastAnnouncePeerCount"] = tr.peers;
        x["lastAnnounceResult"] = tr.message.empty() ? (tr.announces > 0 ? "Success" : "") : tr.message;
        x["lastAnnounceStartTime"] = 0;
        x["lastAnnounceSucceeded"] = ok;
        x["lastAnnounceTime"] = tr.last_announce;
        x["lastAnnounceTimedOut"] = false;
        x["lastScrapeResult"] = tr.scrape_error.empty() ? (tr.scrape_succeeded ? "Success" : "") : tr.scrape_error;
        x["lastScrapeStartTime"] = tr.last_scrape_start;
        x["lastScrapeSucceeded"] = tr.scrape_succeeded;
        x["lastScrapeTime"] = tr.last_scrape;
        x["lastScrapeTimedOut"] = tr.scrape_timed_out;
        x["leecherCount"] = scraped && tr.scrape.incomplete >= 0 ? tr.scrape.incomplete : tr.leechers.value_or(-1);
        x["nextAnnounceTime"] = tr.next_announce;
        x["nextScrapeTime"] = tr.next_scrape;
        x["scrapeState"] = static_cast<int>(tr.scrape_state);
        x["seederCount"] = scraped && tr.scrape.complete >= 0 ? tr.scrape.complete : tr.seeders.value_or(-1);
        a.emplace_back(std::move(x));
      }
      o[f] = std::move(a);
    }
    else if (f == "pieces") {
      // Asked for only by `transmission-remote -ic` and clients that ask for every field: one
      // visit to the engine for this torrent, none when the field is not asked for.
      auto bits = value_or_empty(t.handle.have_pieces());
      o[f] = detail::base64_encode(std::string_view(reinterpret_cast<const char*>(bits.data()), bits.size()));
    }
    else if (f == "peersFrom") {
      std::int64_t from[6] = {};  // indexed by peer_origin
      for (const auto& p : lists.peers()) ++from[static_cast<int>(p.origin)];
      auto n = [&](peer_origin origin) { return from[static_cast<int>(origin)]; };
      o[f] = json::object{{"fromCache", n(peer_origin::user)}, {"fromDht", n(peer_origin::dht)},
                          {"fromIncoming", n(peer_origin::incoming)}, {"fromLpd", n(peer_origin::lsd)},
                          {"fromLtep", 0}, {"fromPex", n(peer_origin::pex)},
                          {"fromTracker", n(peer_origin::tracker)}};
    }
    else if (f == "peers") {
      json::array a;
      for (const auto& p : lists.peers()) {
        auto [host, port] = split_endpoint(p.endpoint);
        a.emplace_back(json::object{
            {"address", host},
            {"clientName", p.client},
            {"clientIsChoked", p.am_choking},
            {"clientIsInterested", p.am_interested},
            {"flagStr", flag_string(p)},
            {"isDownloadingFrom", p.download_rate > 0 && !p.peer_choking},
            {"isEncrypted", p.encrypted},
            {"isIncoming", p.incoming},
            {"isUploadingTo", p.upload_rate > 0 && !p.am_choking},
            {"isUTP", p.utp},
            {"peerIsChoked", p.peer_choking},
            {"peerIsInterested", p.peer_interested},
            {"port", port},
            {"progress", st.num_pieces > 0 ? static_cast<double>(p.pieces) / st.num_pieces : 0.0},
            {"rateToClient", p.download_rate},
            {"rateToPeer", p.upload_rate},
        });
      }
      o[f] = std::move(a);
    }
    // anything else: not a field tessera has (E8), skipped
  }
  return o;
}

}  // namespace tessera::rpc
