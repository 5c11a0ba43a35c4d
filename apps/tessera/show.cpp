// `tessera show FILE.torrent`: what is inside a .torrent. Every string that comes from the file
// goes through printable(): a torrent must not be able to drive the user's terminal.
#include <cstdio>
#include <ctime>

#include "commands.hpp"
#include "format.hpp"
#include "tessera/torrent_info.hpp"

namespace tessera::cli {

int run_show(const std::string& torrent_path) {
  auto ti = load_torrent_file(torrent_path);
  if (!ti) {
    std::fprintf(stderr, "tessera: error: %s: %s\n", printable(torrent_path).c_str(),
                 ti.error().message().c_str());
    return exit_bad_input;
  }
  std::printf("name:        %s\n", printable(ti->name).c_str());
  std::printf("info-hash:   %s\n", ti->info_hash.to_hex().c_str());
  std::printf("size:        %s (%lld bytes)\n", format_bytes(ti->total_size).c_str(),
              static_cast<long long>(ti->total_size));
  std::printf("pieces:      %d x %s\n", ti->num_pieces(), format_bytes(ti->piece_length).c_str());
  std::printf("private:     %s\n", ti->is_private ? "yes" : "no");
  if (!ti->comment.empty()) std::printf("comment:     %s\n", printable(ti->comment).c_str());
  if (!ti->created_by.empty()) std::printf("created by:  %s\n", printable(ti->created_by).c_str());
  if (ti->creation_date > 0) {
    std::time_t t = static_cast<std::time_t>(ti->creation_date);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&t));
    std::printf("created:     %s\n", buf);
  }
  std::printf("files (%zu):\n", ti->files.size());
  // The index is what `tessera download --select` takes.
  for (std::size_t i = 0; i < ti->files.size(); ++i) {
    const auto& f = ti->files[i];
    std::string notes = f.pad ? "  (padding)" : "";
    if (f.symlink) notes += "  -> " + printable(ti->name + "/" + f.symlink_target) + " (symlink)";
    if (f.executable && !f.symlink) notes += "  (executable)";
    std::printf("  %4zu %12lld  %s%s\n", i, static_cast<long long>(f.size), printable(f.path).c_str(),
                notes.c_str());
  }
  std::printf("trackers:\n");
  for (std::size_t tier = 0; tier < ti->trackers.size(); ++tier) {
    for (const auto& url : ti->trackers[tier]) std::printf("  tier %zu: %s\n", tier, printable(url).c_str());
  }
  for (const auto& ws : ti->web_seeds) std::printf("web seed:    %s\n", printable(ws).c_str());
  return exit_ok;
}

}  // namespace tessera::cli
