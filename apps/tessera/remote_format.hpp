// Pure formatting for the `tessera` verbs that drive a daemon: Transmission's units (sizes and
// rates in 1000-based units, as transmission-remote and the web client print them), its enums
// by name, and aligned text tables.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::cli {

/// Bytes in 1000-based units, as Transmission prints them: "0 B", "999 B", "1.00 kB",
/// "10.49 MB", "123.5 MB", "1.00 GB" (two decimals below 100 of a unit, one above; units B, kB,
/// MB, GB, TB, PB). Negative values (a daemon's "unknown") print as "--".
std::string format_size(std::int64_t bytes);

/// Bytes per second as format_size, with "/s": "0 B/s", "1.50 MB/s".
std::string format_speed(std::int64_t bytes_per_second);

/// A duration in seconds for people: "9s", "1m05s", "1h02m", "1d01h"; negative -> "--".
std::string format_duration(std::int64_t seconds);

/// The ETA column of `tessera list`: "Done" when nothing wanted is left, else the duration for
/// eta >= 0, "--" for -1 (TR_ETA_NOT_AVAIL, e.g. a stopped torrent) and "Unknown" for -2
/// (TR_ETA_UNKNOWN) or any other negative value.
std::string format_eta(std::int64_t eta_seconds, std::int64_t left_until_done);

/// A share ratio: "0.00".."9.99" with two decimals, above that one ("12.3"); -1 (TR_RATIO_NA)
/// -> "None", -2 (TR_RATIO_INF) -> "Inf".
std::string format_ratio(double ratio);

/// Percent of the wanted bytes done, truncated so that only a finished torrent shows "100%":
/// (size_when_done - left_until_done) / size_when_done. "n/a" when size_when_done is 0 (a
/// magnet without metadata).
std::string format_percent_done(std::int64_t size_when_done, std::int64_t left_until_done);

/// A fraction 0..1 as a percent with one decimal, truncated: 0.4567 -> "45.6%".
std::string format_fraction(double fraction);

/// Transmission's torrent `status` (checklist §8): 0 "Stopped", 1 "Verify queued",
/// 2 "Verifying", 3 "Download queued", 4 "Downloading", 5 "Seed queued", 6 "Seeding"; any other
/// value "Unknown (N)".
std::string status_name(std::int64_t status);

/// Transmission's priority (-1, 0, 1) by name: "Low", "Normal", "High"; else "Unknown (N)".
std::string priority_name(std::int64_t priority);

/// A Unix time as "YYYY-MM-DD HH:MM:SS UTC"; 0 or negative (never) -> "--".
std::string format_time(std::int64_t unix_seconds);

/// How a column's cells line up.
enum class column_align { left, right };

/// An aligned table of text: a header row, then rows; columns are separated by two spaces,
/// each as wide as its widest cell (counted in UTF-8 code points, so a name with accents lines
/// up), right-aligned columns padded on the left; the last column, when left-aligned, is not
/// padded (no trailing blanks). Cells are printed as given: escape text from a daemon with
/// printable() first.
class text_table {
 public:
  /// One column: its header text and how its cells line up.
  struct column {
    std::string title;
    column_align align = column_align::left;
  };
  /// A table with these columns, in order, and no rows yet.
  explicit text_table(std::vector<column> columns);

  /// Adds a row; missing cells are empty, extra cells are dropped.
  void add_row(std::vector<std::string> cells);

  /// The header and every row, one line each, each ending in '\n'.
  std::string render() const;

 private:
  std::vector<column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

/// Display width of `text`: its UTF-8 code points (bytes that are not a lead byte are not
/// counted).
std::size_t display_width(std::string_view text);

}  // namespace tessera::cli
