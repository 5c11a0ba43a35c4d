// The client side of HTTPS, one way for every client of tessera: the daemon's fetch of a
// .torrent URL (http_fetch), the verbs' RPC client and `tessera watch`. Header-only; for
// translation units that already use Asio's SSL streams.
#pragma once

#include <string>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <openssl/ssl.h>

namespace tessera::detail {

/// A TLS client context that verifies the server's chain against the system's CAs (a missing
/// CA store leaves nothing to verify against: every handshake then fails, never passes).
inline boost::asio::ssl::context make_tls_client_context() {
  boost::asio::ssl::context ctx(boost::asio::ssl::context::tls_client);
  boost::system::error_code ignored;
  ctx.set_default_verify_paths(ignored);
  ctx.set_verify_mode(boost::asio::ssl::verify_peer);
  return ctx;
}

/// Sets up `stream` to talk to `host` (a name or an IP literal, IPv6 without brackets): SNI for
/// a name (RFC 6066: never an IP literal) and the check that the certificate names `host`.
/// Call before connecting.
template <class NextLayer>
void prepare_tls_client(boost::asio::ssl::stream<NextLayer>& stream, const std::string& host) {
  boost::system::error_code literal_ec;
  boost::asio::ip::make_address(host, literal_ec);
  if (literal_ec) SSL_set_tlsext_host_name(stream.native_handle(), host.c_str());
  stream.set_verify_callback(boost::asio::ssl::host_name_verification(host));
}

}  // namespace tessera::detail
