// Reading one HTTP response with Beast, the way every HTTP client of tessera needs it: the HTTP
// tracker and URL fetches (http_fetch) and the `tessera` verbs' RPC client.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

namespace tessera::detail {

/// Reads one response from `stream` (a connected beast::tcp_stream or ssl::stream over one,
/// whose expiry bounds the read) into `parser`, whose body_limit the caller has set (a longer
/// body fails with beast::http::error::body_limit). A TLS server that closes without
/// close_notify (stream_truncated) ends a body that runs to the end of the stream, as browsers
/// and curl accept. Returns the read's error, none when the response is complete.
template <class Stream>
boost::asio::awaitable<boost::system::error_code>
read_http_response(Stream& stream, boost::beast::http::response_parser<boost::beast::http::string_body>& parser) {
  boost::beast::flat_buffer buffer;
  auto [ec, read] = co_await boost::beast::http::async_read(stream, buffer, parser,
                                                             boost::asio::as_tuple(boost::asio::use_awaitable));
  if (ec == boost::asio::ssl::error::stream_truncated && !parser.is_done()) {
    boost::system::error_code eof_ec;
    parser.put_eof(eof_ec);
    if (!eof_ec) ec = {};
  }
  co_return ec;
}

}  // namespace tessera::detail
