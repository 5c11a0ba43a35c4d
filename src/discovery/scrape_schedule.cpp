// The scrape schedule (scrape_schedule.hpp).
#include "discovery/scrape_schedule.hpp"

#include <algorithm>

namespace tessera::detail {

scrape_schedule::scrape_schedule(std::size_t trackers, scrape_timing t) : t_(t), slots_(trackers) {}

void scrape_schedule::set_due(slot& s, time_point when) {
  if (!s.due || when < *s.due) s.due = when;
}

void scrape_schedule::announced(time_point now) {
  const bool all = scrape_after_announce_;
  scrape_after_announce_ = false;
  for (auto& s : slots_) {
    if (s.in_flight) continue;
    if (all || (!s.scraped && !s.due)) set_due(s, now + t_.after_announce);
  }
}

void scrape_schedule::force(time_point now, std::optional<std::size_t> i) {
  for (std::size_t k = 0; k < slots_.size(); ++k) {
    if (i && *i != k) continue;
    auto& s = slots_[k];
    if (s.in_flight) continue;
    auto when = now;
    if (s.last_start) when = std::max({when, *s.last_start + t_.min_forced_gap, *s.last_start + s.min_request_interval});
    set_due(s, when);
  }
}

std::vector<std::size_t> scrape_schedule::take_due(time_point now) {
  std::vector<std::size_t> out;
  for (std::size_t k = 0; k < slots_.size(); ++k) {
    auto& s = slots_[k];
    if (s.in_flight || !s.due || *s.due > now) continue;
    s.due.reset();
    s.in_flight = true;
    s.last_start = now;
    out.push_back(k);
  }
  return out;
}

void scrape_schedule::succeeded(std::size_t i, time_point now, std::chrono::seconds min_request_interval) {
  if (i >= slots_.size()) return;
  auto& s = slots_[i];
  s.in_flight = false;
  s.scraped = true;
  s.failures = 0;
  s.min_request_interval = min_request_interval;
  s.due = now + std::max(t_.interval, min_request_interval);
}

void scrape_schedule::failed(std::size_t i, time_point now) {
  if (i >= slots_.size()) return;
  auto& s = slots_[i];
  s.in_flight = false;
  s.scraped = true;
  ++s.failures;
  const auto delay = t_.first_retry * (1LL << std::min(s.failures - 1, 20));
  s.due = now + std::min<std::chrono::seconds>(delay, t_.max_retry);
}

std::optional<scrape_schedule::time_point> scrape_schedule::due(std::size_t i) const {
  if (i >= slots_.size() || slots_[i].in_flight) return std::nullopt;
  return slots_[i].due;
}

std::optional<scrape_schedule::time_point> scrape_schedule::next_due() const {
  std::optional<time_point> out;
  for (const auto& s : slots_) {
    if (!s.in_flight && s.due && (!out || *s.due < *out)) out = s.due;
  }
  return out;
}

}  // namespace tessera::detail
