// What every `tessera` verb that drives a daemon shares: the --rpc/--auth/--json options, where
// credentials come from, the connection, one-line errors, and torrent selection by ID.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "rpc_client.hpp"
#include "tessera/result.hpp"

namespace tessera::cli {

/// The options every remote verb takes.
struct remote_options {
  std::string rpc_url{default_rpc_url};  ///< --rpc URL
  std::string auth;                      ///< --auth USER:PASS ("" = not given)
  bool json = false;                     ///< --json: print the reply's raw arguments object
  double timeout_seconds = 60;           ///< --timeout: bound on each HTTP exchange (> 0)
};

/// The credentials to use for `host`, first found of: `auth_flag` (--auth USER:PASS), then
/// `env_auth` (TESSERA_AUTH, same form; null or empty = unset), both sent up front; then the
/// login of `netrc_text` (the contents of ~/.netrc, nullopt when there is none) for `host`,
/// sent only after the daemon asks (a 401 challenge). nullopt: no credentials. Errors: a
/// USER:PASS without a ':' ("--auth: expected USER:PASSWORD"). Pure.
result<std::optional<rpc_credentials>, std::string> choose_credentials(std::string_view auth_flag, const char* env_auth,
                                                                        const std::optional<std::string>& netrc_text,
                                                                        std::string_view host);

/// Prints "tessera: error: <message>" (made printable) on stderr; returns exit_bad_input (1).
int fail(std::string_view message);

/// A verb's link to the daemon: the client plus the verb's output choices.
class remote_context {
 public:
  /// Parses the URL, finds the credentials (reading $HOME/.netrc when --auth and TESSERA_AUTH
  /// are unset) and makes the client; nothing is sent yet. On failure prints the error and
  /// returns the exit code.
  static result<remote_context, int> open(const remote_options& options);

  /// One RPC call; on failure prints the error and returns the exit code (1).
  result<boost::json::object, int> call(std::string_view method, boost::json::object arguments = {});

  /// The daemon ids for `tokens` (numbers or info-hash prefixes, see resolve_ids), from one
  /// torrent-get of id,hashString. With `allow_all`, the single token "all" means every
  /// torrent: the result is then nullopt (send no `ids`, which Transmission reads as all).
  /// On failure prints the error and returns the exit code.
  result<std::optional<std::vector<std::int64_t>>, int> resolve(const std::vector<std::string>& tokens,
                                                                bool allow_all);

  /// True with --json: print_json() replaces the tables.
  bool json() const { return json_; }
  /// The connection the client was made with (URL, credentials, timeout), for a verb that
  /// talks HTTP itself (`watch`).
  const rpc_options& connection() const { return connection_; }
  /// Prints `arguments` as one line of compact JSON on stdout.
  static void print_json(const boost::json::object& arguments);

 private:
  remote_context(rpc_client client, bool json, rpc_options connection)
      : client_(std::move(client)), json_(json), connection_(std::move(connection)) {}
  rpc_client client_;
  bool json_ = false;
  rpc_options connection_;
};

/// `ids` as a JSON array (for the `ids` argument).
boost::json::array ids_json(const std::vector<std::int64_t>& ids);

}  // namespace tessera::cli
