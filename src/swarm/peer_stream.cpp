// peer_stream: the transport dispatch, the held plaintext bytes, the cipher on reads and writes.
#include "swarm/peer_stream.hpp"

#include <algorithm>
#include <cstring>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "swarm/socket_options.hpp"

namespace tessera::detail {

namespace asio = boost::asio;

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
}  // namespace

peer_stream::peer_stream(executor_type ex) : socket_(std::in_place_type<tcp::socket>, std::move(ex)) {}

peer_stream::peer_stream(tcp::socket socket) : socket_(std::move(socket)) {}

peer_stream::peer_stream(utp_stream stream) : socket_(std::move(stream)) {}

namespace {
peer_stream::tcp::endpoint as_tcp(const asio::ip::udp::endpoint& ep) { return {ep.address(), ep.port()}; }
}  // namespace

peer_stream::executor_type peer_stream::get_executor() {
  return std::visit([](auto& s) -> executor_type { return s.get_executor(); }, socket_);
}

peer_transport peer_stream::transport() const {
  return std::holds_alternative<tcp::socket>(socket_) ? peer_transport::tcp : peer_transport::utp;
}

peer_stream::tcp::socket* peer_stream::tcp_socket() { return std::get_if<tcp::socket>(&socket_); }

void peer_stream::push_received(std::span<const std::uint8_t> plaintext) {
  if (plaintext.empty()) return;
  if (prefix_pos_ == prefix_.size()) {
    prefix_.clear();
    prefix_pos_ = 0;
  }
  prefix_.insert(prefix_.end(), plaintext.begin(), plaintext.end());
}

peer_stream::awaitable<peer_stream::io_result> peer_stream::read_some(std::span<std::uint8_t> buf) {
  if (prefix_pos_ < prefix_.size()) {
    const std::size_t n = std::min(buf.size(), prefix_.size() - prefix_pos_);
    std::memcpy(buf.data(), prefix_.data() + prefix_pos_, n);
    prefix_pos_ += n;
    if (prefix_pos_ == prefix_.size()) {
      prefix_.clear();
      prefix_.shrink_to_fit();  // a one-off after the handshake: give the memory back
      prefix_pos_ = 0;
    }
    co_return io_result{boost::system::error_code{}, n};
  }
  // (if/else rather than ?: around co_await: GCC 12 miscompiles some temporaries in co_await
  // expressions; see utp_socket_manager.cpp.)
  io_result r;
  if (auto* t = tcp_socket()) {
    r = co_await t->async_read_some(asio::buffer(buf.data(), buf.size()), use_tuple);
  } else {
    r = co_await std::get<utp_stream>(socket_).async_read_some(asio::buffer(buf.data(), buf.size()), use_tuple);
  }
  const std::size_t n = std::get<1>(r);
  if (n > 0) cipher_.decrypt(buf.first(n));
  co_return r;
}

peer_stream::awaitable<peer_stream::io_result> peer_stream::write_some(std::span<const std::uint8_t> buf) {
  if (!encrypted()) {
    if (auto* t = tcp_socket()) co_return co_await t->async_write_some(asio::buffer(buf.data(), buf.size()), use_tuple);
    co_return co_await std::get<utp_stream>(socket_).async_write_some(asio::buffer(buf.data(), buf.size()), use_tuple);
  }
  // Encrypted: each byte passes the cipher exactly once, so the whole copy must go out before
  // the next call (a partial write would leave encrypted bytes the caller knows nothing about).
  scratch_.assign(buf.begin(), buf.end());
  cipher_.encrypt(scratch_);
  io_result r;
  if (auto* t = tcp_socket()) {
    r = co_await asio::async_write(*t, asio::buffer(scratch_), use_tuple);
  } else {
    r = co_await asio::async_write(std::get<utp_stream>(socket_), asio::buffer(scratch_), use_tuple);
  }
  if (scratch_.capacity() > 4 * 1024 * 1024) {
    scratch_.clear();
    scratch_.shrink_to_fit();
  }
  co_return r;
}

peer_stream::awaitable<peer_stream::io_result> peer_stream::write(std::span<const std::uint8_t> buf) {
  std::size_t done = 0;
  while (done < buf.size()) {
    auto [ec, n] = co_await write_some(buf.subspan(done));
    done += n;
    if (ec) co_return io_result{ec, done};
  }
  co_return io_result{boost::system::error_code{}, done};
}

peer_stream::awaitable<boost::system::error_code> peer_stream::wait_readable() {
  if (prefix_pos_ < prefix_.size()) co_return boost::system::error_code{};
  if (auto* s = tcp_socket()) {
    auto [ec] = co_await s->async_wait(tcp::socket::wait_read, use_tuple);
    co_return ec;
  }
  auto [ec] = co_await std::get<utp_stream>(socket_).async_wait_readable(use_tuple);
  co_return ec;
}

std::size_t peer_stream::available(boost::system::error_code& ec) const {
  const std::size_t held = prefix_.size() - prefix_pos_;
  return held + std::visit([&ec](const auto& s) { return s.available(ec); }, socket_);
}

void peer_stream::close() {
  if (auto* s = tcp_socket()) {
    boost::system::error_code ignored;
    s->shutdown(tcp::socket::shutdown_both, ignored);
    s->close(ignored);
    return;
  }
  std::get<utp_stream>(socket_).close();
}

bool peer_stream::is_open() const {
  return std::visit([](const auto& s) { return s.is_open(); }, socket_);
}

peer_stream::tcp::endpoint peer_stream::remote_endpoint(boost::system::error_code& ec) const {
  if (const auto* s = std::get_if<tcp::socket>(&socket_)) return s->remote_endpoint(ec);
  const auto& u = std::get<utp_stream>(socket_);
  ec = u.is_open() ? boost::system::error_code{} : boost::system::error_code(asio::error::bad_descriptor);
  return as_tcp(u.remote_endpoint());
}

peer_stream::tcp::endpoint peer_stream::local_endpoint(boost::system::error_code& ec) const {
  if (const auto* s = std::get_if<tcp::socket>(&socket_)) return s->local_endpoint(ec);
  const auto& u = std::get<utp_stream>(socket_);
  ec = u.is_open() ? boost::system::error_code{} : boost::system::error_code(asio::error::bad_descriptor);
  return as_tcp(u.local_endpoint());
}

std::error_code peer_stream::set_traffic_class(int tos) {
  if (auto* s = tcp_socket()) return detail::set_traffic_class(*s, tos);
  return {};
}

}  // namespace tessera::detail
