// The session's shared UDP socket (udp_socket.hpp).
//
// The receive loop waits for readability, then takes up to max_batch datagrams with non-blocking
// receive_from calls into the one reused buffer before waiting again: no coroutine frame or
// operation per datagram, and a flood cannot keep the loop from yielding to other work.
#include "swarm/udp_socket.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/socket_base.hpp>

namespace tessera::detail {

namespace asio = boost::asio;
using boost::system::error_code;
using udp = asio::ip::udp;

namespace {
constexpr int max_batch = 64;
// Socket buffers asked for (the kernel caps them at net.core.rmem_max / wmem_max): a fast uTP
// stream has a megabyte in flight, far above Linux's 208 KiB default.
constexpr int socket_buffer_bytes = 4 * 1024 * 1024;
}  // namespace

udp_socket::udp_socket(asio::any_io_executor ex) : socket_(ex), buffer_(receive_buffer_size) {}

std::shared_ptr<udp_socket> udp_socket::open(asio::any_io_executor ex, const udp::endpoint& bind,
                                             const utp_manager_settings& utp_settings, error_code& ec) {
  std::shared_ptr<udp_socket> s(new udp_socket(ex));
  s->v6_ = bind.address().is_v6();
  s->socket_.open(bind.protocol(), ec);
  if (ec) return nullptr;
  if (bind.address().is_v6()) {
    s->socket_.set_option(asio::ip::v6_only(true), ec);
    if (ec) return nullptr;
  }
  s->socket_.bind(bind, ec);
  if (ec) return nullptr;
  s->socket_.non_blocking(true, ec);
  if (ec) return nullptr;
  error_code ignored;  // larger buffers are a wish, not a need
  s->socket_.set_option(asio::socket_base::receive_buffer_size(socket_buffer_bytes), ignored);
  s->socket_.set_option(asio::socket_base::send_buffer_size(socket_buffer_bytes), ignored);
  s->set_dont_fragment(false);
  s->local_ = s->socket_.local_endpoint(ec);
  if (ec) return nullptr;
  std::weak_ptr<udp_socket> weak = s;
  s->utp_ = utp_socket_manager::create(
      ex, utp_settings, s->local_,
      [weak](std::span<const std::uint8_t> bytes, const udp::endpoint& to, bool probe) -> error_code {
        auto self = weak.lock();
        if (!self) return asio::error::bad_descriptor;
        return probe ? self->send_to_dont_fragment(bytes, to) : self->send_to(bytes, to);
      });
  s->start_wait();
  return s;
}

udp_socket::~udp_socket() { close(); }

void udp_socket::close() {
  if (closed_) return;
  if (utp_) utp_->shutdown();  // its RESETs still go out through the open socket
  closed_ = true;
  error_code ignored;
  socket_.close(ignored);
}

error_code udp_socket::send_to(std::span<const std::uint8_t> bytes, const udp::endpoint& to) {
  if (closed_) return asio::error::bad_descriptor;
  error_code ec;
  socket_.send_to(asio::buffer(bytes.data(), bytes.size()), to, 0, ec);
  if (ec) ++stats_.send_errors;
  return ec;
}

error_code udp_socket::send_to_dont_fragment(std::span<const std::uint8_t> bytes, const udp::endpoint& to) {
  set_dont_fragment(true);
  const error_code ec = send_to(bytes, to);
  set_dont_fragment(false);
  return ec;
}

void udp_socket::set_dont_fragment(bool on) {
  if (!socket_.is_open()) return;
  // Failures leave the kernel's default (path MTU discovery on Linux): a probe may then be
  // fragmented, which only makes the MTU search conclude too high; nothing breaks.
  if (v6_) {
    const int v = on ? 1 : 0;
    ::setsockopt(socket_.native_handle(), IPPROTO_IPV6, IPV6_DONTFRAG, &v, sizeof v);
  } else {
    const int v = on ? IP_PMTUDISC_PROBE : IP_PMTUDISC_DONT;
    ::setsockopt(socket_.native_handle(), IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof v);
  }
}

void udp_socket::start_wait() {
  socket_.async_wait(udp::socket::wait_read, [weak = weak_from_this()](const error_code& ec) {
    auto self = weak.lock();
    if (!self || self->closed_ || ec == asio::error::operation_aborted) return;
    self->on_readable();
  });
}

void udp_socket::on_readable() {
  // The uTP manager holds what its connections send until the batch ends, so a burst of data
  // packets is acknowledged once (utp_socket_manager::begin_batch).
  auto utp = utp_;
  utp->begin_batch();
  for (int i = 0; i < max_batch && !closed_; ++i) {
    udp::endpoint from;
    error_code ec;
    const std::size_t n = socket_.receive_from(asio::buffer(buffer_), from, 0, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) break;
    if (ec) {
      // ICMP errors reported on the socket (connection_refused...) and the like: the datagram
      // that caused them is gone; keep receiving.
      ++stats_.receive_errors;
      continue;
    }
    const std::span<const std::uint8_t> bytes(buffer_.data(), n);
    if (utp_->on_datagram(bytes, from)) {
      ++stats_.utp_datagrams;
    } else {
      ++stats_.other_datagrams;
      if (other_) other_(bytes, from);
    }
  }
  utp->end_batch();
  if (!closed_) start_wait();
}

}  // namespace tessera::detail
