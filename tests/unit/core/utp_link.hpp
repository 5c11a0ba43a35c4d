// A simulated link between two utp_connections for the uTP tests: a virtual clock, per-direction
// one-way delay, loss, duplication, reordering, a bottleneck rate with its queue, and a path MTU
// (a probe above it is dropped; other datagrams are fragmented and delivered, as IP does). Side 0
// connects; side 1 is created by accept() from the first SYN that reaches it. Each side's
// application writes from its own source bytes and reads into a sink.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <random>
#include <vector>

#include "core/utp_connection.hpp"
#include "core/utp_packet.hpp"

namespace tessera::detail::test {

using namespace std::chrono_literals;

struct link_direction {
  utp_duration delay{1000};          ///< one-way propagation delay
  utp_duration extra_delay{0};       ///< added to every datagram (a standing queue elsewhere)
  double loss = 0;                   ///< probability a datagram is dropped
  double duplicate = 0;              ///< probability it arrives twice
  double reorder = 0;                ///< probability it is held back by reorder_delay
  utp_duration reorder_delay{3000};
  std::int64_t rate = 0;             ///< bottleneck bytes/s (0 = unlimited): queueing delay
  std::size_t mtu = 1472;            ///< largest UDP payload the path carries unfragmented
  bool dead = false;                 ///< drops everything
  /// Called for each datagram before the link decides; returns false to drop it.
  std::function<bool(const std::vector<std::uint8_t>&)> filter;
};

class utp_link {
 public:
  explicit utp_link(utp_config config = {}, std::uint32_t seed = 1) : config_(config), rng_(seed) {
    for (auto& c : configs_) c = config;
  }

  utp_time now{std::chrono::seconds(1000)};
  link_direction dir[2];  ///< dir[0]: side 0 -> side 1; dir[1]: side 1 -> side 0
  std::optional<utp_connection> side[2];
  std::vector<std::uint8_t> source[2];  ///< what each side's application writes
  std::size_t written[2] = {0, 0};
  std::vector<std::uint8_t> sink[2];    ///< what each side's application read
  bool app_reads[2] = {true, true};
  bool close_when_written[2] = {false, false};
  std::uint16_t accept_seq = 1;
  utp_config configs_[2];
  std::size_t probes_dropped = 0;
  std::size_t oversized_fragmented = 0;
  /// Called after every step (checks of invariants in the tests).
  std::function<void(utp_link&)> after_step;

  void connect(std::uint16_t recv_id, std::uint16_t initial_seq) {
    side[0] = utp_connection::connect(configs_[0], recv_id, initial_seq, now);
    pump(0);
  }

  /// Delivers raw bytes to a side now (hostile packets), as the transport would after decoding.
  void inject(int to, const std::vector<std::uint8_t>& bytes) {
    auto p = decode_utp_packet(bytes);
    if (p && side[to]) side[to]->on_packet(*p, now);
    pump(to);
  }

  /// Runs until `done` or until `limit` of simulated time passes; returns whether `done` held.
  bool run_until(const std::function<bool()>& done, utp_duration limit) {
    const utp_time end = now + limit;
    while (!done()) {
      utp_time next = utp_time::max();
      if (!queue_.empty()) next = queue_.top().at;
      for (int s = 0; s < 2; ++s)
        if (side[s]) next = std::min(next, side[s]->next_tick());
      if (next > end) {
        now = end;
        return done();
      }
      now = std::max(now, next);
      while (!queue_.empty() && queue_.top().at <= now) {
        item it = queue_.top();
        queue_.pop();
        deliver(it.to, it.bytes);
      }
      for (int s = 0; s < 2; ++s) {
        if (side[s] && side[s]->next_tick() <= now) {
          side[s]->on_tick(now);
          pump(s);
        }
      }
      if (after_step) after_step(*this);
    }
    return true;
  }

  bool transferred(int from) const {
    const int to = 1 - from;
    return sink[to].size() == source[from].size();
  }

 private:
  struct item {
    utp_time at;
    std::uint64_t order;
    int to;
    std::vector<std::uint8_t> bytes;
    bool operator>(const item& o) const { return at != o.at ? at > o.at : order > o.order; }
  };

  void deliver(int to, const std::vector<std::uint8_t>& bytes) {
    auto p = decode_utp_packet(bytes);
    if (!p) return;
    if (!side[to]) {
      if (to != 1 || p->header.type != utp_type::syn) return;
      auto c = utp_connection::accept(configs_[1], *p, accept_seq, now);
      if (!c) return;
      side[1].emplace(std::move(*c));
    } else {
      side[to]->on_packet(*p, now);
    }
    pump(to);
  }

  // The application's writes and reads, then the datagrams the side queued.
  void pump(int s) {
    auto& c = *side[s];
    for (int round = 0; round < 2; ++round) {
      if (written[s] < source[s].size()) {
        written[s] += c.write(std::span(source[s]).subspan(written[s]), now);
      }
      if (close_when_written[s] && written[s] == source[s].size()) c.close(now);
      if (app_reads[s] && c.readable() > 0) {
        std::vector<std::uint8_t> buf(c.readable());
        buf.resize(c.read(buf, now));
        sink[s].insert(sink[s].end(), buf.begin(), buf.end());
      }
    }
    for (auto& d : c.take_datagrams()) transmit(s, std::move(d));
  }

  void transmit(int from, utp_datagram d) {
    link_direction& l = dir[from];
    std::uniform_real_distribution<double> u(0, 1);
    if (l.dead) return;
    if (l.filter && !l.filter(d.bytes)) return;
    if (d.bytes.size() > l.mtu) {
      if (d.probe) {
        ++probes_dropped;
        return;
      }
      ++oversized_fragmented;
    }
    if (l.loss > 0 && u(rng_) < l.loss) return;
    utp_time at = now;
    if (l.rate > 0) {
      const utp_time start = std::max(now, link_free_[from]);
      link_free_[from] = start + utp_duration(static_cast<std::int64_t>(d.bytes.size()) * 1'000'000 / l.rate);
      at = link_free_[from];
    }
    at += l.delay + l.extra_delay;
    if (l.reorder > 0 && u(rng_) < l.reorder) at += l.reorder_delay;
    if (l.duplicate > 0 && u(rng_) < l.duplicate) queue_.push(item{at + 500us, order_++, 1 - from, d.bytes});
    queue_.push(item{at, order_++, 1 - from, std::move(d.bytes)});
  }

  utp_config config_;
  std::mt19937 rng_;
  std::priority_queue<item, std::vector<item>, std::greater<item>> queue_;
  std::uint64_t order_ = 0;
  utp_time link_free_[2]{};
};

inline std::vector<std::uint8_t> random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> v(n);
  for (auto& b : v) b = static_cast<std::uint8_t>(rng());
  return v;
}

}  // namespace tessera::detail::test
