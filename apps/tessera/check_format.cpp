#include "check_format.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cinttypes>
#include <cstdio>

#include "format.hpp"

namespace tessera::cli {

namespace {

std::string fmt(const char* f, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, f, args...);
  return buf;
}

double seconds_of(const check_report& r) { return std::chrono::duration<double>(r.elapsed).count(); }

std::int64_t rate_of(const check_report& r) {
  const double s = seconds_of(r);
  return s > 0 ? static_cast<std::int64_t>(static_cast<double>(r.bytes_total) / s) : 0;
}

double percent(std::int64_t part, std::int64_t whole) {
  return whole > 0 ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 100.0;
}

// First and last piece holding bytes of a non-empty file.
std::pair<int, int> pieces_of(const torrent_info& ti, const file_entry& f) {
  return {static_cast<int>(f.offset / ti.piece_length()), static_cast<int>((f.offset + f.size - 1) / ti.piece_length())};
}

}  // namespace

std::string failed_piece_ranges(const std::vector<bool>& verified, int first, int last, int max_ranges) {
  std::string out;
  int ranges = 0;
  for (int p = first; p <= last && p < static_cast<int>(verified.size()); ++p) {
    if (verified[static_cast<std::size_t>(p)]) continue;
    int q = p;
    while (q + 1 <= last && q + 1 < static_cast<int>(verified.size()) && !verified[static_cast<std::size_t>(q + 1)]) ++q;
    if (ranges == max_ranges) {
      out += ", ...";
      break;
    }
    if (!out.empty()) out += ", ";
    out += q == p ? std::to_string(p) : std::to_string(p) + "-" + std::to_string(q);
    ++ranges;
    p = q;
  }
  return out;
}

std::string check_report_text(const torrent_info& ti, const check_report& r) {
  std::string out;
  int bad_files = 0;
  for (std::size_t i = 0; i < r.files.size(); ++i) {
    const file_check& f = r.files[i];
    if (f.state == file_check_state::padding) continue;
    // An empty file or a link has no bytes: 100% when it is there, else 0%.
    const double pct = f.size > 0 ? percent(f.bytes_verified, f.size) : f.state == file_check_state::complete ? 100.0 : 0.0;
    out += fmt("  %-12s %6.1f%%  %6d/%-6d %10s  %s", to_string(f.state), pct,
               f.pieces_verified, f.pieces_total, format_bytes(f.size).c_str(), printable(f.path).c_str());
    switch (f.state) {
      case file_check_state::complete:
      case file_check_state::padding: break;
      case file_check_state::missing: out += "  (not found)"; break;
      case file_check_state::short_file:
        out += fmt("  (%" PRId64 " of %" PRId64 " bytes on disk)", f.on_disk, f.size);
        break;
      case file_check_state::incomplete: {
        auto [first, last] = pieces_of(ti, ti.files()[i]);
        out += "  (failed pieces " + failed_piece_ranges(r.verified, first, last) + ")";
        break;
      }
      case file_check_state::unreadable: out += "  (" + printable(f.error) + ")"; break;
      case file_check_state::unverifiable: out += "  (no piece layer in the torrent: cannot be verified)"; break;
    }
    out += '\n';
    if (f.state != file_check_state::complete) ++bad_files;
  }
  out += fmt("pieces: %d/%d verified (%.1f%%), %s of %s", r.pieces_verified, r.pieces_total,
             percent(r.pieces_verified, r.pieces_total), format_bytes(r.bytes_verified).c_str(),
             format_bytes(r.bytes_total).c_str());
  if (r.pieces_unverifiable > 0) out += fmt(", %d unverifiable", r.pieces_unverifiable);
  out += '\n';
  out += fmt("time:   %.2f s, %s, %d thread%s\n", seconds_of(r), format_rate(rate_of(r)).c_str(), r.threads,
             r.threads == 1 ? "" : "s");
  if (r.complete())
    out += "result: complete\n";
  else {
    const int failed = r.pieces_total - r.pieces_verified - r.pieces_unverifiable;
    out += fmt("result: INCOMPLETE: %d file%s not complete, %d piece%s failed", bad_files,
               bad_files == 1 ? "" : "s", failed, failed == 1 ? "" : "s");
    if (r.pieces_unverifiable > 0) out += fmt(", %d unverifiable", r.pieces_unverifiable);
    out += '\n';
  }
  return out;
}

std::string check_report_json(const torrent_info& ti, const check_report& r) {
  boost::json::object o;
  o["name"] = ti.name();
  o["info_hash"] = ti.info_hash().to_hex();
  o["complete"] = r.complete();
  o["pieces_verified"] = r.pieces_verified;
  o["pieces_total"] = r.pieces_total;
  o["pieces_unverifiable"] = r.pieces_unverifiable;
  o["bytes_verified"] = r.bytes_verified;
  o["bytes_total"] = r.bytes_total;
  o["seconds"] = seconds_of(r);
  o["bytes_per_second"] = rate_of(r);
  o["threads"] = r.threads;
  boost::json::array failed;
  for (std::size_t p = 0; p < r.verified.size(); ++p)
    if (!r.verified[p] && !(p < r.unverifiable.size() && r.unverifiable[p])) failed.push_back(static_cast<std::int64_t>(p));
  o["failed_pieces"] = std::move(failed);
  boost::json::array files;
  for (std::size_t i = 0; i < r.files.size(); ++i) {
    const file_check& f = r.files[i];
    boost::json::object fo;
    fo["index"] = static_cast<std::int64_t>(i);
    fo["path"] = f.path;
    fo["size"] = f.size;
    fo["on_disk"] = f.on_disk;
    fo["pieces_verified"] = f.pieces_verified;
    fo["pieces_total"] = f.pieces_total;
    fo["bytes_verified"] = f.bytes_verified;
    fo["state"] = to_string(f.state);
    if (f.state == file_check_state::unreadable || f.state == file_check_state::unverifiable) fo["error"] = f.error;
    files.push_back(std::move(fo));
  }
  o["files"] = std::move(files);
  return boost::json::serialize(o) + "\n";
}

}  // namespace tessera::cli
