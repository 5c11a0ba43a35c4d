// Host name resolution with a deadline, shared by the HTTP and UDP tracker clients. Internal to
// the discovery layer; include only from .cpp files (it pulls in Asio).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "discovery/tracker.hpp"

namespace tessera::detail {

/// Resolves host:port for `Protocol` (tcp or udp) before `deadline`. IP literals skip the
/// resolver. Errors: tracker_errc::timeout, tracker_errc::resolve_failed.
template <class Protocol>
boost::asio::awaitable<result<typename Protocol::resolver::results_type, tracker_error>>
resolve_with_deadline(std::string host, std::uint16_t port,
                      std::chrono::steady_clock::time_point deadline) {
  namespace asio = boost::asio;
  using results_type = typename Protocol::resolver::results_type;
  auto ex = co_await asio::this_coro::executor;
  boost::system::error_code ec;
  auto literal = asio::ip::make_address(host, ec);
  if (!ec) {
    co_return results_type::create(typename Protocol::endpoint(literal, port), host,
                                   std::to_string(port));
  }
  // The resolver has no deadline of its own, so a watchdog cancels it. Both are in shared state
  // because the watchdog's handler may run after this coroutine has returned.
  auto resolver = std::make_shared<typename Protocol::resolver>(ex);
  auto watchdog = std::make_shared<asio::steady_timer>(ex, deadline);
  auto timed_out = std::make_shared<bool>(false);
  watchdog->async_wait([resolver, timed_out](boost::system::error_code wait_ec) {
    if (wait_ec) return;
    *timed_out = true;
    resolver->cancel();
  });
  auto [rec, results] = co_await resolver->async_resolve(host, std::to_string(port),
                                                         asio::as_tuple(asio::use_awaitable));
  watchdog->cancel();
  if (*timed_out) {
    co_return unexpected{tracker_error{make_error_code(tracker_errc::timeout), "resolving " + host}};
  }
  if (rec || results.empty()) {
    co_return unexpected{tracker_error{make_error_code(tracker_errc::resolve_failed),
                                       host + ": " + (rec ? rec.message() : "no address")}};
  }
  co_return results;
}

}  // namespace tessera::detail
