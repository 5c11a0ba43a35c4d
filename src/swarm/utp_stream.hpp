// A uTP connection (BEP 29) seen as a byte stream with the shape of boost::asio::ip::tcp::socket,
// so that peer connections read and write through one stream type whatever the transport. The
// connection itself (core/utp_connection) and its UDP socket belong to a utp_socket_manager
// (swarm/utp_socket_manager.hpp); a utp_stream is a movable handle to one of them.
#pragma once

#include <cstddef>
#include <memory>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/system/error_code.hpp>

namespace tessera::detail {

struct utp_socket_impl;

/// A movable handle (copy deleted) to one uTP connection owned by a utp_socket_manager.
///
/// Same shapes and semantics as boost::asio::ip::tcp::socket's members of the same names:
/// completion signatures void(boost::system::error_code, std::size_t) for read/write and
/// void(boost::system::error_code) for wait; any completion token. Completions never run inside
/// the initiating call: they are posted to the handler's associated executor (the manager's by
/// default).
///
/// Errors: boost::asio::error::eof (read, after the peer's FIN and all its data read),
/// connection_reset (the peer sent ST_RESET), timed_out (no acknowledgement for the
/// connection's max_timeouts retransmission timeouts), operation_aborted (close() with the
/// operation pending), broken_pipe (write after shutdown_send or close), bad_descriptor (an
/// empty or closed handle, or the manager is gone).
///
/// At most one read, one write and one wait may be pending at a time (as on a TCP socket used
/// by one reader and one writer coroutine); a second one of a kind completes at once with
/// boost::asio::error::already_started. Only the first non-empty buffer of a buffer sequence is
/// used (a *_some operation may transfer less than asked).
///
/// Thread rules: every call on the manager's executor (the session's strand). Destroying an
/// open handle closes it (as close()).
class utp_stream {
 public:
  using executor_type = boost::asio::any_io_executor;
  using io_handler = boost::asio::any_completion_handler<void(boost::system::error_code, std::size_t)>;
  using wait_handler = boost::asio::any_completion_handler<void(boost::system::error_code)>;

  /// An empty handle: is_open() false, every operation fails with bad_descriptor (dispatched to
  /// the handler's associated executor: having no executor of its own, an empty handle may
  /// complete inside the call when the caller already runs there).
  utp_stream() = default;
  /// Used by utp_socket_manager; `impl` is one of its connections.
  explicit utp_stream(std::shared_ptr<utp_socket_impl> impl);
  utp_stream(const utp_stream&) = delete;
  utp_stream& operator=(const utp_stream&) = delete;
  utp_stream(utp_stream&& other) noexcept = default;
  utp_stream& operator=(utp_stream&& other) noexcept;
  ~utp_stream();

  /// The manager's executor; a default-constructed executor for an empty handle.
  executor_type get_executor() const;

  /// Reads up to buffer_size(b) in-order bytes (at least one unless b is empty), waiting until
  /// some arrive. eof after the peer's FIN once all its data is read.
  template <class MutableBufferSequence, class Token>
  auto async_read_some(const MutableBufferSequence& b, Token&& token) {
    const boost::asio::mutable_buffer buf = first_buffer(b);
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, boost::asio::mutable_buffer out) { start_read(out, io_handler(std::move(handler))); },
        token, buf);
  }
  /// Hands up to buffer_size(b) bytes to the connection: as many as its send buffer takes
  /// (utp_config::send_buffer), completing once at least one byte was taken.
  template <class ConstBufferSequence, class Token>
  auto async_write_some(const ConstBufferSequence& b, Token&& token) {
    const boost::asio::const_buffer buf = first_buffer(b);
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, boost::asio::const_buffer in) { start_write(in, io_handler(std::move(handler))); },
        token, buf);
  }
  /// Completes when available() > 0, at eof (with no error: the next read reports eof) or on an
  /// error of the connection.
  template <class Token>
  auto async_wait_readable(Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code)>(
        [this](auto handler) { start_wait(wait_handler(std::move(handler))); }, token);
  }

  /// In-order bytes readable now without waiting. bad_descriptor for a closed handle.
  std::size_t available(boost::system::error_code& ec) const;
  /// Sends ST_FIN after the queued data; reads go on until the peer's FIN. Idempotent.
  void shutdown_send();
  /// ST_FIN after the queued data (the manager finishes sending it and keeps the connection
  /// until the close completes or times out); pending operations complete with
  /// operation_aborted; the handle becomes closed. Idempotent.
  void close();
  /// The peer's address (empty endpoint for a closed handle).
  boost::asio::ip::udp::endpoint remote_endpoint() const;
  /// The UDP socket's local address (empty endpoint for a closed handle).
  boost::asio::ip::udp::endpoint local_endpoint() const;
  bool is_open() const { return impl_ != nullptr; }

 private:
  template <class Seq>
  static auto first_buffer(const Seq& seq) {
    auto it = boost::asio::buffer_sequence_begin(seq);
    const auto end = boost::asio::buffer_sequence_end(seq);
    using buffer_type = std::decay_t<decltype(*it)>;
    for (; it != end; ++it) {
      if (buffer_type(*it).size() > 0) return buffer_type(*it);
    }
    return buffer_type{};
  }

  void start_read(boost::asio::mutable_buffer out, io_handler h);
  void start_write(boost::asio::const_buffer in, io_handler h);
  void start_wait(wait_handler h);

  std::shared_ptr<utp_socket_impl> impl_;
};

}  // namespace tessera::detail
