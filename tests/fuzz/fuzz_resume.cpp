// libFuzzer target for resume files (disk/resume_data): decode_resume_data, alone (a magnet
// torrent's resume file, which may carry its `info`) and against a fixed three-piece,
// two-file torrent (the usual case; the seeds include a resume file for it), then the
// start-up trust rule over what was decoded. Invariants: an error is a resume_errc; decoded data
// is in range (priorities 0..7, stamps' nanoseconds below 1e9, counters >= 0, a stored `info`
// hashing to the info-hash); encode_resume_data of it decodes to the same data; what decodes
// against the torrent decodes alone to the same, with the torrent's hash and piece count; and
// decide_trusted_pieces splits exactly the claimed pieces into trusted and re-verify.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "disk/resume_data.hpp"
#include "fuzz_support.hpp"
#include "tessera/hasher.hpp"
#include "tessera/torrent_info.hpp"

namespace td = tessera::detail;

namespace {

/// 40,000 bytes in files "a" (10,000) and "b" (30,000), 16 KiB pieces: three pieces, the
/// middle one spanning both files.
const tessera::torrent_info& fixed_torrent() {
  static const tessera::torrent_info ti = [] {
    const std::string pieces(60, 'h');
    const std::string metainfo =
        "d4:infod5:filesld6:lengthi10000e4:pathl1:aeed6:lengthi30000e4:pathl1:beee"
        "4:name3:dir12:piece lengthi16384e6:pieces60:" + pieces + "ee";
    auto parsed = tessera::parse_torrent(std::string_view(metainfo));
    if (!parsed) tessera::fuzz::check_failed("the fixed torrent parses", __FILE__, __LINE__);
    return *parsed;
  }();
  return ti;
}

void check_ranges(const td::resume_data& rd) {
  for (auto p : rd.file_priorities) FUZZ_CHECK(p >= 0 && p <= 7);
  for (const auto& s : rd.file_stamps) FUZZ_CHECK(s.size >= -1 && s.mtime_nsec >= 0 && s.mtime_nsec < 1'000'000'000);
  FUZZ_CHECK(rd.uploaded >= 0 && rd.downloaded >= 0 && rd.active_seconds >= 0 && rd.seeding_seconds >= 0);
  if (!rd.info_bytes.empty()) {
    FUZZ_CHECK(rd.info_hash.has_v1() || rd.info_hash.has_v2());
    FUZZ_CHECK(!rd.info_hash.has_v1() || tessera::sha1(rd.info_bytes) == rd.info_hash.v1);
    FUZZ_CHECK(!rd.info_hash.has_v2() || tessera::sha256(rd.info_bytes) == rd.info_hash.v2);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto& ti = fixed_torrent();

  auto alone = td::decode_resume_data(in);
  if (!alone) {
    FUZZ_CHECK(alone.error().category() == td::resume_category());
  } else {
    check_ranges(*alone);
    // encode writes the current version: a version-1 input comes back without legacy_stamps
    // (its stamps were dropped when it was decoded), everything else unchanged.
    auto expect = *alone;
    expect.legacy_stamps = false;
    auto back = td::decode_resume_data(td::encode_resume_data(*alone));
    FUZZ_CHECK(back && *back == expect);
  }

  auto for_torrent = td::decode_resume_data(in, ti);
  if (!for_torrent) {
    FUZZ_CHECK(for_torrent.error().category() == td::resume_category());
    return 0;
  }
  FUZZ_CHECK(alone && *alone == *for_torrent);
  FUZZ_CHECK(for_torrent->info_hash.same_torrent(ti.info_hash()) && for_torrent->pieces.size() == ti.num_pieces());

  // The files as recorded (every claimed piece trusted when the recorded sizes cover the
  // files), then as missing (nothing trusted).
  const td::bitfield& claimed = for_torrent->pieces;
  bool recorded_whole = for_torrent->file_stamps.size() == ti.files().size();
  for (std::size_t f = 0; recorded_whole && f < ti.files().size(); ++f) {
    recorded_whole = for_torrent->file_stamps[f].size >= ti.files()[f].size;
  }
  for (int variant = 0; variant < 2; ++variant) {
    std::vector<td::file_stamp> current = for_torrent->file_stamps;
    if (current.size() != ti.files().size()) current.assign(ti.files().size(), td::file_stamp{});
    if (variant == 1) current.assign(ti.files().size(), td::file_stamp{});
    const auto trust = td::decide_trusted_pieces(ti, *for_torrent, current);
    FUZZ_CHECK(trust.trusted.size() == ti.num_pieces() && trust.reverify.size() == ti.num_pieces());
    for (int p = 0; p < ti.num_pieces(); ++p) {
      FUZZ_CHECK(!(trust.trusted.get(p) && trust.reverify.get(p)));
      FUZZ_CHECK((trust.trusted.get(p) || trust.reverify.get(p)) == claimed.get(p));
      if (variant == 0 && recorded_whole) FUZZ_CHECK(trust.trusted.get(p) == claimed.get(p));
      if (variant == 1) FUZZ_CHECK(!trust.trusted.get(p));
    }
  }
  return 0;
}
