// utp_stream: a handle that forwards to its connection's manager (utp_stream.hpp).
#include "swarm/utp_stream.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include "swarm/utp_socket_impl.hpp"
#include "swarm/utp_socket_manager.hpp"

namespace tessera::detail {

namespace asio = boost::asio;
using boost::system::error_code;

utp_stream::utp_stream(std::shared_ptr<utp_socket_impl> impl) : impl_(std::move(impl)) {}

utp_stream& utp_stream::operator=(utp_stream&& other) noexcept {
  if (this != &other) {
    close();
    impl_ = std::move(other.impl_);
  }
  return *this;
}

utp_stream::~utp_stream() { close(); }

utp_stream::executor_type utp_stream::get_executor() const { return impl_ ? impl_->ex : executor_type{}; }

void utp_stream::start_read(asio::mutable_buffer out, io_handler h) {
  auto m = impl_ ? impl_->manager.lock() : nullptr;
  if (!m) {
    if (!impl_) return asio::dispatch(asio::append(std::move(h), error_code(asio::error::bad_descriptor), std::size_t{0}));
    return asio::post(impl_->ex, asio::append(std::move(h), error_code(asio::error::bad_descriptor), std::size_t{0}));
  }
  m->read(*impl_, out, std::move(h));
}

void utp_stream::start_write(asio::const_buffer in, io_handler h) {
  auto m = impl_ ? impl_->manager.lock() : nullptr;
  if (!m) {
    if (!impl_) return asio::dispatch(asio::append(std::move(h), error_code(asio::error::bad_descriptor), std::size_t{0}));
    return asio::post(impl_->ex, asio::append(std::move(h), error_code(asio::error::bad_descriptor), std::size_t{0}));
  }
  m->write(*impl_, in, std::move(h));
}

void utp_stream::start_wait(wait_handler h) {
  auto m = impl_ ? impl_->manager.lock() : nullptr;
  if (!m) {
    if (!impl_) return asio::dispatch(asio::append(std::move(h), error_code(asio::error::bad_descriptor)));
    return asio::post(impl_->ex, asio::append(std::move(h), error_code(asio::error::bad_descriptor)));
  }
  m->wait(*impl_, std::move(h));
}

std::size_t utp_stream::available(error_code& ec) const {
  if (!impl_ || impl_->stream_closed) {
    ec = asio::error::bad_descriptor;
    return 0;
  }
  ec = {};
  return impl_->conn.readable();
}

void utp_stream::shutdown_send() {
  if (!impl_) return;
  if (auto m = impl_->manager.lock()) m->shutdown_send(*impl_);
}

void utp_stream::close() {
  if (!impl_) return;
  if (auto m = impl_->manager.lock()) {
    m->close(*impl_);
  } else {
    impl_->stream_closed = true;
  }
  impl_.reset();
}

asio::ip::udp::endpoint utp_stream::remote_endpoint() const { return impl_ ? impl_->remote : asio::ip::udp::endpoint{}; }

asio::ip::udp::endpoint utp_stream::local_endpoint() const { return impl_ ? impl_->local : asio::ip::udp::endpoint{}; }

}  // namespace tessera::detail
