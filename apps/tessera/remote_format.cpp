#include "remote_format.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>

namespace tessera::cli {

std::string format_size(std::int64_t bytes) {
  if (bytes < 0) return "--";
  if (bytes < 1000) return std::to_string(bytes) + " B";
  static constexpr std::array<const char*, 5> units = {"kB", "MB", "GB", "TB", "PB"};
  double v = static_cast<double>(bytes) / 1000;
  std::size_t u = 0;
  // Switch unit where the rounded text would read 1000.0 of the smaller one.
  while (v >= 999.95 && u + 1 < units.size()) {
    v /= 1000;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, v < 99.995 ? "%.2f %s" : "%.1f %s", v, units[u]);
  return buf;
}

std::string format_speed(std::int64_t bytes_per_second) {
  if (bytes_per_second < 0) return "--";
  return format_size(bytes_per_second) + "/s";
}

std::string format_duration(std::int64_t s) {
  if (s < 0) return "--";
  char buf[40];
  const auto ll = [](std::int64_t v) { return static_cast<long long>(v); };
  if (s >= 86400) {
    std::snprintf(buf, sizeof buf, "%lldd%02lldh", ll(s / 86400), ll(s % 86400 / 3600));
  } else if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", ll(s / 3600), ll(s % 3600 / 60));
  } else if (s >= 60) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", ll(s / 60), ll(s % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%llds", ll(s));
  }
  return buf;
}

std::string format_eta(std::int64_t eta_seconds, std::int64_t left_until_done) {
  if (left_until_done == 0) return "Done";
  if (eta_seconds >= 0) return format_duration(eta_seconds);
  if (eta_seconds == -1) return "--";
  return "Unknown";
}

std::string format_ratio(double ratio) {
  if (ratio == -1) return "None";
  if (ratio == -2) return "Inf";
  if (ratio < 0) return "--";
  char buf[32];
  std::snprintf(buf, sizeof buf, ratio < 9.995 ? "%.2f" : "%.1f", ratio);
  return buf;
}

std::string format_percent_done(std::int64_t size_when_done, std::int64_t left_until_done) {
  if (size_when_done <= 0) return "n/a";
  if (left_until_done < 0) left_until_done = 0;
  if (left_until_done > size_when_done) left_until_done = size_when_done;
  const std::int64_t done = size_when_done - left_until_done;
  // Integer arithmetic: truncated, and 100% only when nothing is left. __int128 keeps
  // done * 100 exact for any size.
  const auto pct = static_cast<std::int64_t>(static_cast<__int128>(done) * 100 / size_when_done);
  return std::to_string(pct) + "%";
}

std::string format_fraction(double fraction) {
  if (!(fraction >= 0)) fraction = 0;
  if (fraction > 1) fraction = 1;
  const auto tenths = static_cast<long long>(fraction * 1000 + 1e-9);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%lld%%", tenths / 10, tenths % 10);
  return buf;
}

std::string status_name(std::int64_t status) {
  static constexpr std::array<const char*, 7> names = {"Stopped",         "Verify queued", "Verifying",
                                                       "Download queued", "Downloading",   "Seed queued",
                                                       "Seeding"};
  if (status >= 0 && status < static_cast<std::int64_t>(names.size())) return names[static_cast<std::size_t>(status)];
  return "Unknown (" + std::to_string(status) + ")";
}

std::string priority_name(std::int64_t priority) {
  if (priority == -1) return "Low";
  if (priority == 0) return "Normal";
  if (priority == 1) return "High";
  return "Unknown (" + std::to_string(priority) + ")";
}

std::string format_time(std::int64_t unix_seconds) {
  if (unix_seconds <= 0) return "--";
  const auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return "--";
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

std::size_t display_width(std::string_view text) {
  std::size_t n = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xc0) != 0x80) ++n;
  }
  return n;
}

text_table::text_table(std::vector<column> columns) : columns_(std::move(columns)) {}

void text_table::add_row(std::vector<std::string> cells) {
  cells.resize(columns_.size());
  rows_.push_back(std::move(cells));
}

std::string text_table::render() const {
  std::vector<std::size_t> widths(columns_.size());
  for (std::size_t c = 0; c < columns_.size(); ++c) widths[c] = display_width(columns_[c].title);
  for (const auto& row : rows_) {
    for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], display_width(row[c]));
  }
  std::string out;
  auto line = [&](auto cell_of) {
    std::string text;
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      const std::string& cell = cell_of(c);
      const std::size_t pad = widths[c] - display_width(cell);
      if (c > 0) text += "  ";
      if (columns_[c].align == column_align::right) {
        text.append(pad, ' ');
        text += cell;
      } else {
        text += cell;
        if (c + 1 < columns_.size()) text.append(pad, ' ');
      }
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text;
    out += '\n';
  };
  line([&](std::size_t c) -> const std::string& { return columns_[c].title; });
  for (const auto& row : rows_) line([&](std::size_t c) -> const std::string& { return row[c]; });
  return out;
}

}  // namespace tessera::cli
