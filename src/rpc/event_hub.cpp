#include "rpc/event_hub.hpp"

#include <algorithm>
#include <utility>

namespace tessera::rpc {

event_hub::event_hub(limits l) : limits_(l) {
  if (limits_.max_events == 0) limits_.max_events = 1;
}

std::uint64_t event_hub::publish(std::string name, std::string data) {
  std::replace_if(data.begin(), data.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  std::replace_if(name.begin(), name.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  std::uint64_t seq = 0;
  {
    std::scoped_lock lk(mu_);
    seq = ++newest_;
    ring_bytes_ += name.size() + data.size();
    ring_.push_back(hub_event{seq, std::move(name), std::move(data)});
    while (ring_.size() > 1 && (ring_.size() > limits_.max_events || ring_bytes_ > limits_.max_bytes)) {
      ring_bytes_ -= ring_.front().name.size() + ring_.front().data.size();
      ring_.pop_front();
    }
  }
  std::scoped_lock lk(listener_mu_);
  if (listener_) listener_();
  return seq;
}

std::uint64_t event_hub::newest() const {
  std::scoped_lock lk(mu_);
  return newest_;
}

hub_read event_hub::read_after(std::uint64_t position, std::size_t max_events) const {
  hub_read out;
  out.position = position;
  std::scoped_lock lk(mu_);
  if (position >= newest_) return out;  // nothing new (or a position from the future: wait)
  const std::uint64_t oldest = ring_.empty() ? newest_ + 1 : ring_.front().seq;
  if (position + 1 < oldest) {
    out.reset = true;
    out.events.push_back(ring_.back());
    out.position = newest_;
    return out;
  }
  // Seqs in the ring are consecutive, so the first event to return is at a known index.
  for (auto i = static_cast<std::size_t>(position + 1 - oldest); i < ring_.size() && out.events.size() < max_events;
       ++i) {
    out.events.push_back(ring_[i]);
  }
  if (!out.events.empty()) out.position = out.events.back().seq;
  return out;
}

void event_hub::set_listener(std::function<void()> listener) {
  std::scoped_lock lk(listener_mu_);
  listener_ = std::move(listener);
}

event_hub::subscription::subscription(event_hub& hub) : hub_(&hub) {
  std::scoped_lock lk(hub_->mu_);
  ++hub_->subscribers_;
}

event_hub::subscription::subscription(subscription&& other) noexcept : hub_(std::exchange(other.hub_, nullptr)) {}

event_hub::subscription& event_hub::subscription::operator=(subscription&& other) noexcept {
  if (this != &other) {
    if (hub_) {
      std::scoped_lock lk(hub_->mu_);
      --hub_->subscribers_;
    }
    hub_ = std::exchange(other.hub_, nullptr);
  }
  return *this;
}

event_hub::subscription::~subscription() {
  if (!hub_) return;
  std::scoped_lock lk(hub_->mu_);
  --hub_->subscribers_;
}

std::size_t event_hub::subscriber_count() const {
  std::scoped_lock lk(mu_);
  return subscribers_;
}

std::size_t event_hub::size() const {
  std::scoped_lock lk(mu_);
  return ring_.size();
}

std::size_t event_hub::bytes() const {
  std::scoped_lock lk(mu_);
  return ring_bytes_;
}

}  // namespace tessera::rpc
