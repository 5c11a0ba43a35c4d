// Resume data of a torrent (see disk/resume_data.hpp): the start-up trust rule and the crash-safe
// save. The session's tick decides when a dirty torrent is saved (session_tick.cpp: at most
// session_settings::resume_saves_per_tick per tick, every resume_save_interval at most per
// torrent); becoming a seed, pause and stop save at once. Members of `torrent`.
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/as_tuple.hpp>
#include <spdlog/spdlog.h>

#include "disk/file_ownership.hpp"
#include "torrent/torrent.hpp"

namespace tessera::detail {

std::function<bitfield()> torrent::resume_trust() {
  auto rd = ctx_.resume;
  if (!rd || !has_metadata_ || rd->pieces.size() != ti_->num_pieces()) return {};
  return [ti = ti_, rd, save = save_path_]() {
    if (rd->legacy_stamps) {
      spdlog::info("torrent {}: resume data from an older tessera has no inode/ctime stamps: "
                   "hashing every claimed piece once", ti->name());
    }
    auto current = read_file_stamps(*ti, save);
    auto trust = decide_trusted_pieces(*ti, *rd, current);
    spdlog::info("torrent {}: resume data vouches for {} pieces, {} to re-verify", ti->name(), trust.trusted.count(),
                 trust.reverify.count());
    return trust.trusted;
  };
}

void torrent::mark_resume_dirty() {
  if (resume_dirty_) return;
  resume_dirty_ = true;
  resume_dirty_since_ = std::chrono::steady_clock::now();
}

std::optional<std::chrono::steady_clock::time_point> torrent::resume_save_due(
    std::chrono::steady_clock::time_point now, std::chrono::steady_clock::duration interval) const {
  if (!resume_dirty_ || resume_saving_ || stopped_ || ctx_.resume_file.empty() || !has_metadata_ || !storage_ ||
      state_ == torrent_state::checking || state_ == torrent_state::error) {
    return std::nullopt;
  }
  if (last_resume_save_ && now - *last_resume_save_ < interval) return std::nullopt;
  return resume_dirty_since_;
}

void torrent::save_resume(std::function<void()> done) {
  if (ctx_.resume_file.empty() || !has_metadata_ || !storage_ || state_ == torrent_state::checking) {
    if (done) done();
    return;
  }
  if (done) resume_waiters_.push_back(std::move(done));
  if (resume_saving_) {
    resume_again_ = true;
    return;
  }
  resume_saving_ = true;
  resume_dirty_ = false;
  last_resume_save_ = std::chrono::steady_clock::now();
  resume_data rd;
  rd.info_hash = ti_->info_hash();
  rd.pieces = picker_.have_pieces();  // pieces verified and written: the flush below makes them durable
  rd.save_path = save_path_.string();
  rd.uploaded = (ctx_.resume ? ctx_.resume->uploaded : 0) + total_uploaded();
  rd.downloaded = (ctx_.resume ? ctx_.resume->downloaded : 0) + downloaded_;
  rd.info_bytes = ti_->info_bytes();  // a magnet needs no metadata fetch next time
  rd.piece_layers = v2_hashes_.layers_to_save();  // nor the layers its peers sent
  for (auto p : file_prios_) rd.file_priorities.push_back(static_cast<std::int8_t>(p));
  auto st = storage_;
  auto ti = ti_;
  auto target = ctx_.resume_file;
  auto save = save_path_;
  std::weak_ptr<torrent> weak = weak_from_this();
  ctx_.disk->async_storage_job(
      st, storage_access::shared, [st, ti, target, save, rd = std::move(rd)]() mutable -> result<bool, storage_error> {
        // Claimed pieces must be durable before the file claims them.
        if (auto f = st->flush(); !f) return unexpected{f.error()};
        rd.file_stamps = read_file_stamps(*ti, save);
        if (auto* own = ownership_of(*st)) rd.owned_files = own->owned_files();
        std::error_code ec;
        std::filesystem::create_directories(target.parent_path(), ec);
        auto w = write_file_atomically(target, encode_resume_data(rd));
        if (!w) {
          return unexpected{storage_error{w.error().ec, storage_error::operation::write, w.error().path}};
        }
        return true;
      },
      ctx_.ex,
      [weak](result<bool, storage_error> r) {
        auto t = weak.lock();
        if (!t) return;
        if (!r) spdlog::warn("torrent {}: resume data not saved: {}", t->ti_->name(), r.error().message());
        t->resume_saving_ = false;
        auto waiters = std::move(t->resume_waiters_);
        t->resume_waiters_.clear();
        if (t->resume_again_) {
          t->resume_again_ = false;
          t->save_resume();
        }
        for (auto& w : waiters) w();
      });
}

boost::asio::awaitable<void> torrent::save_resume_now() {
  boost::asio::steady_timer done(ctx_.ex, std::chrono::steady_clock::time_point::max());
  bool finished = false;
  save_resume([&done, &finished] {
    finished = true;
    done.cancel();
  });
  if (!finished) co_await done.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
}

}  // namespace tessera::detail
