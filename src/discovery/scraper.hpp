// One torrent's tracker scrapes (BEP 48 over HTTP, BEP 15 action 2 over UDP): every tracker of its
// list that can be scraped, asked at once for every swarm the torrent is in (a hybrid's v1 hash
// and truncated v2 hash in one request), on scrape_schedule's times. Internal to the discovery
// layer; the torrent owns one beside its announcers.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/address.hpp>

#include "discovery/scrape_schedule.hpp"
#include "discovery/tracker.hpp"

namespace tessera::detail {

/// Where the tracker at `announce_url` is scraped: for http(s), http_scrape_url (empty when the
/// path has no `announce` component: no scrape, BEP 48); for udp, udp_scrape_url (never empty:
/// BEP 15 scrapes the announce URL's host and port); empty for anything else. Pure.
std::string scrape_url_of(std::string_view announce_url);

class scraper {
 public:
  struct callbacks {
    /// A scrape of the tracker whose announce URL is `url` begins.
    std::function<void(const std::string& url)> on_start;
    /// It ended: the figures for the hashes given to the constructor (same order), or the error.
    std::function<void(const std::string& url, const result<scrape_response, tracker_error>&)> on_done;
    /// The source address of the next scrape (as announce_request::local_address); may be empty.
    std::function<std::optional<boost::asio::ip::address>()> local_address;
  };
  struct timing {
    scrape_timing schedule;
    std::chrono::seconds http_timeout{20};
    /// BEP 15 max_retries of a UDP scrape: 1 is 15 s + 30 s.
    int udp_retries = 1;
  };

  /// `tiers`: the torrent's tracker list (BEP 12); every URL with a scrape_url_of is scraped,
  /// each once even if listed twice. `hashes`: the swarms' 20-byte hashes (swarm_hashes order).
  /// `udp` may be null (udp:// trackers are then not scraped).
  scraper(boost::asio::any_io_executor ex, std::shared_ptr<udp_tracker_client> udp,
          const std::vector<std::vector<std::string>>& tiers, std::vector<sha1_hash> hashes,
          callbacks cb);
  scraper(boost::asio::any_io_executor ex, std::shared_ptr<udp_tracker_client> udp,
          const std::vector<std::vector<std::string>>& tiers, std::vector<sha1_hash> hashes,
          callbacks cb, timing t);
  ~scraper();
  scraper(const scraper&) = delete;
  scraper& operator=(const scraper&) = delete;

  /// Starts the loop; nothing is scraped before announced() or force().
  void start();
  /// Ends the loop; scrapes in flight finish without calling back.
  void stop();
  /// A successful announce (scrape_schedule::announced).
  void announced();
  /// The next successful announce is followed by a scrape of every tracker.
  void after_next_announce();
  /// Scrapes the tracker with this announce URL (every tracker when nullopt) now, or as soon as
  /// scrape_schedule::force allows. An unknown URL does nothing.
  void force(const std::optional<std::string>& url = std::nullopt);

  /// The announce URLs scraped, in list order.
  std::vector<std::string> urls() const;
  /// When the tracker with this announce URL is scraped next (steady clock); nullopt when not
  /// planned, in flight, unknown, or stopped.
  std::optional<std::chrono::steady_clock::time_point> next_scrape(const std::string& url) const;
  /// A scrape of it is in flight.
  bool scraping(const std::string& url) const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace tessera::detail
