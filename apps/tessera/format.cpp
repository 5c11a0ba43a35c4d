#include "format.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>

namespace tessera::cli {

namespace {

/// Bytes of the valid UTF-8 character at text[i] and its code point, or 0 when the bytes there
/// are not valid UTF-8 (overlong, surrogate, above U+10FFFF, stray or truncated).
std::size_t utf8_length(std::string_view text, std::size_t i, std::uint32_t& cp) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
  std::size_t len = 0;
  std::uint32_t min = 0;
  if (b(0) < 0x80) {
    cp = b(0);
    return 1;
  } else if ((b(0) & 0xe0) == 0xc0) {
    len = 2, cp = b(0) & 0x1fu, min = 0x80;
  } else if ((b(0) & 0xf0) == 0xe0) {
    len = 3, cp = b(0) & 0x0fu, min = 0x800;
  } else if ((b(0) & 0xf8) == 0xf0) {
    len = 4, cp = b(0) & 0x07u, min = 0x10000;
  } else {
    return 0;
  }
  if (text.size() - i < len) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    if ((b(k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(k) & 0x3fu);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

bool needs_escape(std::uint32_t cp) {
  if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f)) return true;
  return cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

std::string printable(std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    std::uint32_t cp = 0;
    std::size_t len = utf8_length(text, i, cp);
    const bool escape = len == 0 || needs_escape(cp);
    if (len == 0) len = 1;  // one invalid byte at a time
    for (std::size_t k = i; k < i + len; ++k) {
      if (!escape) {
        out += text[k];
        continue;
      }
      const auto c = static_cast<unsigned char>(text[k]);
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xf];
    }
    i += len;
  }
  return out;
}

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
