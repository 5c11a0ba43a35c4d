// The daemon's HTTP front: Transmission's RPC transport (checklist section 1, H1-H22) on Boost.Beast,
// and nothing else. It authenticates, checks whitelists and the session id, bounds what clients
// may send, serves tessera's own web interface (embedded, web_assets.hpp) and the static web
// client, and hands each authorised RPC body to an rpc_handler; what the RPC means is the
// handler's business. Beast and Asio stay in http_front.cpp (pimpl).
//
// Threads: the front runs its own thread (one io_context). start(), stop(), session_id() and the
// destructor may be called from any thread but not concurrently with each other, and stop() and
// the destructor not from the handler (they wait for it); the handler is called on the front's
// thread, one request at a time.
//
// The event stream (/tessera/events, docs/rpc.md "Event stream"): when http_front_options::events
// is set, an authorised GET there is answered with Server-Sent Events: a `hello`, then every event
// the daemon publishes to the hub, and a `: ping` comment after event_ping_interval of silence.
// Each write is bounded by io_timeout (a reader that stops reading is dropped); a reader that
// falls out of the hub's ring gets `reset`. At most max_event_streams at once (503 beyond).
//
// Limits (each a member of http_front_options): a request head of at most max_header_bytes
// (431 beyond), a body of at most max_body_bytes (413, checked from Content-Length before any
// byte of the body is read, and while reading a chunked body, so an oversized body is never
// buffered), at most max_connections open connections (new ones beyond are closed at once),
// io_timeout for a TLS handshake, for a whole request head (which also bounds an idle
// keep-alive connection and a slow-loris head) and for writing a reply, body_timeout for reading
// a body. See docs/rpc.md, "HTTP", for paths, statuses and the check order (rpc/http_gate.hpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "tessera/result.hpp"

namespace tessera::rpc {

class event_hub;

/// Settings of the front. The names in comments are Transmission's settings.json keys.
struct http_front_options {
  /// rpc-bind-address: an IPv4 or IPv6 literal. A non-loopback address (0.0.0.0 and :: too)
  /// needs authentication_required or `insecure`.
  std::string bind_address = "127.0.0.1";
  /// rpc-port; 0 picks any free port (tests), start() returns the one bound.
  std::uint16_t port = 9091;
  /// rpc-url: the base path; RPC at <base>rpc and <base>rpc/, web client at <base>web/.
  /// Leading and trailing '/' are added when missing.
  std::string base_path = "/transmission/";
  /// rpc-whitelist-enabled / rpc-whitelist: source addresses allowed, '*' and '?' wildcards,
  /// IPv4-mapped IPv6 sources compared as IPv4. Others get 403.
  bool whitelist_enabled = true;
  std::vector<std::string> whitelist{"127.0.0.1", "::1"};
  /// rpc-host-whitelist-enabled / rpc-host-whitelist: when authentication is off, the Host of an
  /// RPC request must be an IP literal, localhost, or match one of these (wildcards); else 421.
  bool host_whitelist_enabled = true;
  std::vector<std::string> host_whitelist;
  /// rpc-authentication-required / rpc-username: HTTP Basic auth, 401 with
  /// WWW-Authenticate: Basic realm="Transmission" on missing or wrong credentials.
  bool authentication_required = false;
  std::string username;
  /// The password in password_hash.hpp's format (hash_password), never a clear password.
  /// start() fails when authentication_required and this is not a valid hash.
  std::string password_hash;
  /// --rpc-insecure: allow a non-loopback bind address without authentication.
  bool insecure = false;
  /// Largest request body accepted, in bytes; 413 beyond. 64 MiB fits a base64 .torrent of
  /// 48 MiB (checklist H17).
  std::size_t max_body_bytes = std::size_t{64} << 20;
  /// Largest request head (request line and header fields), in bytes; 431 beyond.
  std::size_t max_header_bytes = 16 * 1024;
  /// Open connections at most; a connection accepted beyond is closed at once.
  std::size_t max_connections = 64;
  /// Bound on a TLS handshake, on reading one request head (idle keep-alive included) and on
  /// writing one reply.
  std::chrono::milliseconds io_timeout{std::chrono::seconds(30)};
  /// Bound on reading one request body.
  std::chrono::milliseconds body_timeout{std::chrono::seconds(120)};
  /// The static web client's directory, served at <base>web/ (GET only); empty: no web client
  /// (404). Files larger than 32 MiB are not served.
  std::filesystem::path web_home;
  /// --web-ui-dir: serve tessera's own web interface at /tessera/web/ from this directory (the
  /// output of `node web/build.mjs --outdir DIR`, for working on the page) instead of the copy
  /// embedded in the binary; empty: the embedded copy. Same headers either way.
  std::filesystem::path web_ui_dir;
  /// --rpc-cert / --rpc-key: PEM certificate chain and private key. Both set: HTTPS only (TLS
  /// 1.2 or newer). One set without the other: start() fails.
  std::string tls_cert_file;
  std::string tls_key_file;
  /// Failed logins that lock a source out (403 to everything from it), counted per IPv4 address
  /// or IPv6 /64, reset by a successful login; 0 disables the lockout. Per source, not global
  /// as in Transmission 3.00, so a guesser locks out itself and not the owner; see
  /// login_lockout in rpc/http_gate.hpp for the bounded table behind it.
  std::uint32_t lockout_max_failures = 10;
  /// How long a locked source stays locked, and how long a failure is remembered.
  std::chrono::seconds lockout_duration{15 * 60};
  /// The daemon's events, streamed at /tessera/events; null: that path is 404. The front sets
  /// the hub's listener while it runs (start() to stop()); the hub must outlive the front.
  std::shared_ptr<event_hub> events;
  /// The tessera version the stream's `hello` event names.
  std::string version;
  /// A `: ping` comment is sent on a stream after this long without another message.
  std::chrono::milliseconds event_ping_interval{std::chrono::seconds(15)};
  /// Event streams open at once at most; 503 beyond. Each also counts in max_connections.
  std::size_t max_event_streams = 16;
};

/// Errors of http_front::start() beyond the system's (a bind failure is the OS error, such as
/// "Address already in use"). Category name "tessera.rpc.front".
enum class front_errc {
  already_started = 1,     ///< start() was called before (a front starts once)
  invalid_bind_address,    ///< bind_address is not an IP literal
  insecure_bind,           ///< non-loopback bind without authentication and without insecure
  invalid_credentials,     ///< authentication_required with no username or a malformed hash
  tls_files_incomplete,    ///< only one of tls_cert_file and tls_key_file is set
  tls_certificate,         ///< the certificate file cannot be read or parsed
  tls_key,                 ///< the key file cannot be read or parsed, or does not match
};
const std::error_category& front_category() noexcept;
inline std::error_code make_error_code(front_errc e) {
  return {static_cast<int>(e), front_category()};
}

/// Called for every authorised RPC POST with its body, one call at a time, on the front's own
/// thread; may block (other connections wait). Returns the JSON text of the reply, sent with
/// HTTP 200. An exception thrown from it gives the client a 500; the front stays up. It must not
/// call http_front::stop() or destroy the front (stop() waits for the handler to return).
using rpc_handler = std::function<std::string(std::string_view body)>;

class http_front {
 public:
  /// Stores the settings; binds nothing yet. Chooses the session id (48 characters of
  /// [0-9A-Za-z] from OpenSSL's RAND_bytes), which stays the same for the object's life
  /// (checklist H7: rotating less often than 3.00's hour works with every client).
  http_front(http_front_options options, rpc_handler handler);
  /// Stops (see stop()).
  ~http_front();
  http_front(const http_front&) = delete;
  http_front& operator=(const http_front&) = delete;

  /// Checks the settings, loads TLS files, binds and listens (synchronously, on the calling
  /// thread), then serves on a new thread. Returns the bound port, or: a front_errc (see
  /// above), or the OS error of the bind (e.g. address in use, address not available).
  /// Nothing keeps running after an error.
  result<std::uint16_t> start();

  /// Closes the listening socket and every connection, waits for a running handler call to
  /// return, and joins the thread. Idempotent; a stopped front does not start again.
  void stop();

  /// The current X-Transmission-Session-Id value.
  std::string session_id() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace tessera::rpc

template <>
struct std::is_error_code_enum<tessera::rpc::front_errc> : std::true_type {};
