// torrent_daemon's policies that run by themselves: the once-a-second tick (counters, seconds
// downloading/seeding, seeding goals, saving what changed) and the download and seed queues.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "rpc/torrent_daemon.hpp"

namespace tessera::rpc {

namespace {
constexpr std::int64_t full_save_period = 60;  // seconds between saves of counters.json
}  // namespace

bool torrent_daemon::download_queue_full() {
  if (!settings_.boolean("download-queue-enabled")) return false;
  std::int64_t running = 0;
  const auto all = statuses();
  for (auto& [id, x] : torrents_) {
    if (x.record.paused || x.queued || x.forced) continue;
    auto st = all.find(id);
    if (st != all.end() && !st->second.is_finished && st->second.state != torrent_state::error) ++running;
  }
  return running >= settings_.integer("download-queue-size");
}

void torrent_daemon::apply_queue() { apply_queue(statuses(), unix_now()); }

void torrent_daemon::apply_queue(const std::map<int, torrent_status>& statuses, std::int64_t now) {
  queue_limits limits;
  limits.download_enabled = settings_.boolean("download-queue-enabled");
  limits.download_size = settings_.integer("download-queue-size");
  limits.seed_enabled = settings_.boolean("seed-queue-enabled");
  limits.seed_size = settings_.integer("seed-queue-size");
  const bool stall_rule = settings_.boolean("queue-stalled-enabled");
  const std::int64_t stall_after = settings_.integer("queue-stalled-minutes") * 60;
  std::vector<queue_entry> entries;
  for (auto& [id, t] : torrents_) {
    if (t.record.paused) continue;
    auto it = statuses.find(id);
    if (it == statuses.end() || it->second.state == torrent_state::error) continue;
    const auto& st = it->second;
    queue_entry e;
    e.id = id;
    e.position = t.record.queue_position;
    e.wants_download = !t.ti || !st.is_finished;
    e.running = !t.queued;
    const auto since = std::max(t.record.activity_date, t.start_date);
    e.stalled = stall_rule && e.running && since > 0 && now - since > stall_after;
    e.forced = t.forced;
    entries.push_back(e);
  }
  const auto active = choose_active(entries, limits);
  for (const auto& e : entries) {
    auto& t = torrents_.at(e.id);
    const bool run = std::find(active.begin(), active.end(), e.id) != active.end();
    // Queueing is not saved (a restart queues again): recently-active only.
    if (run && t.queued) {
      (void)t.handle.resume();
      t.queued = false;
      t.start_date = t.counted_until = now;
      table_.touch(t.id, now);
    } else if (!run && !t.queued) {
      (void)t.handle.pause();
      t.queued = true;
      t.start_date = 0;
      table_.touch(t.id, now);
    }
  }
}

void torrent_daemon::check_seeding_goals(daemon_torrent& t, const torrent_status& st, std::int64_t now) {
  if (t.record.paused || t.queued || !st.is_finished || st.state == torrent_state::error) return;
  const auto& r = t.record;
  std::optional<double> ratio_limit;
  if (r.seed_ratio_mode == limit_mode::single) {
    ratio_limit = r.seed_ratio_limit;
  } else if (r.seed_ratio_mode == limit_mode::global && settings_.boolean("seedRatioLimited")) {
    ratio_limit = settings_.real("seedRatioLimit");
  }
  std::optional<std::int64_t> idle_minutes;
  if (r.seed_idle_mode == limit_mode::single) {
    idle_minutes = r.seed_idle_limit;
  } else if (r.seed_idle_mode == limit_mode::global && settings_.boolean("idle-seeding-limit-enabled")) {
    idle_minutes = settings_.integer("idle-seeding-limit");
  }
  bool reached = false;
  if (ratio_limit) {
    const auto up = r.uploaded_before + t.run_uploaded;
    const auto down = r.downloaded_before + t.run_downloaded;
    const double base = static_cast<double>(down > 0 ? down : std::max<std::int64_t>(1, st.total_wanted));
    reached = static_cast<double>(up) / base >= *ratio_limit;
  }
  if (!reached && idle_minutes) {
    const auto since = std::max({r.activity_date, t.start_date, r.done_date});
    reached = since > 0 && now - since >= *idle_minutes * 60;
  }
  if (reached) {
    spdlog::info("torrent {} reached its seeding goal, stopping", r.info_hash.to_hex());
    stop_torrent(t);
    t.record.finished = true;
  }
}

void torrent_daemon::fold(const std::map<int, torrent_status>& all, std::int64_t now) {
  for (auto& [id, t] : torrents_) {
    auto found = all.find(id);
    if (found == all.end()) continue;
    const torrent_status& st = found->second;
    // Engine counters are per run of the engine's torrent; fold their growth into ours.
    const auto up = std::max<std::int64_t>(0, st.total_uploaded - t.last_uploaded);
    const auto down = std::max<std::int64_t>(0, st.total_downloaded - t.last_downloaded);
    t.last_uploaded = st.total_uploaded;
    t.last_downloaded = st.total_downloaded;
    t.run_uploaded += up;
    t.run_downloaded += down;
    t.run_corrupt = st.total_failed_bytes;
    if (up > 0 || down > 0) {
      t.record.activity_date = now;
      table_.touch(id, now);
    }
    if (t.start_date > 0 && t.counted_until > 0 && now > t.counted_until) {
      const auto dt = now - t.counted_until;
      if (st.state == torrent_state::seeding || st.is_finished) {
        t.record.seconds_seeding += dt;
      } else if (st.state == torrent_state::downloading || st.state == torrent_state::downloading_metadata) {
        t.record.seconds_downloading += dt;
      }
      t.counted_until = now;
    }
    // The torrent_finished event sets it too; a status seen complete first (or the event lost
    // to a stop) must not leave it unset.
    if (st.is_finished && t.ti && t.record.done_date == 0) {
      t.record.done_date = now;
      changed(t);
    }
  }
}

void torrent_daemon::tick() {
  std::scoped_lock lk(mu_);
  if (stopping_ || !session_) return;
  const auto now = unix_now();
  auto all = statuses();
  fold(all, now);
  for (auto& [id, t] : torrents_) {
    auto found = all.find(id);
    if (found != all.end()) check_seeding_goals(t, found->second, now);
  }
  apply_queue(all, now);
  feed_.tick(*this, all, now);
  for (auto& [id, t] : torrents_) {
    if (t.dirty) save_record(t);
  }
  if (now - last_full_save_ >= full_save_period) {
    last_full_save_ = now;
    save_counters();
    save_stats();
  }
}

void torrent_daemon::save_counters() {
  std::vector<std::pair<info_hash_t, torrent_counters>> all;
  all.reserve(torrents_.size());
  for (const auto& [id, t] : torrents_) {
    const auto& r = t.record;
    all.emplace_back(r.info_hash, torrent_counters{r.uploaded_before + t.run_uploaded, r.downloaded_before + t.run_downloaded,
                                                   r.corrupt_before + t.run_corrupt, r.seconds_downloading,
                                                   r.seconds_seeding, r.activity_date});
  }
  if (auto w = catalogue_.save_counters(all); !w) spdlog::error("cannot save the counters: {}", w.error());
}

}  // namespace tessera::rpc
