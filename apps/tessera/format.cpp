#include "format.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

namespace tessera::cli {

std::string format_bytes(std::int64_t bytes) {
  static constexpr std::array<const char*, 5> units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double v = static_cast<double>(bytes);
  std::size_t u = 0;
  v /= 1024;
  while (v >= 1024 && u + 1 < units.size()) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

std::string format_rate(std::int64_t bytes_per_second) { return format_bytes(bytes_per_second) + "/s"; }

std::string format_eta(std::optional<std::chrono::seconds> eta) {
  if (!eta) return "--";
  auto s = eta->count();
  char buf[32];
  if (s >= 86400) {
    std::snprintf(buf, sizeof buf, "%lldd%02lldh", static_cast<long long>(s / 86400),
                  static_cast<long long>(s % 86400 / 3600));
  } else if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>(s % 3600 / 60));
  } else if (s >= 60) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(s));
  }
  return buf;
}

std::string progress_line(const torrent_status& st) {
  char buf[256];
  if (st.state == torrent_state::checking) {
    double pct = st.num_pieces ? 100.0 * st.pieces_checked / st.num_pieces : 100.0;
    std::snprintf(buf, sizeof buf, "checking %5.1f%% (%d/%d pieces)", pct, st.pieces_checked,
                  st.num_pieces);
    return buf;
  }
  if (st.state == torrent_state::downloading_metadata) {
    std::snprintf(buf, sizeof buf, "metadata  peers %d  known %d", st.num_peers, st.num_known_peers);
    return buf;
  }
  if (st.state == torrent_state::seeding) {
    std::snprintf(buf, sizeof buf, "seeding  ratio %.2f  up %s  up %s  peers %d", share_ratio(st),
                  format_bytes(st.total_uploaded).c_str(), format_rate(st.upload_rate).c_str(),
                  st.num_peers);
    return buf;
  }
  std::snprintf(buf, sizeof buf, "%5.1f%% %s/%s  down %s  up %s  up %s  peers %d  eta %s",
                100.0 * st.progress(), format_bytes(st.total_done).c_str(),
                format_bytes(st.total_size).c_str(), format_rate(st.download_rate).c_str(),
                format_rate(st.upload_rate).c_str(), format_bytes(st.total_uploaded).c_str(),
                st.num_peers, format_eta(st.eta()).c_str());
  return buf;
}

double share_ratio(const torrent_status& st) { return st.ratio(); }

}  // namespace tessera::cli
