// The session's choker (libtorrent's model): session_settings::unchoke_slots regular upload slots
// (plus global_choker::optimistic_slots_for of them) for the whole session, decided in one round
// over the peers of every torrent (torrent/global_choker.hpp) instead of an even share per torrent.
#include <algorithm>
#include <chrono>
#include <unordered_map>

#include "session/session_impl.hpp"
#include "torrent/torrent.hpp"

namespace tessera::detail {

void session_impl::request_rechoke() {
  if (choke_posted_) return;
  choke_posted_ = true;
  boost::asio::post(io_, [this] {
    choke_posted_ = false;
    run_choke_round();
  });
}

void session_impl::run_choke_round() {
  std::vector<torrent_choke_input> in;
  std::unordered_map<std::uint64_t, torrent*> by_serial;
  in.reserve(torrents_.size());
  for (const auto& [ih, t] : torrents_) {
    torrent_choke_input i;
    if (!t->choke_snapshot(i)) continue;
    by_serial[i.torrent] = t.get();
    in.push_back(std::move(i));
  }
  choker_settings cs;
  cs.regular_slots = std::max(0, live_settings_.unchoke_slots);
  cs.optimistic_slots = global_choker::optimistic_slots_for(cs.regular_slots);
  const auto decisions = choker_.run(in, std::chrono::steady_clock::now(), cs);
  for (const auto& d : decisions) {
    if (auto it = by_serial.find(d.torrent); it != by_serial.end()) it->second->apply_choke(d);
  }
}

void session_impl::schedule_choke_round() {
  choke_timer_.expires_after(choker_settings{}.rechoke_interval);
  choke_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;  // cancelled: the session stops
    run_choke_round();
    schedule_choke_round();
  });
}

}  // namespace tessera::detail
