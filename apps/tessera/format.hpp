// Human-readable sizes, rates, durations and the progress line of the command line.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tessera/session.hpp"

namespace tessera::cli {

/// `text` (bytes from a .torrent or a peer: a name, a path, a comment, a URL) made safe to print
/// on a terminal: every byte of a control character (C0, DEL, C1: ESC and the CSI that start
/// escape sequences among them), of a bidirectional formatting mark (U+200E/F, U+202A..E,
/// U+2066..9) and of invalid UTF-8 is written as `\xNN` (two lower-case hex digits); printable
/// UTF-8 is kept as it is. Meant for reading, not for parsing back: a backslash is not doubled.
std::string printable(std::string_view text);

/// 1536 -> "1.5 KiB"; binary units, one decimal above bytes.
std::string format_bytes(std::int64_t bytes);
/// bytes/s -> "1.5 MiB/s".
std::string format_rate(std::int64_t bytes_per_second);
/// 3725 s -> "1h02m", 65 s -> "1m05s", 9 s -> "9s"; nullopt -> "--".
std::string format_eta(std::optional<std::chrono::seconds> eta);

/// One status line: percent, bytes done/total, down and up rate, uploaded total (`up <total>`),
/// peers, ETA; while checking, the checking progress instead; while seeding, `seeding` with the
/// share ratio, uploaded total, up rate and peers.
std::string progress_line(const torrent_status& st);

/// Share ratio as Transmission computes it: uploaded / max(downloaded, size), so a seed that
/// downloaded nothing has uploaded/size. 0 for an empty torrent.
double share_ratio(const torrent_status& st);

}  // namespace tessera::cli
