// The ~/.netrc format (as curl and ftp read it): credentials for a host, looked up by the
// `tessera` verbs that drive a daemon when neither --auth nor TESSERA_AUTH gives them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tessera::cli {

/// One login found in a .netrc.
struct netrc_login {
  std::string login;     ///< the user name ("" when the entry has none)
  std::string password;  ///< the password ("" when the entry has none)
};

/// The login for `host` in `text` (the contents of a .netrc file), or nullopt when neither a
/// `machine <host>` entry nor a `default` entry exists. Pure; any thread.
///
/// Format: whitespace-separated tokens; `machine NAME` starts an entry, `default` starts the
/// entry used for every host not named (only when no `machine` entry matches, wherever it
/// appears), `login`, `password` and `account` take one token each (account is ignored),
/// `macdef NAME` skips a macro up to the next empty line. A token may be written in double
/// quotes, with `\"`, `\\`, `\n`, `\r` and `\t` escapes inside (curl's extension), to hold
/// spaces. A `#` at the start of a token starts a comment to the end of the line. Host names
/// match without regard to case; the first matching entry wins. Malformed input (an unknown
/// keyword, a keyword without its value) never fails: the parser skips what it does not know,
/// like ftp does, so a broken line elsewhere does not lose a valid entry.
std::optional<netrc_login> find_netrc_login(std::string_view text, std::string_view host);

}  // namespace tessera::cli
