// The per-torrent announce loop over tiers (BEP 12), with the re-announce schedule.
#include <algorithm>
#include <cctype>
#include <optional>
#include <random>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "discovery/tracker.hpp"

namespace tessera::detail {

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

struct tracker_entry {
  std::string url;
  bool answered = false;   ///< answered at least once: gets `stopped` on stop()
  std::string tracker_id;  ///< `tracker id` it gave us, echoed back (BEP 3)
};

bool starts_with(const std::string& s, std::string_view prefix) {
  return s.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), s.begin(),
                    [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
}
}  // namespace

struct announcer::impl {
  impl(asio::any_io_executor e, std::shared_ptr<udp_tracker_client> u, callbacks c, timing tm)
      : ex(e), udp(std::move(u)), cb(std::move(c)), t(tm), timer(e) {}

  asio::any_io_executor ex;
  std::shared_ptr<udp_tracker_client> udp;
  callbacks cb;
  timing t;
  std::vector<std::vector<tracker_entry>> tiers;
  asio::steady_timer timer;      ///< the sleep between rounds; cancelled to wake the loop early
  std::uint32_t key = 0;
  bool running = false;
  bool stopping = false;
  bool started_sent = false;     ///< a tracker has acknowledged `started`
  bool completed_requested = false;
  bool completed_sent = false;
  bool any_success = false;
  int failed_rounds = 0;
  clock_type::time_point next_round = clock_type::now();
  clock_type::time_point last_success{};
  std::chrono::seconds min_interval{0};
  std::string last_url;  ///< the tracker that answered the last successful round

  /// Wakes the loop if `when` is earlier than the next planned round.
  void schedule(clock_type::time_point when) {
    if (when < next_round) {
      next_round = when;
      timer.cancel();
    }
  }

  asio::awaitable<result<announce_response, tracker_error>>
  announce_one(const std::string& url, const announce_request& req, int udp_retries,
               std::chrono::seconds http_timeout) {
    if (starts_with(url, "udp://")) {
      if (!udp) co_return unexpected{tracker_error{make_error_code(tracker_errc::unsupported_url), url}};
      co_return co_await udp->announce(url, req, udp_retries);
    }
    if (starts_with(url, "http://") || starts_with(url, "https://")) {
      co_return co_await announce_http(url, req, http_timeout);
    }
    co_return unexpected{tracker_error{make_error_code(tracker_errc::unsupported_url), url}};
  }

  announce_request request_for(announce_event event, const tracker_entry& entry) {
    announce_request req = cb.make_request ? cb.make_request() : announce_request{};
    req.event = event;
    if (req.key == 0) req.key = key;
    req.tracker_id = entry.tracker_id;
    return req;
  }

  /// One round: tiers in order, trackers of a tier in order, until one answers (BEP 12).
  /// nullopt with *last_error set when all failed (or when stopping).
  asio::awaitable<std::optional<announce_response>> round(announce_event event, tracker_error* last_error) {
    *last_error = {make_error_code(tracker_errc::unsupported_url), "no trackers"};
    const int udp_retries = any_success ? t.udp_retries : t.udp_first_round_retries;
    for (std::size_t ti = 0; ti < tiers.size(); ++ti) {
      for (std::size_t i = 0; i < tiers[ti].size(); ++i) {
        const std::string url = tiers[ti][i].url;
        auto reply = co_await announce_one(url, request_for(event, tiers[ti][i]), udp_retries, t.http_timeout);
        if (stopping) co_return std::nullopt;
        if (!reply) {
          *last_error = reply.error();
          if (cb.on_error) cb.on_error(url, *last_error);
          continue;
        }
        auto& tier = tiers[ti];
        tier[i].answered = true;
        if (!reply->tracker_id.empty()) tier[i].tracker_id = reply->tracker_id;
        // BEP 12: the tracker that answered moves to the front of its tier.
        std::rotate(tier.begin(), tier.begin() + static_cast<std::ptrdiff_t>(i),
                    tier.begin() + static_cast<std::ptrdiff_t>(i) + 1);
        last_url = url;
        co_return std::move(*reply);
      }
    }
    co_return std::nullopt;
  }

  static asio::awaitable<void> run(std::shared_ptr<impl> self) {
    while (!self->stopping) {
      // Bounded: each pass waits until next_round or is woken by schedule()/stop().
      while (!self->stopping && clock_type::now() < self->next_round) {
        self->timer.expires_at(self->next_round);
        co_await self->timer.async_wait(use_tuple);
      }
      if (self->stopping) break;
      announce_event event = announce_event::none;
      if (!self->started_sent) {
        event = announce_event::started;
      } else if (self->completed_requested && !self->completed_sent) {
        event = announce_event::completed;
      }
      tracker_error last_error;
      auto reply = co_await self->round(event, &last_error);
      if (self->stopping) break;
      const auto now = clock_type::now();
      if (reply) {
        self->any_success = true;
        self->failed_rounds = 0;
        self->last_success = now;
        self->min_interval = reply->min_interval;
        if (event == announce_event::started) self->started_sent = true;
        if (event == announce_event::completed) self->completed_sent = true;
        self->next_round = now + reply->interval;
        if (self->completed_requested && !self->completed_sent) self->next_round = now;
        if (self->cb.on_reply) self->cb.on_reply(self->last_url, *reply);
        if (self->cb.on_peers && !reply->peers.empty()) self->cb.on_peers(reply->peers);
      } else {
        auto delay = self->t.first_retry * (1LL << std::min(self->failed_rounds, 16));
        delay = std::min<std::chrono::seconds>(
            std::chrono::duration_cast<std::chrono::seconds>(delay), self->t.max_retry);
        ++self->failed_rounds;
        self->next_round = now + delay;
        if (self->cb.on_all_failed) self->cb.on_all_failed(last_error);
      }
    }
  }

};

announcer::announcer(asio::any_io_executor ex, std::shared_ptr<udp_tracker_client> udp,
                     std::vector<std::vector<std::string>> tiers, callbacks cb)
    : announcer(std::move(ex), std::move(udp), std::move(tiers), std::move(cb), timing{}) {}

announcer::announcer(asio::any_io_executor ex, std::shared_ptr<udp_tracker_client> udp,
                     std::vector<std::vector<std::string>> tiers, callbacks cb, timing t)
    : impl_(std::make_shared<impl>(ex, std::move(udp), std::move(cb), t)) {
  std::mt19937 rng{std::random_device{}()};
  impl_->key = static_cast<std::uint32_t>(rng());
  for (auto& tier : tiers) {
    if (tier.empty()) continue;
    std::vector<tracker_entry> entries;
    for (auto& url : tier) entries.push_back({std::move(url), false, {}});
    std::shuffle(entries.begin(), entries.end(), rng);  // BEP 12: once, when the list is loaded
    impl_->tiers.push_back(std::move(entries));
  }
}

announcer::~announcer() {
  impl_->stopping = true;
  impl_->timer.cancel();
}

void announcer::start() {
  if (impl_->running || impl_->stopping) return;
  impl_->running = true;
  impl_->next_round = clock_type::now();
  asio::co_spawn(impl_->ex, impl::run(impl_), asio::detached);
}

std::optional<std::chrono::steady_clock::time_point> announcer::next_announce() const {
  if (!impl_->running || impl_->stopping) return std::nullopt;
  return impl_->next_round;
}

void announcer::completed() {
  if (impl_->completed_requested) return;
  impl_->completed_requested = true;
  if (impl_->running && !impl_->stopping) impl_->schedule(clock_type::now());
}

void announcer::reannounce() {
  if (!impl_->running || impl_->stopping) return;
  auto when = clock_type::now();
  if (impl_->any_success) when = std::max(when, impl_->last_success + impl_->min_interval);
  impl_->schedule(when);
}

asio::awaitable<void> announcer::stop(std::chrono::seconds timeout) {
  auto self = impl_;
  if (self->stopping) co_return;
  self->stopping = true;
  self->timer.cancel();

  struct pending_stops {
    explicit pending_stops(asio::any_io_executor e) : done(e) {}
    int pending = 0;
    asio::steady_timer done;
  };
  auto state = std::make_shared<pending_stops>(self->ex);
  const auto per_tracker = std::max(std::chrono::seconds(1), std::min(timeout, self->t.http_timeout));
  for (const auto& tier : self->tiers) {
    for (const auto& entry : tier) {
      if (!entry.answered) continue;
      ++state->pending;
      auto req = self->request_for(announce_event::stopped, entry);
      // co_spawn posts: none of these runs before this coroutine suspends below.
      asio::co_spawn(
          self->ex,
          [self, state, url = entry.url, req, per_tracker]() -> asio::awaitable<void> {
            (void)co_await self->announce_one(url, req, 0, per_tracker);
            if (--state->pending == 0) state->done.cancel();
          },
          asio::detached);
    }
  }
  const auto deadline = clock_type::now() + timeout;
  while (state->pending > 0 && clock_type::now() < deadline) {
    state->done.expires_at(deadline);
    co_await state->done.async_wait(use_tuple);
  }
}

std::vector<std::vector<std::string>> announcer::tiers() const {
  std::vector<std::vector<std::string>> out;
  for (const auto& tier : impl_->tiers) {
    auto& urls = out.emplace_back();
    for (const auto& entry : tier) urls.push_back(entry.url);
  }
  return out;
}

}  // namespace tessera::detail
