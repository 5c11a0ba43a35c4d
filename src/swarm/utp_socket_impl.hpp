// One uTP connection as a utp_socket_manager holds it: the state machine, its peer, the pending
// operations of its stream, and the deadlines the manager enforces. Internal to
// utp_socket_manager.cpp and utp_stream.cpp.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/udp.hpp>

#include "core/utp_connection.hpp"
#include "swarm/utp_stream.hpp"

namespace tessera::detail {

class utp_socket_manager;

struct utp_socket_impl : std::enable_shared_from_this<utp_socket_impl> {
  utp_socket_impl(utp_connection c, boost::asio::ip::udp::endpoint r, boost::asio::ip::udp::endpoint l,
                  std::weak_ptr<utp_socket_manager> m, boost::asio::any_io_executor e)
      : conn(std::move(c)), remote(std::move(r)), local(std::move(l)), manager(std::move(m)), ex(std::move(e)) {}

  utp_connection conn;
  boost::asio::ip::udp::endpoint remote;
  boost::asio::ip::udp::endpoint local;
  std::weak_ptr<utp_socket_manager> manager;
  boost::asio::any_io_executor ex;  // the manager's: completions go there when it is gone
  bool counted_half_open = false;

  bool incoming = false;
  bool confirmed = false;      // incoming: a packet after the SYN came (counted in half-open until then)
  bool stream_closed = false;  // the handle closed (or dropped): reads are drained, nothing completes
  bool send_shut = false;      // shutdown_send() or close(): FIN queued
  bool forgotten = false;
  bool aborted = false;        // we sent ST_RESET (a deadline passed)      // removed from the manager's table
  boost::system::error_code failure;  // why the connection ended, as the stream reports it
  std::optional<utp_time> connect_deadline;  // syn_sent (outgoing) or half-open (incoming)
  std::optional<utp_time> close_deadline;    // after close(): abort when not closed by then
  std::optional<utp_time> linger_until;      // terminal: forget after this

  bool send_deferred = false;             // in the manager's deferred_ list (a receive batch)
  std::vector<utp_datagram> pending_out;  // held until the batch ends

  std::optional<utp_stream::io_handler> read_op;
  boost::asio::mutable_buffer read_buf;
  std::optional<utp_stream::io_handler> write_op;
  boost::asio::const_buffer write_buf;
  std::optional<utp_stream::wait_handler> wait_op;
  std::optional<utp_stream::wait_handler> connect_op;
};

}  // namespace tessera::detail
