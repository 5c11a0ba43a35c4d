#include "rpc/torrent_daemon.hpp"

#include "core/encryption_mode.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "disk/resume_data.hpp"
#include "rpc/json_args.hpp"
#include "rpc/torrent_fields.hpp"
#include "rpc/tracker_list.hpp"
#include "tessera/magnet.hpp"

namespace tessera::rpc {

namespace fs = std::filesystem;
namespace json = boost::json;

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

namespace {

fs::path settings_path(const fs::path& config_dir) { return config_dir / "settings.json"; }
fs::path stats_path(const fs::path& config_dir) { return config_dir / "stats.json"; }

transfer_stats load_stats(const fs::path& path) {
  transfer_stats s;
  auto text = detail::read_small_file(path, 1 << 16);
  if (!text) return s;
  std::error_code ec;
  json::value v = json::parse(*text, ec);
  if (ec || !v.is_object()) return s;
  const auto& o = v.get_object();
  s.uploaded = std::max<std::int64_t>(0, arg_int(o, "uploaded-bytes").value_or(0));
  s.downloaded = std::max<std::int64_t>(0, arg_int(o, "downloaded-bytes").value_or(0));
  s.files_added = std::max<std::int64_t>(0, arg_int(o, "files-added").value_or(0));
  s.session_count = std::max<std::int64_t>(0, arg_int(o, "session-count").value_or(0));
  s.seconds_active = std::max<std::int64_t>(0, arg_int(o, "seconds-active").value_or(0));
  return s;
}
}  // namespace

std::shared_ptr<const torrent_info> renamed_info(std::shared_ptr<const torrent_info> ti, const torrent_record& r) {
  if (!ti || r.renames.empty()) return ti;
  torrent_info copy = *ti;
  for (const auto& [path, name] : r.renames) {
    if (auto done = rename_torrent_path(copy, path, name)) {
      copy = std::move(*done);
    } else {
      spdlog::warn("torrent {}: the rename of {} to {} no longer applies: {}", r.info_hash.to_hex(), path, name,
                   done.error().message());
    }
  }
  return std::make_shared<const torrent_info>(std::move(copy));
}

torrent_daemon::torrent_daemon(daemon_options options)
    : options_(std::move(options)), catalogue_(options_.config_dir / "torrents"), feed_(options_.events) {}

torrent_daemon::~torrent_daemon() { stop(); }

daemon_torrent* torrent_daemon::find(int id) {
  auto it = torrents_.find(id);
  return it == torrents_.end() ? nullptr : &it->second;
}

std::map<int, torrent_status> torrent_daemon::statuses() {
  std::map<int, torrent_status> out;
  if (!session_) return out;
  for (auto& st : session_->get_torrent_status()) {
    if (auto id = table_.id_of(st.info_hash); id && torrents_.count(*id)) out.emplace(*id, std::move(st));
  }
  return out;
}

daemon_torrent* torrent_daemon::find_hash(const info_hash_t& ih) {
  auto id = table_.id_of(ih);
  return id ? find(*id) : nullptr;
}

session_settings torrent_daemon::engine_settings() const {
  session_settings s;
  s.listen_port = static_cast<std::uint16_t>(std::clamp<std::int64_t>(settings_.integer("peer-port"), 0, 65535));
  s.listen_interface = settings_.string("bind-address-ipv4");
  s.max_connections = static_cast<int>(std::clamp<std::int64_t>(settings_.integer("peer-limit-global"), 1, 100000));
  s.max_connections_per_torrent =
      static_cast<int>(std::clamp<std::int64_t>(settings_.integer("peer-limit-per-torrent"), 1, 100000));
  s.enable_dht = settings_.boolean("dht-enabled");
  s.enable_pex = settings_.boolean("pex-enabled");
  s.enable_lsd = settings_.boolean("lpd-enabled");
  s.encryption = detail::from_transmission(settings_.string("encryption")).value_or(encryption_mode::enabled);
  if (options_.encryption) s.encryption = *options_.encryption;
  s.enable_utp = settings_.boolean("utp-enabled");
  s.dht_bootstrap_nodes = settings_.strings("dht-bootstrap-nodes");
  s.dht_state_file = settings_.string("dht-state-file");
  if (s.dht_state_file.empty()) s.dht_state_file = (options_.config_dir / "dht.dat").string();
  s.disk_threads = static_cast<int>(std::clamp<std::int64_t>(settings_.integer("disk-threads"), 1, 64));
  s.state_dir = catalogue_.dir().string();
  s.max_open_files = static_cast<int>(std::clamp<std::int64_t>(settings_.integer("max-open-files"), 4, 4096));
  return s;
}

result<bool, std::string> torrent_daemon::start(std::vector<std::string>& problems) {
  if (auto r = start_locked(problems); !r) return r;
  // Outside mu_: the event dispatcher calls the handler under its own lock, and the handler
  // takes mu_; taking the dispatcher's lock under mu_ would invert that order. Restoring needs
  // no event.
  session_->set_event_handler([this](const event& e) { on_event(e); });
  return true;
}

result<bool, std::string> torrent_daemon::start_locked(std::vector<std::string>& problems) {
  std::scoped_lock lk(mu_);
  std::error_code ec;
  fs::create_directories(options_.config_dir, ec);
  if (ec) return unexpected{"mkdir " + options_.config_dir.string() + ": " + ec.message()};
  if (auto r = settings_.load(settings_path(options_.config_dir), problems); !r) return unexpected{r.error()};
  if (options_.download_dir) settings_.set("download-dir", json::value(*options_.download_dir));
  if (options_.peer_port) settings_.set("peer-port", json::value(std::int64_t{*options_.peer_port}));
  if (options_.encryption) {
    settings_.set("encryption", json::value(std::string(detail::to_transmission(*options_.encryption))));
  }
  if (options_.no_utp) settings_.set("utp-enabled", json::value(false));
  if (options_.rpc_bind) settings_.set("rpc-bind-address", json::value(*options_.rpc_bind));
  if (options_.rpc_port) settings_.set("rpc-port", json::value(std::int64_t{*options_.rpc_port}));
  if (!fs::path(settings_.string("download-dir")).is_absolute()) {
    return unexpected{"download-dir \"" + settings_.string("download-dir") + "\" is not an absolute path"};
  }
  if (auto r = settings_.save(settings_path(options_.config_dir)); !r) return unexpected{r.error()};
  if (auto r = catalogue_.open(); !r) return unexpected{r.error()};

  cumulative_before_ = load_stats(stats_path(options_.config_dir));
  run_.session_count = 1;
  started_at_ = unix_now();
  last_full_save_ = started_at_;

  session_ = std::make_unique<tessera::session>(engine_settings());
  apply_runtime_settings();
  auto loaded = catalogue_.load_all(problems);
  for (auto& l : loaded) restore(std::move(l), problems);
  apply_queue();
  save_stats();
  return true;
}

void torrent_daemon::stop() {
  {
    std::scoped_lock lk(mu_);
    if (stopping_ || !session_) return;
    stopping_ = true;
    fold(statuses(), unix_now());  // the counters and done dates up to now
  }
  // Outside the mutex: stopping delivers the last events, whose handler takes it.
  session_->stop();
  std::scoped_lock lk(mu_);
  stopped_ = true;
  for (auto& [id, t] : torrents_) {
    if (t.dirty) save_record(t);
  }
  save_counters();
  save_stats();
}

void torrent_daemon::restore(catalogue::loaded&& l, std::vector<std::string>& problems) {
  daemon_torrent t;
  t.record = std::move(l.record);
  if (!l.torrent_bytes.empty()) {
    auto ti = parse_torrent(std::string_view(l.torrent_bytes));
    if (!ti || !ti->info_hash().same_torrent(t.record.info_hash)) {
      problems.push_back(catalogue_.torrent_path(t.record.info_hash).string() + ": not the torrent's metainfo, skipped");
      return;
    }
    t.ti = renamed_info(std::make_shared<const torrent_info>(std::move(*ti)), t.record);
  }
  if (!t.ti) {
    auto m = add_torrent_params::from_magnet(t.record.magnet_uri, t.record.download_dir);
    if (!m || !m->info_hash.same_torrent(t.record.info_hash)) {
      problems.push_back("torrent " + t.record.info_hash.to_hex() + ": bad magnet link in its record, skipped");
      return;
    }
    t.magnet_name = m->name;
  }
  // Started torrents come back queued (engine paused, data checked); the queue starts the first
  // ones at once (start() ends with apply_queue).
  t.queued = !t.record.paused;
  const bool paused = true;
  t.id = table_.add(t.record.info_hash, unix_now());
  auto h = add_to_session(t, paused);
  if (!h) {
    problems.push_back("torrent " + t.record.info_hash.to_hex() + ": " + h.error());
    table_.remove(t.id, unix_now());
    return;
  }
  t.handle = *h;
  auto id = t.id;
  torrents_.emplace(id, std::move(t));
  apply_torrent_limits(torrents_.at(id));
}

result<torrent_handle, std::string> torrent_daemon::add_to_session(daemon_torrent& t, bool paused) {
  add_torrent_params p;
  if (t.ti) {
    p.ti = t.ti;
  } else {
    auto m = add_torrent_params::from_magnet(t.record.magnet_uri, t.record.download_dir);
    if (!m) return unexpected{std::string("invalid magnet link")};
    p = std::move(*m);
  }
  p.save_path = t.record.download_dir;
  // An edited tracker list replaces the metainfo's before the torrent may announce: added
  // paused, edited, then resumed.
  const bool edited = t.record.trackers.has_value();
  p.paused = paused || edited;
  for (int prio : t.record.file_priorities) p.file_priorities.push_back(static_cast<file_priority>(prio));
  std::string message;
  auto h = session_->add_torrent(std::move(p), &message);
  if (!h) return unexpected{message.empty() ? h.error().message() : message};
  if (edited) {
    if (auto r = h->replace_trackers(tracker_tiers(*t.record.trackers)); !r) {
      spdlog::warn("torrent {}: its edited tracker list is refused ({}); the metainfo's is used",
                   t.record.info_hash.to_hex(), r.error().message());
      t.record.trackers.reset();
    }
    if (!paused) (void)h->resume();
  }
  return *h;
}

result<add_outcome, std::string> torrent_daemon::add(const add_request& req) {
  daemon_torrent t;
  if (!req.torrent_bytes.empty()) {
    auto ti = parse_torrent(std::string_view(req.torrent_bytes));
    if (!ti) return unexpected{std::string("invalid or corrupt torrent file")};
    t.ti = std::make_shared<const torrent_info>(std::move(*ti));
    t.record.info_hash = t.ti->info_hash();
  } else {
    auto m = add_torrent_params::from_magnet(req.magnet, "/");
    if (!m) return unexpected{std::string("invalid or corrupt torrent file")};
    t.record.info_hash = m->info_hash;
    t.record.magnet_uri = req.magnet;
    t.magnet_name = m->name;
  }
  if (auto* dup = find_hash(t.record.info_hash)) {
    add_outcome o;
    o.id = dup->id;
    o.name = dup->ti ? dup->ti->name() : dup->magnet_name;
    o.info_hash = dup->record.info_hash;
    o.duplicate = true;
    return o;
  }
  const std::string dir = req.download_dir.value_or(settings_.string("download-dir"));
  if (!fs::path(dir).is_absolute()) return unexpected{std::string("download directory path is not absolute")};
  t.record.download_dir = fs::path(dir).lexically_normal().string();
  const bool paused = req.paused.value_or(!settings_.boolean("start-added-torrents"));
  t.record.paused = paused;
  t.record.added_date = unix_now();
  t.record.labels = req.labels;
  // Transmission's defaults for a new torrent: the session's per-torrent peer limit, normal priority.
  t.record.peer_limit = static_cast<int>(std::clamp<std::int64_t>(
      req.peer_limit.value_or(settings_.integer("peer-limit-per-torrent")), 1, 10000));
  t.record.bandwidth_priority = static_cast<int>(std::clamp<std::int64_t>(req.bandwidth_priority.value_or(0), -1, 1));
  t.record.queue_position = static_cast<int>(torrents_.size());
  if (t.ti) {
    // RPC file indexes count the files the RPC shows (padding files hidden).
    const auto visible = visible_files(*t.ti);
    const auto n = static_cast<std::int64_t>(visible.size());
    std::vector<int> prios(t.ti->files().size(), static_cast<int>(file_priority::normal));
    auto apply = [&](const std::vector<std::int64_t>& idx, file_priority p) {
      for (auto i : idx) {
        if (i >= 0 && i < n) prios[static_cast<std::size_t>(visible[static_cast<std::size_t>(i)])] = static_cast<int>(p);
      }
    };
    apply(req.priority_low, file_priority::low);
    apply(req.priority_high, file_priority::high);
    apply(req.priority_normal, file_priority::normal);
    apply(req.files_unwanted, file_priority::skip);
    if (std::any_of(prios.begin(), prios.end(), [](int p) { return p != static_cast<int>(file_priority::normal); })) {
      t.record.file_priorities = std::move(prios);
    }
  }
  // The catalogue first: once the engine has the torrent, a crash must find it on restart.
  if (t.ti) {
    if (auto r = catalogue_.save_torrent(t.record.info_hash, req.torrent_bytes); !r) return unexpected{r.error()};
  } else if (auto r = catalogue_.save_magnet(t.record.info_hash, t.record.magnet_uri); !r) {
    return unexpected{r.error()};
  }
  if (auto r = catalogue_.save(t.record); !r) {
    catalogue_.erase(t.record.info_hash);
    return unexpected{r.error()};
  }
  const auto now = unix_now();
  t.queued = !paused && download_queue_full();
  t.id = table_.add(t.record.info_hash, now);
  auto h = add_to_session(t, paused || t.queued);
  if (!h) {
    table_.remove(t.id, now);
    catalogue_.erase(t.record.info_hash);
    return unexpected{h.error()};
  }
  t.handle = *h;
  if (!paused && !t.queued) t.start_date = t.counted_until = now;
  add_outcome o;
  o.id = t.id;
  o.name = t.ti ? t.ti->name() : t.magnet_name;
  o.info_hash = t.record.info_hash;
  ++run_.files_added;
  auto id = t.id;
  torrents_.emplace(id, std::move(t));
  apply_torrent_limits(torrents_.at(id));
  changed(torrents_.at(id));
  feed_.added(*this, torrents_.at(id), now);
  return o;
}

void torrent_daemon::remove(int id, bool delete_data) {
  auto it = torrents_.find(id);
  if (it == torrents_.end()) return;
  auto& t = it->second;
  auto st = t.handle.status();
  if (st) {  // fold this run's bytes into the session's totals
    run_.uploaded += t.run_uploaded + std::max<std::int64_t>(0, st->total_uploaded - t.last_uploaded);
    run_.downloaded += t.run_downloaded + std::max<std::int64_t>(0, st->total_downloaded - t.last_downloaded);
  }
  (void)session_->remove_torrent(t.handle, delete_data ? remove_flags::delete_data : remove_flags::keep_data);
  catalogue_.erase(t.record.info_hash);
  table_.remove(id, unix_now());
  torrents_.erase(it);
  feed_.removed(id);
  // Renumber the queue.
  std::vector<daemon_torrent*> order;
  for (auto& [i, x] : torrents_) order.push_back(&x);
  std::stable_sort(order.begin(), order.end(),
                   [](auto* a, auto* b) { return a->record.queue_position < b->record.queue_position; });
  for (std::size_t q = 0; q < order.size(); ++q) {
    if (order[q]->record.queue_position != static_cast<int>(q)) {
      order[q]->record.queue_position = static_cast<int>(q);
      order[q]->dirty = true;
    }
  }
}

void torrent_daemon::relocate(daemon_torrent& t) {
  fold(statuses(), unix_now());  // keep this run's counters: the engine counts afresh after
  (void)session_->remove_torrent(t.handle, remove_flags::keep_data);
  t.handle = {};
  t.relocating = true;
}

void torrent_daemon::finish_relocation(daemon_torrent& t) {
  t.relocating = false;
  auto h = add_to_session(t, t.record.paused || t.queued);
  if (!h) {
    spdlog::error("torrent {}: cannot add it again at {}: {}", t.record.info_hash.to_hex(), t.record.download_dir,
                  h.error());
    return;
  }
  t.handle = *h;
  t.last_uploaded = t.last_downloaded = 0;
  apply_torrent_limits(t);
  changed(t);
}

void torrent_daemon::start_torrent(daemon_torrent& t, bool now) {
  const bool was_stopped = t.record.paused;
  t.record.paused = false;
  t.record.finished = false;
  t.forced = t.forced || now;
  if (was_stopped) {
    if (!t.forced && download_queue_full()) {
      t.queued = true;  // apply_queue starts it when its turn comes (or sees it is a seed)
    } else {
      t.queued = false;
      (void)t.handle.resume();
      t.start_date = t.counted_until = unix_now();
    }
  } else if (t.queued && t.forced) {
    t.queued = false;
    (void)t.handle.resume();
    t.start_date = t.counted_until = unix_now();
  }
  changed(t);
}

void torrent_daemon::stop_torrent(daemon_torrent& t) {
  (void)t.handle.pause();
  t.record.paused = true;
  t.queued = false;
  t.forced = false;
  t.start_date = 0;
  changed(t);
}

void torrent_daemon::changed(daemon_torrent& t) {
  table_.touch(t.id, unix_now());
  t.dirty = true;
}

void torrent_daemon::save_now(daemon_torrent& t) {
  table_.touch(t.id, unix_now());
  save_record(t);
}

void torrent_daemon::apply_runtime_settings() {
  if (!session_) return;
  // Everything the engine can change at run time, from settings.json's keys; apply_settings
  // leaves unchanged what is unchanged (the listener is rebound only for a new port).
  session_settings s = session_->current_settings();
  const session_settings wanted = engine_settings();
  s.listen_port = wanted.listen_port;
  s.listen_interface = wanted.listen_interface;
  s.max_connections = wanted.max_connections;
  s.max_connections_per_torrent = wanted.max_connections_per_torrent;
  s.enable_dht = wanted.enable_dht;
  s.enable_pex = wanted.enable_pex;
  s.enable_lsd = wanted.enable_lsd;
  s.encryption = wanted.encryption;
  s.enable_utp = wanted.enable_utp;
  const bool alt = settings_.boolean("alt-speed-enabled");
  auto limit = [&](const char* normal, const char* enabled, const char* alt_key) -> std::int64_t {
    if (alt) return settings_.integer(alt_key) * 1000;
    return settings_.boolean(enabled) ? settings_.integer(normal) * 1000 : 0;
  };
  s.download_rate_limit = limit("speed-limit-down", "speed-limit-down-enabled", "alt-speed-down");
  s.upload_rate_limit = limit("speed-limit-up", "speed-limit-up-enabled", "alt-speed-up");
  session_->apply_settings(s);
}

void torrent_daemon::apply_torrent_limits(daemon_torrent& t) {
  const auto& r = t.record;
  (void)t.handle.set_download_limit(r.download_limited ? std::max<std::int64_t>(1, r.download_limit_kbps) * 1000 : 0);
  (void)t.handle.set_upload_limit(r.upload_limited ? std::max<std::int64_t>(1, r.upload_limit_kbps) * 1000 : 0);
  (void)t.handle.set_honors_session_limits(r.honors_session_limits);
  (void)t.handle.set_bandwidth_priority(r.bandwidth_priority);
  (void)t.handle.set_max_connections(r.peer_limit);
}

void torrent_daemon::move_queue(const std::vector<int>& ids, queue_move how) {
  std::vector<daemon_torrent*> order;
  for (auto& [i, x] : torrents_) order.push_back(&x);
  std::stable_sort(order.begin(), order.end(),
                   [](auto* a, auto* b) { return a->record.queue_position < b->record.queue_position; });
  auto selected = [&](daemon_torrent* x) { return std::find(ids.begin(), ids.end(), x->id) != ids.end(); };
  switch (how) {
    case queue_move::top: std::stable_partition(order.begin(), order.end(), selected); break;
    case queue_move::bottom:
      std::stable_partition(order.begin(), order.end(), [&](auto* x) { return !selected(x); });
      break;
    case queue_move::up:
      for (std::size_t i = 1; i < order.size(); ++i) {
        if (selected(order[i]) && !selected(order[i - 1])) std::swap(order[i], order[i - 1]);
      }
      break;
    case queue_move::down:
      for (std::size_t i = order.size(); i-- > 1;) {
        if (selected(order[i - 1]) && !selected(order[i])) std::swap(order[i], order[i - 1]);
      }
      break;
  }
  for (std::size_t q = 0; q < order.size(); ++q) {
    if (order[q]->record.queue_position != static_cast<int>(q)) {
      order[q]->record.queue_position = static_cast<int>(q);
      changed(*order[q]);
    }
  }
}

void torrent_daemon::on_event(const event& e) {
  std::scoped_lock lk(mu_);
  if (stopped_) return;
  std::visit(
      [&](const auto& ev) {
        using E = std::decay_t<decltype(ev)>;
        if constexpr (requires { ev.info_hash; }) {
          auto* t = find_hash(ev.info_hash);
          if (!t) return;
          if constexpr (std::is_same_v<E, events::metadata_received>) {
            auto ti = load_torrent_file(catalogue_.torrent_path(t->record.info_hash).string());
            if (ti && ti->info_hash().same_torrent(t->record.info_hash)) {
              t->ti = renamed_info(std::make_shared<const torrent_info>(std::move(*ti)), t->record);
            }
            table_.touch(t->id, unix_now());
          } else if constexpr (std::is_same_v<E, events::torrent_finished>) {
            if (t->record.done_date == 0) {
              t->record.done_date = unix_now();
              changed(*t);  // the record changed: saved within a second
            } else {
              table_.touch(t->id, unix_now());
            }
          } else if constexpr (std::is_same_v<E, events::torrent_removed>) {
            if (t->relocating) finish_relocation(*t);
          } else if constexpr (std::is_same_v<E, events::state_changed> || std::is_same_v<E, events::torrent_error> ||
                               std::is_same_v<E, events::torrent_checked> ||
                               std::is_same_v<E, events::tracker_error> || std::is_same_v<E, events::storage_moved> ||
                               std::is_same_v<E, events::piece_verified>) {
            // Shown by recently-active; nothing of the record changed.
            table_.touch(t->id, unix_now());
          }
          publish_engine_event<E>(*t);
        }
      },
      e);
}

template <class E>
void torrent_daemon::publish_engine_event(daemon_torrent& t) {
  constexpr bool changes_status =
      std::is_same_v<E, events::state_changed> || std::is_same_v<E, events::torrent_error> ||
      std::is_same_v<E, events::torrent_paused> || std::is_same_v<E, events::torrent_resumed> ||
      std::is_same_v<E, events::torrent_checked>;
  if constexpr (changes_status || std::is_same_v<E, events::metadata_received> ||
                std::is_same_v<E, events::torrent_finished>) {
    if (!feed_.active() || t.relocating) return;
    auto st = t.handle.status();
    if (!st) return;
    const auto now = unix_now();
    if constexpr (std::is_same_v<E, events::metadata_received>) {
      feed_.metadata_received(*this, t, *st, now);
    } else if constexpr (std::is_same_v<E, events::torrent_finished>) {
      feed_.finished(*this, t, *st, now);
    } else {
      feed_.status_event(*this, t, *st, now);
    }
  }
}

void torrent_daemon::save_record(daemon_torrent& t) {
  torrent_record r = t.record;
  r.uploaded_before += t.run_uploaded;
  r.downloaded_before += t.run_downloaded;
  r.corrupt_before += t.run_corrupt;
  if (auto w = catalogue_.save(r); !w) {
    spdlog::error("cannot save the record of {}: {}", r.info_hash.to_hex(), w.error());
    return;
  }
  t.dirty = false;
}

transfer_stats torrent_daemon::current_stats() const {
  transfer_stats s = run_;
  for (const auto& [id, t] : torrents_) {
    s.uploaded += t.run_uploaded;
    s.downloaded += t.run_downloaded;
  }
  s.seconds_active = unix_now() - started_at_;
  return s;
}

transfer_stats torrent_daemon::cumulative_stats() const {
  transfer_stats s = current_stats();
  s.uploaded += cumulative_before_.uploaded;
  s.downloaded += cumulative_before_.downloaded;
  s.files_added += cumulative_before_.files_added;
  s.session_count += cumulative_before_.session_count;
  s.seconds_active += cumulative_before_.seconds_active;
  return s;
}

void torrent_daemon::save_stats() {
  const auto s = cumulative_stats();
  json::object o{{"uploaded-bytes", s.uploaded},   {"downloaded-bytes", s.downloaded},
                 {"files-added", s.files_added},   {"session-count", s.session_count},
                 {"seconds-active", s.seconds_active}};
  if (auto w = detail::write_file_atomically(stats_path(options_.config_dir), json::serialize(o)); !w) {
    spdlog::warn("cannot save stats.json: {}", w.error().message());
  }
}

void torrent_daemon::save_settings() {
  if (auto w = settings_.save(settings_path(options_.config_dir)); !w) {
    spdlog::error("cannot save settings.json: {}", w.error());
  }
}

result<bool, std::string> torrent_daemon::reload_settings(std::vector<std::string>& problems) {
  std::scoped_lock lk(mu_);
  daemon_settings fresh;
  if (auto r = fresh.load(settings_path(options_.config_dir), problems); !r) return unexpected{r.error()};
  settings_ = std::move(fresh);
  apply_runtime_settings();
  return true;
}

std::uint16_t torrent_daemon::peer_port() const { return session_ ? session_->listen_port() : 0; }

}  // namespace tessera::rpc
