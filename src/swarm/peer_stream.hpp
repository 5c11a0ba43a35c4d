// The byte stream of one peer connection: the transport (a TCP socket today; a uTP stream plugs
// in as the variant's second alternative) plus the connection's MSE/PE cipher and a small buffer
// of bytes received and decrypted already (what followed the MSE handshake, or what the listener
// read past the BitTorrent handshake). The engine above it (peer_connection, the incoming
// handshake stage) sees plaintext bytes only and never the transport.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>
#include <tuple>
#include <variant>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "core/stream_cipher.hpp"
#include "swarm/utp_stream.hpp"

namespace tessera::detail {

/// The transport under a peer_stream.
enum class peer_transport : std::uint8_t {
  tcp,  ///< BEP 3 over TCP
  utp,  ///< BEP 29 over the session's UDP socket (swarm/utp_stream.hpp)
};

/// One connection's stream. Movable, not copyable. Single thread: every call on the executor of
/// the transport. Every operation completes through an awaitable and never throws for I/O errors
/// (they come back as the error_code).
///
/// Encryption: after set_cipher(), write_some encrypts a copy of the caller's bytes into a
/// scratch buffer and writes all of it before completing (so no byte is encrypted twice nor
/// sent in clear, whatever the transport takes per write), and read_some decrypts in place.
/// Without a cipher (plaintext) both go straight to the transport: no copy, no allocation.
class peer_stream {
 public:
  using tcp = boost::asio::ip::tcp;
  using executor_type = boost::asio::any_io_executor;
  /// (error, bytes transferred), as Asio's as_tuple completions.
  using io_result = std::tuple<boost::system::error_code, std::size_t>;
  template <class T>
  using awaitable = boost::asio::awaitable<T>;

  /// A TCP stream not opened yet (to be connected through tcp_socket()).
  explicit peer_stream(executor_type ex);
  /// Takes an accepted (connected) TCP socket.
  explicit peer_stream(tcp::socket socket);
  /// Takes a connected uTP stream (accepted, or from utp_socket_manager::connect). Its UDP
  /// endpoints are reported as TCP ones (address and port); no traffic class is set on it.
  explicit peer_stream(utp_stream stream);
  peer_stream(peer_stream&&) noexcept = default;
  peer_stream& operator=(peer_stream&&) noexcept = default;
  peer_stream(const peer_stream&) = delete;
  peer_stream& operator=(const peer_stream&) = delete;

  executor_type get_executor();
  peer_transport transport() const;
  /// True once set_cipher() installed an RC4 cipher (mse_method::rc4).
  bool encrypted() const { return cipher_.method() == mse_method::rc4; }
  /// The TCP socket (to open, bind, connect, set options); nullptr on another transport.
  tcp::socket* tcp_socket();

  /// From now on, bytes written are encrypted and bytes read decrypted with `cipher` (which
  /// continues the keystreams of the MSE handshake).
  void set_cipher(stream_cipher cipher) { cipher_ = std::move(cipher); }
  /// Bytes already received and in plaintext (decrypted if they were encrypted), served by
  /// read_some before anything from the transport. Appended after any still held.
  void push_received(std::span<const std::uint8_t> plaintext);
  /// Bytes held by push_received not read yet.
  std::size_t buffered() const { return prefix_.size() - prefix_pos_; }

  /// Reads at least one byte (unless an error or end of stream comes first) into `buf`
  /// (non-empty), plaintext. Held bytes first, without touching the transport.
  awaitable<io_result> read_some(std::span<std::uint8_t> buf);
  /// Writes bytes of `buf` (non-empty): plaintext, as many as the transport takes in one write;
  /// encrypted, all of them (the count is buf.size() on success).
  awaitable<io_result> write_some(std::span<const std::uint8_t> buf);
  /// Writes all of `buf`; the count is what was written before an error.
  awaitable<io_result> write(std::span<const std::uint8_t> buf);
  /// Completes when a read would not block: held bytes, bytes in the transport, end of stream or
  /// an error (the read then reports it).
  awaitable<boost::system::error_code> wait_readable();
  /// Bytes readable now without blocking: held bytes plus the transport's (an error of the
  /// transport in `ec`, with the held bytes counted still).
  std::size_t available(boost::system::error_code& ec) const;

  /// Shuts both directions down and closes the transport; pending operations complete with
  /// operation_aborted. Idempotent; errors are ignored.
  void close();
  bool is_open() const;
  /// Both ends' addresses (as TCP endpoints whatever the transport); an error in `ec`.
  tcp::endpoint remote_endpoint(boost::system::error_code& ec) const;
  tcp::endpoint local_endpoint(boost::system::error_code& ec) const;
  /// Sets the IP TOS byte (swarm/socket_options.hpp) on an open TCP socket; a no-op elsewhere.
  std::error_code set_traffic_class(int tos);

 private:
  // The transports: every member below dispatches with std::visit or holds_alternative.
  using socket_variant = std::variant<tcp::socket, utp_stream>;

  socket_variant socket_;
  stream_cipher cipher_;
  std::vector<std::uint8_t> prefix_;  // plaintext received already; served from prefix_pos_
  std::size_t prefix_pos_ = 0;
  std::vector<std::uint8_t> scratch_;  // encrypted copy of a write, reused
};

}  // namespace tessera::detail
