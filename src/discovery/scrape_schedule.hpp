// When each tracker of a torrent is scraped (BEP 48, BEP 15): the first time shortly after the
// torrent's first successful announce (the tracker then counts us), then every 30 minutes as
// Transmission does (longer when the tracker's `min_request_interval` asks), sooner after a
// forced scrape, and backing off after failures. Pure: no clock (the caller passes `now`), no
// I/O; internal to the discovery layer (the scraper drives it).
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <vector>

namespace tessera::detail {

struct scrape_timing {
  /// Between two scrapes of a tracker that answered (Transmission 3.00's 30 minutes).
  std::chrono::seconds interval{30 * 60};
  /// From the first successful announce (or one a scrape was asked to follow) to the scrape.
  std::chrono::seconds after_announce{5};
  /// After the n-th failure in a row: first_retry * 2^(n-1), at most max_retry.
  std::chrono::seconds first_retry{60};
  std::chrono::seconds max_retry{60 * 60};
  /// A forced scrape waits until this long after the tracker's last scrape began, so that a
  /// client calling scrape_tracker() in a loop cannot flood a tracker.
  std::chrono::seconds min_forced_gap{10};
};

/// The scrape schedule of `n` trackers, numbered 0..n-1 by the caller. A tracker is idle (no scrape
/// planned), due at a time, or in flight (taken by take_due until succeeded or failed).
class scrape_schedule {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  scrape_schedule(std::size_t trackers, scrape_timing t);

  /// A successful announce at `now`: every idle tracker that was never scraped, and every idle
  /// tracker when after_next_announce() was asked, becomes due at now + after_announce (an earlier
  /// due time is kept).
  void announced(time_point now);
  /// The next successful announce makes every tracker due (see announced); for a re-announce
  /// asked by the user, whose figures should include it.
  void after_next_announce() { scrape_after_announce_ = true; }
  /// Makes tracker `i` (every tracker when nullopt) due now, or at the earliest time its last
  /// scrape allows: its start + min_forced_gap and the tracker's min_request_interval. A
  /// tracker in flight is left alone; an out-of-range `i` is ignored.
  void force(time_point now, std::optional<std::size_t> i = std::nullopt);
  /// The trackers due at `now` (due time <= now), in index order, now in flight.
  std::vector<std::size_t> take_due(time_point now);
  /// Tracker `i` answered at `now`; `min_request_interval` from its reply (0: none).
  void succeeded(std::size_t i, time_point now, std::chrono::seconds min_request_interval);
  /// Tracker `i` failed at `now`: due again after the back-off.
  void failed(std::size_t i, time_point now);

  /// When tracker `i` is due next; nullopt when idle or in flight.
  std::optional<time_point> due(std::size_t i) const;
  bool in_flight(std::size_t i) const { return i < slots_.size() && slots_[i].in_flight; }
  int failures(std::size_t i) const { return i < slots_.size() ? slots_[i].failures : 0; }
  /// The earliest due time over all trackers; nullopt when none is due.
  std::optional<time_point> next_due() const;
  std::size_t size() const { return slots_.size(); }

 private:
  struct slot {
    std::optional<time_point> due;
    std::optional<time_point> last_start;
    std::chrono::seconds min_request_interval{0};
    bool in_flight = false;
    bool scraped = false;  ///< a scrape of it has finished (either way)
    int failures = 0;      ///< in a row
  };
  void set_due(slot& s, time_point when);

  scrape_timing t_;
  std::vector<slot> slots_;
  bool scrape_after_announce_ = false;
};

}  // namespace tessera::detail
