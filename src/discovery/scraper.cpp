// The per-torrent scrape loop (scraper.hpp) over scrape_schedule.
#include "discovery/scraper.hpp"

#include <algorithm>
#include <cctype>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace tessera::detail {

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

bool is_udp(std::string_view url) {
  constexpr std::string_view scheme = "udp://";
  return url.size() >= scheme.size() &&
         std::equal(scheme.begin(), scheme.end(), url.begin(),
                    [](char a, char b) { return std::tolower(static_cast<unsigned char>(b)) == a; });
}

}  // namespace

std::string scrape_url_of(std::string_view announce_url) {
  if (is_udp(announce_url)) return udp_scrape_url(announce_url);
  return http_scrape_url(announce_url);
}

struct scraper::impl {
  impl(asio::any_io_executor e, std::shared_ptr<udp_tracker_client> u, std::vector<sha1_hash> h,
       callbacks c, timing tm, std::vector<std::string> urls_)
      : ex(e), udp(std::move(u)), hashes(std::move(h)), cb(std::move(c)), t(tm), urls(std::move(urls_)),
        schedule(urls.size(), tm.schedule), timer(e) {}

  asio::any_io_executor ex;
  std::shared_ptr<udp_tracker_client> udp;
  std::vector<sha1_hash> hashes;
  callbacks cb;
  timing t;
  std::vector<std::string> urls;  ///< announce URLs, each with a scrape URL
  scrape_schedule schedule;
  asio::steady_timer timer;  ///< sleeps until the next due time; cancelled to wake the loop
  bool running = false;
  bool stopping = false;

  std::optional<std::size_t> index_of(const std::string& url) const {
    auto it = std::find(urls.begin(), urls.end(), url);
    if (it == urls.end()) return std::nullopt;
    return static_cast<std::size_t>(it - urls.begin());
  }

  void wake() {
    if (running && !stopping) timer.cancel();
  }

  static asio::awaitable<void> scrape_one(std::shared_ptr<impl> self, std::size_t i) {
    const std::string url = self->urls[i];
    if (self->cb.on_start) self->cb.on_start(url);
    auto local = self->cb.local_address ? self->cb.local_address() : std::nullopt;
    result<scrape_response, tracker_error> r = unexpected{tracker_error{make_error_code(tracker_errc::unsupported_url), url}};
    if (is_udp(url)) {
      if (self->udp) r = co_await self->udp->scrape(url, self->hashes, local, self->t.udp_retries);
    } else {
      r = co_await scrape_http(scrape_url_of(url), self->hashes, self->t.http_timeout, local);
    }
    if (self->stopping) co_return;
    const auto now = clock_type::now();
    if (r) {
      self->schedule.succeeded(i, now, r->min_request_interval);
    } else {
      self->schedule.failed(i, now);
    }
    if (self->cb.on_done) self->cb.on_done(url, r);
    self->wake();
  }

  static asio::awaitable<void> run(std::shared_ptr<impl> self) {
    while (!self->stopping) {
      const auto now = clock_type::now();
      for (std::size_t i : self->schedule.take_due(now)) {
        asio::co_spawn(self->ex, scrape_one(self, i), asio::detached);
      }
      // Bounded: sleeps until the next due time, or until woken by a change of the schedule.
      const auto next = self->schedule.next_due();
      self->timer.expires_at(next ? *next : clock_type::time_point::max());
      co_await self->timer.async_wait(use_tuple);
    }
  }
};

scraper::scraper(asio::any_io_executor ex, std::shared_ptr<udp_tracker_client> udp,
                 const std::vector<std::vector<std::string>>& tiers, std::vector<sha1_hash> hashes,
                 callbacks cb)
    : scraper(std::move(ex), std::move(udp), tiers, std::move(hashes), std::move(cb), timing{}) {}

scraper::scraper(asio::any_io_executor ex, std::shared_ptr<udp_tracker_client> udp,
                 const std::vector<std::vector<std::string>>& tiers, std::vector<sha1_hash> hashes,
                 callbacks cb, timing t) {
  std::vector<std::string> urls;
  for (const auto& tier : tiers) {
    for (const auto& url : tier) {
      if (scrape_url_of(url).empty() || (is_udp(url) && !udp)) continue;
      if (std::find(urls.begin(), urls.end(), url) == urls.end()) urls.push_back(url);
    }
  }
  if (hashes.size() > max_scrape_hashes) hashes.resize(max_scrape_hashes);
  impl_ = std::make_shared<impl>(std::move(ex), std::move(udp), std::move(hashes), std::move(cb), t, std::move(urls));
}

scraper::~scraper() { stop(); }

void scraper::start() {
  if (impl_->running || impl_->stopping || impl_->hashes.empty()) return;
  impl_->running = true;
  asio::co_spawn(impl_->ex, impl::run(impl_), asio::detached);
}

void scraper::stop() {
  impl_->stopping = true;
  impl_->timer.cancel();
}

void scraper::announced() {
  impl_->schedule.announced(clock_type::now());
  impl_->wake();
}

void scraper::after_next_announce() { impl_->schedule.after_next_announce(); }

void scraper::force(const std::optional<std::string>& url) {
  std::optional<std::size_t> i;
  if (url) {
    i = impl_->index_of(*url);
    if (!i) return;
  }
  impl_->schedule.force(clock_type::now(), i);
  impl_->wake();
}

std::vector<std::string> scraper::urls() const { return impl_->urls; }

std::optional<clock_type::time_point> scraper::next_scrape(const std::string& url) const {
  if (!impl_->running || impl_->stopping) return std::nullopt;
  auto i = impl_->index_of(url);
  return i ? impl_->schedule.due(*i) : std::nullopt;
}

bool scraper::scraping(const std::string& url) const {
  auto i = impl_->index_of(url);
  return i && impl_->schedule.in_flight(*i) && !impl_->stopping;
}

}  // namespace tessera::detail
