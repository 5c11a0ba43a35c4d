// The user's control of a torrent (pause, resume, recheck, reannounce, move storage), its status
// details (files, peers, trackers), and the events that go with them. Members of `torrent`.
#include <algorithm>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <spdlog/spdlog.h>

#include "disk/file_ownership.hpp"
#include "swarm/endpoint_conversion.hpp"
#include "swarm/peer_error.hpp"
#include "torrent/torrent.hpp"

namespace tessera::detail {

namespace {

/// Pieces [first, last] that hold bytes of file `f` (none for an empty file: first > last).
std::pair<int, int> piece_range(const torrent_info& ti, const file_entry& f) {
  if (f.size <= 0 || ti.piece_length() <= 0) return {1, 0};
  return {static_cast<int>(f.offset / ti.piece_length()), static_cast<int>((f.offset + f.size - 1) / ti.piece_length())};
}

}  // namespace

void torrent::set_state(torrent_state s) {
  if (state_ == s) return;
  const torrent_state from = state_;
  state_ = s;
  if (ctx_.emit) ctx_.emit(events::state_changed{ti_->info_hash(), from, s});
}

void torrent::set_running(bool running) {
  if (running == counted_running_ || !ctx_.budget) return;
  counted_running_ = running;
  ctx_.budget->running += running ? 1 : -1;
}

int torrent::connection_limit() const {
  const int session_limit = ctx_.budget ? ctx_.budget->connection_share(ctx_.settings.max_connections_per_torrent)
                                        : ctx_.settings.max_connections_per_torrent;
  return max_connections_ > 0 ? std::min(session_limit, max_connections_) : session_limit;
}

void torrent::set_max_connections(int max) {
  max_connections_ = std::max(0, max);
  trim_connections();
  connect_candidates();  // when it grew; nothing while checking, paused, stopped or in error
}

void torrent::trim_connections() {
  const int limit = connection_limit();
  if (static_cast<int>(conns_.size()) <= limit) return;
  std::vector<std::pair<std::int64_t, std::shared_ptr<peer_connection>>> order;  // (rank, connection)
  order.reserve(conns_.size());
  for (const auto& [k, c] : conns_) {
    if (c.conn->is_closed()) continue;
    // Still handshaking ranks below any peer past it; then fewest bytes sent to us first.
    const std::int64_t rank = c.counted ? c.conn->stats().downloaded : -1;
    order.emplace_back(rank, c.conn);
  }
  const auto excess = static_cast<std::ptrdiff_t>(order.size()) - limit;
  if (excess <= 0) return;
  std::partial_sort(order.begin(), order.begin() + excess, order.end(),
                    [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::ptrdiff_t i = 0; i < excess; ++i) order[static_cast<std::size_t>(i)].second->close(peer_errc::closed_by_host);
}

int torrent::unchoke_slots() const {
  return ctx_.budget ? ctx_.budget->unchoke_share() : std::max(0, ctx_.settings.unchoke_slots);
}

void torrent::stop_announcing() {
  scraper_.reset();
  auto announcers = std::move(announcers_);
  announcers_.clear();
  for (auto& a : announcers) {
    boost::asio::co_spawn(
        ctx_.ex, [a, t = ctx_.settings.stop_announce_timeout]() { return a->stop(t); },
        boost::asio::detached);
  }
}

// --- pause / resume ------------------------------------------------------------------------

void torrent::pause() {
  if (paused_ || stopped_) return;
  paused_ = true;
  set_running(false);
  close_all_connections(std::make_error_code(std::errc::operation_canceled));
  stop_announcing();
  read_cache_.clear();
  save_resume();
  if (ctx_.emit) ctx_.emit(events::torrent_paused{ti_->info_hash()});
}

void torrent::resume() {
  if (!paused_ || stopped_ || moving_) return;
  paused_ = false;
  if (state_ != torrent_state::error) set_running(true);
  if (ctx_.emit) ctx_.emit(events::torrent_resumed{ti_->info_hash()});
  // While checking, on_checked starts the swarm; in error there is nothing to run.
  if (!started_ || state_ == torrent_state::checking || state_ == torrent_state::error) return;
  peers_.allow_reconnect_now();  // we closed those connections ourselves
  start_swarm();
}

// --- recheck, reannounce, move -------------------------------------------------------------

result<bool> torrent::force_recheck() {
  if (!has_metadata_ || moving_) return unexpected{std::make_error_code(std::errc::operation_not_permitted)};
  if (state_ == torrent_state::checking || recheck_pending_) return true;
  recheck_pending_ = true;
  close_all_connections(std::make_error_code(std::errc::operation_canceled));
  peers_.allow_reconnect_now();  // reconnect once the check is done
  run_pending_disk_work();
  return true;
}

void torrent::force_reannounce() {
  if (scraper_) scraper_->after_next_announce();
  for (auto& a : announcers_) a->reannounce();
}

result<bool> torrent::move_storage(std::filesystem::path new_save_path) {
  if (!has_metadata_ || moving_ || state_ == torrent_state::checking) {
    return unexpected{std::make_error_code(std::errc::operation_not_permitted)};
  }
  moving_ = true;
  paused_for_move_ = !paused_;
  if (!paused_) {
    paused_ = true;  // quietly: the move is one operation for the user
    close_all_connections(std::make_error_code(std::errc::operation_canceled));
    stop_announcing();
    read_cache_.clear();
  }
  move_pending_ = std::move(new_save_path);
  run_pending_disk_work();
  return true;
}

void torrent::run_pending_disk_work() {
  if (stopped_ || (!recheck_pending_ && !move_pending_ && !rename_pending_)) return;
  // A rename waits for the check in progress: the check reads the files under their old names.
  if (!recheck_pending_ && !move_pending_ && state_ == torrent_state::checking) return;
  // Pieces still on their way to the disk would land in the old files (or race the check).
  if (buffers_.bytes_at_disk() > 0 || buffers_.num_hashing() > 0) return;
  // Blocks of partly received pieces are dropped: their peers are gone.
  for (piece_index p : buffers_.idle_pieces()) {
    picker_.piece_failed(p);
    buffers_.discard(p);
  }
  read_cache_.clear();
  if (recheck_pending_) {
    recheck_pending_ = false;
    reset_pieces();
    finished_emitted_ = false;
    ctx_.resume.reset();  // a recheck hashes everything
    if (state_ == torrent_state::error) error_.clear();
    spdlog::info("torrent {}: recheck", ti_->name());
    start_check();
    return;
  }
  if (!move_pending_) {
    run_rename();
    return;
  }
  auto target = std::move(*move_pending_);
  move_pending_.reset();
  auto st = storage_;
  std::weak_ptr<torrent> weak = weak_from_this();
  // Exclusive: no other job of the storage runs while its files move and its descriptors close.
  ctx_.disk->async_storage_job(
      st, storage_access::exclusive, [st, target] { return st->move_files(target); }, ctx_.ex,
      [weak, target, st](result<bool, storage_error> r) {
        auto t = weak.lock();
        if (!t || t->stopped_) return;
        std::string error;
        if (r) {
          auto fresh = t->ctx_.make_storage ? t->ctx_.make_storage(t->ti_, target)
                                            : result<std::shared_ptr<storage>, storage_error>(t->storage_);
          if (fresh) {
            // The files that moved are still the torrent's own in their new place.
            auto* before = ownership_of(*st);
            auto* after = ownership_of(**fresh);
            if (before && after) after->adopt_files(before->owned_files());
            t->storage_ = std::move(*fresh);
            t->save_path_ = target;
            t->apply_priorities();  // skipped files stay skipped in the new storage
          } else {
            error = fresh.error().message();
          }
        } else {
          error = r.error().message();
        }
        if (!error.empty()) spdlog::warn("torrent {}: move to {} failed: {}", t->ti_->name(), target.string(), error);
        if (t->ctx_.emit) t->ctx_.emit(events::storage_moved{t->ti_->info_hash(), target.string(), error});
        t->end_file_operation();
      });
}

void torrent::end_file_operation() {
  moving_ = false;
  if (!paused_for_move_) return;
  paused_for_move_ = false;
  paused_ = false;
  peers_.allow_reconnect_now();
  if (state_ != torrent_state::error && state_ != torrent_state::checking) start_swarm();
}

// --- file completion -----------------------------------------------------------------------

void torrent::count_file_pieces() {
  const auto& files = ti_->files();
  file_pieces_left_.assign(files.size(), 0);
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (files[i].pad) continue;
    auto [first, last] = piece_range(*ti_, files[i]);
    for (int p = first; p <= last; ++p) file_pieces_left_[i] += picker_.have(piece_index{p}) ? 0 : 1;
  }
}

void torrent::note_file_pieces(piece_index p) {
  if (file_pieces_left_.empty()) return;
  const auto& files = ti_->files();
  const std::int64_t begin = std::int64_t{p.value} * ti_->piece_length();
  const std::int64_t end = begin + ti_->piece_size(p);
  // Files are in offset order: find the first that ends after `begin`.
  auto it = std::lower_bound(files.begin(), files.end(), begin,
                             [](const file_entry& f, std::int64_t b) { return f.offset + f.size <= b; });
  for (; it != files.end() && it->offset < end; ++it) {
    const auto i = static_cast<std::size_t>(it - files.begin());
    if (it->pad || it->size == 0 || file_pieces_left_[i] <= 0) continue;
    if (--file_pieces_left_[i] == 0 && ctx_.emit) {
      ctx_.emit(events::file_completed{ti_->info_hash(), file_index{static_cast<std::int32_t>(i)}});
    }
  }
}

// --- status details ------------------------------------------------------------------------

std::vector<file_status> torrent::file_statuses() const {
  std::vector<file_status> out;
  if (!has_metadata_) return out;
  for (const auto& f : ti_->files()) {
    file_status fs;
    fs.path = f.path;
    fs.size = f.size;
    fs.pad = f.pad;
    auto [first, last] = piece_range(*ti_, f);
    for (int p = first; p <= last; ++p) {
      if (!picker_.have(piece_index{p})) continue;
      const std::int64_t pb = std::int64_t{p} * ti_->piece_length();
      const std::int64_t pe = pb + ti_->piece_size(piece_index{p});
      fs.done += std::min(pe, f.offset + f.size) - std::max(pb, f.offset);
    }
    out.push_back(std::move(fs));
  }
  return out;
}

void torrent::apply_settings(const session_settings& s) {
  ctx_.settings.enable_pex = s.enable_pex;
  ctx_.settings.enable_web_seeds = s.enable_web_seeds;  // the next tick starts or closes them
  ctx_.settings.max_connections_per_torrent = s.max_connections_per_torrent;
  ctx_.settings.listen_port = s.listen_port;
  ctx_.settings.encryption = s.encryption;  // connections dialled from now on
  connect_candidates();  // nothing while checking, paused, stopped or in error
}

std::vector<peer_status> torrent::peer_statuses() const {
  std::vector<peer_status> out;
  for (const auto& [k, c] : conns_) {
    if (!c.counted || c.conn->is_closed()) continue;
    const auto& conn = *c.conn;
    const auto st = conn.stats();
    peer_status p;
    p.endpoint = endpoint_to_string(c.remote);
    p.client = conn.client_name();
    p.incoming = c.incoming;
    p.encrypted = conn.is_encrypted();
    p.utp = conn.transport() == peer_transport::utp;
    p.origin = peer_origin::incoming;
    if (!c.incoming) {
      switch (peers_.source_of(c.remote).value_or(peer_source::user)) {
        case peer_source::tracker: p.origin = peer_origin::tracker; break;
        case peer_source::dht: p.origin = peer_origin::dht; break;
        case peer_source::lsd: p.origin = peer_origin::lsd; break;
        case peer_source::pex: p.origin = peer_origin::pex; break;
        case peer_source::user: p.origin = peer_origin::user; break;
      }
    }
    p.is_seed = conn.is_seed();
    p.am_choking = conn.am_choking();
    p.am_interested = conn.am_interested();
    p.peer_choking = conn.peer_choking();
    p.peer_interested = conn.peer_interested();
    p.snubbed = conn.is_snubbed();
    p.pieces = conn.pieces().count();
    p.downloaded = st.downloaded;
    p.uploaded = st.uploaded;
    p.download_rate = st.download_rate;
    p.upload_rate = st.upload_rate;
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<tracker_status> torrent::tracker_statuses() const {
  std::vector<tracker_status> out;
  std::int64_t next = 0;
  std::optional<std::chrono::steady_clock::time_point> due;  // the earliest of the swarms'
  for (const auto& a : announcers_) {
    if (auto d = a->next_announce(); d && (!due || *d < *due)) due = d;
  }
  if (due) {
    const auto wait = std::max(*due - std::chrono::steady_clock::now(), std::chrono::steady_clock::duration::zero());
    next = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count() + std::chrono::ceil<std::chrono::seconds>(wait).count();
  }
  for (std::size_t tier = 0; tier < ti_->trackers().size(); ++tier) {
    for (const auto& url : ti_->trackers()[tier]) {
      tracker_status ts;
      if (auto it = tracker_status_.find(url); it != tracker_status_.end()) ts = it->second;
      ts.url = url;
      ts.tier = static_cast<int>(tier);
      ts.next_announce = next;
      fill_scrape_status(ts);
      out.push_back(std::move(ts));
    }
  }
  return out;
}

}  // namespace tessera::detail
