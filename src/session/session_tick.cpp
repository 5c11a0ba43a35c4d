// The session's tick: one timer for the whole session drives every torrent's once-a-second work
// (torrent::tick). A timer per torrent cost one heap-allocated wait and one wake-up per torrent
// and second, scattered over the second; one pass over the torrents does the same work in one
// wake-up, and gives the session one place to pace work across torrents.
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
  tick_scratch_.clear();  // holds no torrent between ticks
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
