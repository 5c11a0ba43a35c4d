// Edits of a torrent's metainfo at run time: its tracker list (torrent_handle::replace_trackers)
// and its file names (torrent_handle::rename_path). Members of `torrent`. The torrent_info is immutable and shared with disk jobs in flight, so an
// edit builds a new one and swaps ti_; jobs holding the old one finish with it (they read only
// the piece layout, which no edit changes).
#include <algorithm>
#include <unordered_set>

#include <spdlog/spdlog.h>

#include "disk/file_ownership.hpp"
#include "torrent/torrent.hpp"

namespace tessera::detail {

bool torrent::swarm_running() const {
  return started_ && !stopped_ && !paused_ && state_ != torrent_state::checking && state_ != torrent_state::error;
}

void torrent::replace_trackers(std::vector<std::vector<std::string>> tiers) {
  ti_ = std::make_shared<const torrent_info>(ti_->with_trackers(std::move(tiers)));
  std::unordered_set<std::string> kept;
  for (const auto& tier : ti_->trackers()) kept.insert(tier.begin(), tier.end());
  std::erase_if(tracker_status_, [&](const auto& entry) { return !kept.count(entry.first); });
  // A new announcer for the new list: `stopped` to the old trackers that answered, `started`
  // to every tracker of the new list (those kept included: a tracker that sees `started` again
  // treats it as a fresh start of the same peer).
  const bool restart = !announcers_.empty() || swarm_running();
  stop_announcing();
  tracker_message_.clear();
  spdlog::info("torrent {}: tracker list replaced ({} tiers)", ti_->name(), ti_->trackers().size());
  if (restart) start_announcing();
}

// A rename runs like a move (torrent_control.cpp): the torrent is paused quietly (connections
// closed, the announcer kept) so that no piece is written under an old name once the files are
// renamed, the pieces already on their way to the disk are written first (run_pending_disk_work),
// then one exclusive storage job renames on disk, and the torrent goes on with the renamed
// torrent_info in a new storage (the files it owned are still its own: same indexes).
void torrent::rename_path(const std::string& path, const std::string& new_name,
                          std::function<void(std::error_code)> done) {
  if (!has_metadata_ || !storage_ || moving_ || recheck_pending_ || stopped_) {
    done(std::make_error_code(std::errc::operation_not_permitted));
    return;
  }
  auto r = rename_torrent_path(*ti_, path, new_name);
  if (!r) {
    done(r.error());
    return;
  }
  auto renamed = std::make_shared<const torrent_info>(std::move(*r));
  // The changed files' common prefix before and after: `path` (without a trailing '/') and the
  // same with its last component replaced.
  std::string from = path;
  if (!from.empty() && from.back() == '/') from.pop_back();
  const auto slash = from.rfind('/');
  std::string to = (slash == std::string::npos ? std::string() : from.substr(0, slash + 1)) + new_name;
  if (from == to) {
    done({});
    return;
  }
  moving_ = true;
  paused_for_move_ = !paused_;
  if (!paused_) {
    paused_ = true;
    close_all_connections(std::make_error_code(std::errc::operation_canceled));
    read_cache_.clear();
  }
  rename_pending_ = pending_rename{std::move(from), std::move(to), std::move(renamed), std::move(done)};
  run_pending_disk_work();
}

void torrent::run_rename() {
  auto job = std::move(*rename_pending_);
  rename_pending_.reset();
  auto st = storage_;
  std::weak_ptr<torrent> weak = weak_from_this();
  auto done = std::make_shared<std::function<void(std::error_code)>>(std::move(job.done));
  ctx_.disk->async_storage_job(
      st, storage_access::exclusive,
      [st, from = job.from, to = job.to] {
        st->close_all();
        return st->rename_path(from, to);
      },
      ctx_.ex,
      [weak, st, done, renamed = std::move(job.renamed), from = job.from, to = job.to](result<bool, storage_error> r) {
        auto t = weak.lock();
        if (!t || t->stopped_) {
          (*done)(std::make_error_code(std::errc::operation_canceled));
          return;
        }
        std::error_code ec;
        if (r) {
          auto fresh = t->ctx_.make_storage ? t->ctx_.make_storage(renamed, t->save_path_)
                                            : result<std::shared_ptr<storage>, storage_error>(t->storage_);
          if (fresh) {
            auto* before = ownership_of(*st);
            auto* after = ownership_of(**fresh);
            if (before && after) after->adopt_files(before->owned_files());
            t->ti_ = renamed;
            t->storage_ = std::move(*fresh);
            t->apply_priorities();  // skipped files stay skipped in the new storage
            t->resume_dirty_ = true;
            t->save_resume();  // the stamps under the new names
            spdlog::info("torrent {}: renamed {} to {}", t->ti_->name(), from, to);
          } else {
            // Renamed on disk, but the storage for the new names cannot be made: stop rather than
            // write under the old names.
            ec = fresh.error().ec;
            t->fail(fresh.error());
          }
        } else {
          ec = r.error().ec;
          spdlog::warn("torrent {}: rename of {} to {} failed: {}", t->ti_->name(), from, to, r.error().message());
        }
        t->end_file_operation();
        (*done)(ec);
      });
}

}  // namespace tessera::detail
