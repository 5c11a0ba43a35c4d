#include "show_format.hpp"

#include <cstdio>
#include <ctime>

#include "format.hpp"

namespace tessera::cli {

namespace {

template <class... Args>
void append(std::string& out, const char* fmt, Args... args) {
  char buf[512];
  const int n = std::snprintf(buf, sizeof buf, fmt, args...);
  if (n < 0) return;
  if (static_cast<std::size_t>(n) < sizeof buf) {
    out.append(buf, static_cast<std::size_t>(n));
    return;
  }
  std::string big(static_cast<std::size_t>(n) + 1, '\0');
  std::snprintf(big.data(), big.size(), fmt, args...);
  big.pop_back();
  out += big;
}

const char* version_of(const torrent_info& ti) {
  if (ti.has_v1() && ti.has_v2()) return "hybrid (v1 + v2, BEP 52)";
  if (ti.has_v2()) return "v2 (BEP 52)";
  return "v1";
}

}  // namespace

std::string describe_torrent(const torrent_info& ti) {
  std::string out;
  append(out, "name:        %s\n", printable(ti.name()).c_str());
  append(out, "version:     %s\n", version_of(ti));
  if (ti.has_v1()) append(out, "info-hash:   %s\n", ti.info_hash().v1.to_hex().c_str());
  if (ti.has_v2()) append(out, "info-hash v2: %s\n", ti.info_hash().v2.to_hex().c_str());
  append(out, "size:        %s (%lld bytes)\n", format_bytes(ti.total_size()).c_str(),
         static_cast<long long>(ti.total_size()));
  append(out, "pieces:      %d x %s\n", ti.num_pieces(), format_bytes(ti.piece_length()).c_str());
  append(out, "private:     %s\n", ti.is_private() ? "yes" : "no");
  if (ti.has_v2()) {
    const char* layers = !ti.piece_layers().empty() ? "present"
                         : ti.has_all_piece_layers() ? "none needed (no file is larger than a piece)"
                                                     : "absent (to be fetched from peers)";
    append(out, "piece layers: %s\n", layers);
  }
  if (!ti.comment().empty()) append(out, "comment:     %s\n", printable(ti.comment()).c_str());
  if (!ti.created_by().empty()) append(out, "created by:  %s\n", printable(ti.created_by()).c_str());
  if (ti.creation_date() > 0) {
    std::time_t t = static_cast<std::time_t>(ti.creation_date());
    std::tm tm{};
    char buf[64];
    if (gmtime_r(&t, &tm) && std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm) > 0)
      append(out, "created:     %s\n", buf);
  }
  append(out, "files (%zu):\n", ti.files().size());
  for (std::size_t i = 0; i < ti.files().size(); ++i) {
    const auto& f = ti.files()[i];
    std::string notes = f.pad ? "  (padding)" : "";
    if (f.symlink) notes += "  -> " + printable(ti.name() + "/" + f.symlink_target) + " (symlink)";
    if (f.executable && !f.symlink) notes += "  (executable)";
    append(out, "  %4zu %12lld  %s%s\n", i, static_cast<long long>(f.size), printable(f.path).c_str(),
           notes.c_str());
    if (!f.pieces_root.is_zero()) append(out, "                     pieces root %s\n", f.pieces_root.to_hex().c_str());
  }
  append(out, "trackers:\n");
  for (std::size_t tier = 0; tier < ti.trackers().size(); ++tier) {
    for (const auto& url : ti.trackers()[tier]) append(out, "  tier %zu: %s\n", tier, printable(url).c_str());
  }
  for (const auto& ws : ti.web_seeds()) append(out, "web seed:    %s\n", printable(ws).c_str());
  return out;
}

}  // namespace tessera::cli
