// A torrent's tracker scrapes (BEP 48, BEP 15): the scraper beside the announcers, and what its
// outcomes put in tracker_status. Members of `torrent`.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "torrent/torrent.hpp"

namespace tessera::detail {

namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

scrape_figures figures_of(const std::optional<scrape_entry>& e) {
  if (!e) return {};
  return {.complete = e->complete, .incomplete = e->incomplete, .downloaded = e->downloaded};
}

}  // namespace

void torrent::start_scraping() {
  if (scraper_ || ti_->trackers.empty()) return;
  std::vector<sha1_hash> hashes;
  for (const auto& s : swarm_hashes(ti_->info_hash)) hashes.push_back(s.hash);
  scraper_ = std::make_unique<scraper>(ctx_.ex, ctx_.udp, ti_->trackers, std::move(hashes), scraper_callbacks());
  scraper_->start();
}

scraper::callbacks torrent::scraper_callbacks() {
  std::weak_ptr<torrent> weak = weak_from_this();
  scraper::callbacks cb;
  cb.on_start = [weak](const std::string& url) {
    auto t = weak.lock();
    if (!t) return;
    t->tracker_status_[url].last_scrape_start = unix_now();
  };
  cb.on_done = [weak](const std::string& url, const result<scrape_response, tracker_error>& r) {
    auto t = weak.lock();
    if (!t) return;
    auto& ts = t->tracker_status_[url];
    ts.last_scrape = unix_now();
    if (!r) {
      ts.scrape_succeeded = false;
      ts.scrape_timed_out = r.error().ec == tracker_errc::timeout;
      ts.scrape_error = r.error().message.empty() ? r.error().ec.message() : r.error().message;
      spdlog::debug("torrent {}: scrape of {} failed: {}", t->ti_->name, url, ts.scrape_error);
      return;
    }
    ++ts.scrapes;
    ts.scrape_succeeded = true;
    ts.scrape_timed_out = false;
    ts.scrape_error.clear();
    // Entries follow swarm_hashes(): the primary swarm first, then a hybrid's v2 swarm.
    ts.scrape = r->entries.empty() ? scrape_figures{} : figures_of(r->entries[0]);
    ts.scrape_v2 = t->ti_->info_hash.is_hybrid() && r->entries.size() > 1 ? figures_of(r->entries[1]) : scrape_figures{};
    spdlog::debug("torrent {}: scrape of {}: {} seeds, {} leechers, {} downloaded", t->ti_->name, url,
                  ts.scrape.complete, ts.scrape.incomplete, ts.scrape.downloaded);
  };
  cb.local_address = [weak]() -> std::optional<boost::asio::ip::address> {
    auto t = weak.lock();
    if (!t) return std::nullopt;
    return outgoing_address(t->ctx_.settings);
  };
  return cb;
}

void torrent::fill_scrape_status(tracker_status& ts) const {
  ts.scrape_url = scrape_url_of(ts.url);
  ts.scrape_state = tracker_scrape_state::inactive;
  ts.next_scrape = 0;
  if (!scraper_) return;
  const auto urls = scraper_->urls();
  if (std::find(urls.begin(), urls.end(), ts.url) == urls.end()) return;
  if (scraper_->scraping(ts.url)) {
    ts.scrape_state = tracker_scrape_state::active;
    return;
  }
  ts.scrape_state = tracker_scrape_state::waiting;
  if (auto due = scraper_->next_scrape(ts.url)) {
    const auto wait = std::max(*due - std::chrono::steady_clock::now(), std::chrono::steady_clock::duration::zero());
    ts.next_scrape = unix_now() + std::chrono::ceil<std::chrono::seconds>(wait).count();
  }
}

result<bool> torrent::scrape_tracker(int index) {
  std::vector<std::string> urls;
  for (const auto& tier : ti_->trackers) urls.insert(urls.end(), tier.begin(), tier.end());
  if (index < -1 || index >= static_cast<int>(urls.size())) {
    return unexpected{std::make_error_code(std::errc::invalid_argument)};
  }
  if (!scraper_) return true;
  if (index == -1) {
    scraper_->force();
  } else {
    scraper_->force(urls[static_cast<std::size_t>(index)]);
  }
  return true;
}

}  // namespace tessera::detail
