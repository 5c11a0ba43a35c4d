// File and piece priorities, sequential mode, and "finished" (every wanted piece verified) for
// one torrent. Semantics (see torrent_handle in tessera/torrent_handle.hpp):
// - Piece priorities come from the file priorities (the highest of the files a piece overlaps,
//   see file_priorities.hpp), recomputed on every file-priority change, which replaces earlier
//   set_piece_priority calls.
// - Finished: every piece of priority > 0 verified. torrent_finished is emitted each time the
//   torrent becomes finished; the state stays `downloading` until every piece is present
//   (`seeding`). Raising a missing piece's priority (unskipping a file) makes it unfinished and
//   the download goes on.
#include <spdlog/spdlog.h>

#include "disk/part_file_storage.hpp"
#include "torrent/file_priorities.hpp"
#include "torrent/torrent.hpp"

namespace tessera::detail {

void torrent::apply_priorities() {
  if (!has_metadata_ || !storage_) return;
  file_prios_ = normalize_file_priorities(*ti_, file_prios_);
  const auto prio = piece_priorities_from_files(*ti_, file_prios_, first_last_);
  for (std::size_t p = 0; p < prio.size(); ++p) {
    picker_.set_priority(piece_index{static_cast<std::int32_t>(p)}, prio[p]);
  }
  picker_.set_sequential(sequential_);
  auto parts = std::dynamic_pointer_cast<part_file_storage>(storage_);
  if (!parts) return;  // another backend: skipped files' bytes of shared pieces go there
  parts->set_skipped(skipped_files(file_prios_));
  // Bytes waiting in the part file for a file that is wanted now move into that file (also at
  // start, for files unskipped between two runs). A disk job: FIFO with writes and the check.
  if (!ctx_.disk || parts->held_pieces().empty()) return;
  std::weak_ptr<torrent> weak = weak_from_this();
  ctx_.disk->async_storage_job(storage_, storage_access::shared, [parts] { return parts->move_unskipped(); }, ctx_.ex,
                               [weak](result<bool, storage_error> r) {
                                 auto t = weak.lock();
                                 if (t && !r) t->fail(r.error());
                               });
}

void torrent::on_priorities_changed() {
  if (stopped_ || state_ == torrent_state::error || !has_metadata_) return;
  if (state_ == torrent_state::downloading) check_finished();
  std::vector<std::shared_ptr<peer_connection>> open;
  for (auto& [k, c] : conns_) {
    if (c.counted) open.push_back(c.conn);
  }
  for (auto& c : open) {
    if (!c->is_closed()) c->update_interest();
  }
  request_more_all();
}

void torrent::check_finished() {
  if (state_ != torrent_state::downloading) return;
  if (!picker_.is_finished()) {
    finished_emitted_ = false;  // unskipped: the next finish is reported again
    return;
  }
  if (finished_emitted_) return;
  finished_emitted_ = true;
  spdlog::info("torrent {}: finished (every wanted piece verified, {} of {} pieces)", ti_->name(),
               picker_.num_have(), ti_->num_pieces());
  if (ctx_.emit) ctx_.emit(events::torrent_finished{ti_->info_hash()});
}

void torrent::fill_wanted_status(torrent_status& s) const {
  if (!has_metadata_) return;
  std::int64_t wanted = 0;
  std::int64_t done = 0;
  for (int p = 0; p < ti_->num_pieces(); ++p) {
    const piece_index i{p};
    if (picker_.priority(i) == 0) continue;
    const std::int64_t n = wanted_bytes(i);
    wanted += n;
    if (picker_.have(i)) done += n;
  }
  s.total_wanted = wanted;
  s.total_wanted_done = done;
  s.is_finished = picker_.is_finished() && state_ != torrent_state::checking;
}

result<bool> torrent::set_file_priority(file_index f, file_priority p) {
  if (!has_metadata_) return unexpected{std::make_error_code(std::errc::operation_not_permitted)};
  if (f.value < 0 || f.value >= static_cast<int>(ti_->files().size())) {
    return unexpected{std::make_error_code(std::errc::invalid_argument)};
  }
  file_prios_ = normalize_file_priorities(*ti_, file_prios_);
  file_prios_[static_cast<std::size_t>(f.value)] = p;
  apply_priorities();
  on_priorities_changed();
  mark_resume_dirty();  // the resume data keeps the file priorities
  return true;
}

std::vector<file_priority> torrent::file_priorities() const {
  if (!has_metadata_) return {};
  return normalize_file_priorities(*ti_, file_prios_);
}

result<bool> torrent::set_piece_priority(piece_index p, int priority) {
  if (!has_metadata_) return unexpected{std::make_error_code(std::errc::operation_not_permitted)};
  if (p.value < 0 || p.value >= ti_->num_pieces() || priority < 0 || priority > 7) {
    return unexpected{std::make_error_code(std::errc::invalid_argument)};
  }
  picker_.set_priority(p, priority);
  on_priorities_changed();
  return true;
}

void torrent::set_sequential_download(bool on) {
  sequential_ = on;
  picker_.set_sequential(on);
}

void torrent::set_first_last_pieces_first(bool on) {
  if (first_last_ == on) return;
  first_last_ = on;
  apply_priorities();
  on_priorities_changed();
}

}  // namespace tessera::detail
