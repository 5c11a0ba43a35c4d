// The session's tick: one timer for the whole session drives every torrent's once-a-second work
// (torrent::tick). A timer per torrent cost one heap-allocated wait and one wake-up per torrent
// and second, scattered over the second; one pass over the torrents does the same work in one
// wake-up, and gives the session one place to pace work across torrents: resume data is
// saved here, a bounded number of torrents per tick.
#include <algorithm>

#include "session/session_impl.hpp"
#include "torrent/torrent.hpp"

namespace tessera::detail {

void session_impl::schedule_tick() {
  tick_timer_.expires_after(tick_interval);
  tick_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;  // cancelled: the session stops
    run_tick();
    schedule_tick();
  });
}

void session_impl::run_tick() {
  ++tick_stats_.ticks;
  // A snapshot: a torrent's tick may emit events, close connections and run callbacks that add
  // or remove torrents; a torrent removed meanwhile is stopped, and its tick does nothing.
  tick_scratch_.clear();
  tick_scratch_.reserve(torrents_.size());
  for (const auto& [ih, t] : torrents_) tick_scratch_.push_back(t);
  for (const auto& t : tick_scratch_) {
    t->tick();
    ++tick_stats_.torrent_ticks;
  }
  save_due_resume_data();
  tick_scratch_.clear();  // holds no torrent between ticks
}

void session_impl::save_due_resume_data() {
  const auto now = std::chrono::steady_clock::now();
  const auto interval = std::chrono::duration_cast<std::chrono::steady_clock::duration>(settings_.resume_save_interval);
  std::vector<std::pair<std::chrono::steady_clock::time_point, torrent*>> due;
  for (const auto& t : tick_scratch_) {
    if (auto since = t->resume_save_due(now, interval)) due.emplace_back(*since, t.get());
  }
  // Each save flushes the torrent's files (fsync) before it writes: spread them over the ticks.
  const auto n = std::min(due.size(), static_cast<std::size_t>(std::max(1, settings_.resume_saves_per_tick)));
  std::partial_sort(due.begin(), due.begin() + static_cast<std::ptrdiff_t>(n), due.end(),
                    [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::size_t i = 0; i < n; ++i) due[i].second->save_resume();
  tick_stats_.resume_saves += n;
  tick_stats_.most_resume_saves_in_a_tick = std::max(tick_stats_.most_resume_saves_in_a_tick, static_cast<int>(n));
}

session_tick_stats session_impl::tick_stats() {
  auto r = run_sync([this] { return tick_stats_; });
  return r ? *r : session_tick_stats{};
}

std::vector<std::pair<sha1_hash, std::uint64_t>> session_impl::torrent_ticks() {
  auto r = run_sync([this] {
    std::vector<std::pair<sha1_hash, std::uint64_t>> out;
    out.reserve(torrents_.size());
    for (const auto& [ih, t] : torrents_) out.emplace_back(ih, t->ticks());
    return out;
  });
  return r ? std::move(*r) : std::vector<std::pair<sha1_hash, std::uint64_t>>{};
}

session_impl& session_access::impl(session& s) { return *s.impl_; }

}  // namespace tessera::detail
