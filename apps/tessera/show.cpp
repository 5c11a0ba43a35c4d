// `tessera show FILE.torrent`: what is inside a .torrent (show_format.hpp). Every string that
// comes from the file goes through printable(): a torrent must not be able to drive the user's
// terminal.
#include <cstdio>

#include "commands.hpp"
#include "format.hpp"
#include "show_format.hpp"
#include "tessera/torrent_info.hpp"

namespace tessera::cli {

int run_show(const std::string& torrent_path) {
  auto ti = load_torrent_file(torrent_path);
  if (!ti) {
    std::fprintf(stderr, "tessera: error: %s: %s\n", printable(torrent_path).c_str(),
                 ti.error().message().c_str());
    return exit_bad_input;
  }
  const std::string text = describe_torrent(*ti);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return exit_ok;
}

}  // namespace tessera::cli
