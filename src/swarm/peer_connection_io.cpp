// peer_connection, the byte pumps on the peer_stream: the reader (decodes messages straight out of
// the receive buffer), the writer (drains the send queue), the rate-limited variants of both, and
// the 1 s tick.
#include <algorithm>
#include <variant>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "swarm/peer_connection_impl.hpp"

namespace tessera::detail {

namespace asio = boost::asio;
using asio::awaitable;
using clock_type = std::chrono::steady_clock;

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr auto tick_interval = std::chrono::seconds(1);
}  // namespace

awaitable<void> peer_connection::impl::read_loop(impl& d) {
  const std::uint32_t max_length = d.max_message_length();
  for (;;) {
    std::size_t needed = 0;
    // After a backlog overflow nothing more is decoded: the close is already on its way.
    while (!d.closed && !d.close_scheduled) {
      auto r = wire::decode_message(d.recv.data(), max_length);
      if (r.ec) {
        d.close(r.ec);
        co_return;
      }
      if (r.consumed == 0) {
        // Grow for the message only once its id is here: an unknown one is skipped, not kept.
        if (d.recv.data().size() > 4) needed = r.needed;
        break;
      }
      d.recv.consume(r.consumed);  // spans in r.msg stay valid: nothing moves until the batch ends
      if (r.skip > 0) d.recv.skip(r.skip);
      std::visit([&d](const auto& m) { d.on_message(m); }, r.msg);
    }
    if (d.closed || d.close_scheduled) co_return;
    if (d.pipeline_dirty) {
      d.pipeline_dirty = false;
      d.request_more();
      if (d.closed) co_return;
    }
    auto room = d.recv.prepare(needed);  // needed is bounded by max_length + 4
    std::size_t take = room.size();
    if (!d.down_quota.unlimited()) {
      take = co_await download_quota(d, take);
      if (d.closed) co_return;
    }
    auto [ec, n] = co_await d.stream.read_some(room.first(take));
    if (d.closed) co_return;
    if (ec) {
      d.close(ec);
      co_return;
    }
    d.recv.commit(n);
    d.received_bytes += static_cast<std::int64_t>(n);
    d.last_receive = clock_type::now();
  }
}

awaitable<void> peer_connection::impl::write_loop(std::shared_ptr<peer_connection> self) {
  impl& d = *self->impl_;
  while (!d.closed) {
    if (!d.sendq.has_queued()) {
      d.writer_waiting = true;
      d.write_signal.expires_at(clock_type::time_point::max());
      co_await d.write_signal.async_wait(use_tuple);
      d.writer_waiting = false;
      continue;
    }
    // Messages queued while this write is in flight go to the other buffer.
    d.sendq.start_write();
    boost::system::error_code ec;
    if (d.up_quota.unlimited()) {
      ec = co_await write_to_socket(d, d.sendq.unwritten().size());
    } else {
      ec = co_await write_limited(d);
    }
    if (d.closed) co_return;
    if (ec) {
      d.close(ec);
      co_return;
    }
    d.last_send = clock_type::now();
    d.pump_uploads();  // the backlog shrank: start more disk reads
  }
}

awaitable<std::size_t> peer_connection::impl::download_quota(impl& d, std::size_t room) {
  const auto wec = co_await d.stream.wait_readable();
  if (d.closed || wec) co_return room;
  boost::system::error_code aec;
  const std::size_t ready = d.stream.available(aec);
  if (aec || ready == 0) co_return room;
  const auto granted = co_await d.down_quota.acquire(static_cast<std::int64_t>(std::min(room, ready)));
  co_return static_cast<std::size_t>(granted);
}

awaitable<boost::system::error_code> peer_connection::impl::write_to_socket(impl& d, std::size_t n) {
  while (n > 0) {
    const auto rest = d.sendq.unwritten().first(n);
    d.sendq.socket_write_started(clock_type::now());
    auto [ec, written] = co_await d.stream.write_some(rest);
    if (d.closed) co_return ec;
    d.sendq.socket_write_ended();
    if (ec) co_return ec;
    d.sendq.wrote(written);
    n -= written;
  }
  co_return boost::system::error_code{};
}

awaitable<boost::system::error_code> peer_connection::impl::write_limited(impl& d) {
  while (d.sendq.writing()) {
    const auto granted = co_await d.up_quota.acquire(static_cast<std::int64_t>(d.sendq.unwritten().size()));
    if (d.closed || granted <= 0) co_return boost::system::error_code{};
    const auto ec = co_await write_to_socket(d, static_cast<std::size_t>(granted));
    if (ec || d.closed) co_return ec;
  }
  co_return boost::system::error_code{};
}

awaitable<void> peer_connection::impl::tick_loop(std::shared_ptr<peer_connection> self) {
  impl& d = *self->impl_;
  while (!d.closed) {
    d.tick_timer.expires_after(tick_interval);
    co_await d.tick_timer.async_wait(use_tuple);
    if (d.closed) co_return;
    d.on_tick(clock_type::now());
  }
}

}  // namespace tessera::detail
