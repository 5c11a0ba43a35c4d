// One component of a .torrent file path (an element of a file's `path` list, or the torrent's
// `name`) in the form it is given on disk: checked, sanitised and bounded. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tessera::detail {

/// Code points that never reach a file name: C0 controls (U+0001..U+001F), DEL (U+007F), C1
/// controls (U+0080..U+009F), and the bidirectional formatting marks that can disguise a name
/// ("gpj.exe" shown as "exe.jpg"): U+200E, U+200F, U+202A..U+202E, U+2066..U+2069.
bool is_replaced_in_path(std::int32_t code_point);

/// Appends the on-disk form of `raw` to `out` and returns true, or returns false when `raw` must
/// be refused (the caller then rejects the torrent; `out` is unspecified).
///
/// Refused, as a sign of a broken or hostile torrent: an empty component, "." and "..", and any
/// '/', '\\' or NUL byte (the ways to leave the download directory or cut a name short).
///
/// Sanitised, as libtorrent does (its sanitize_append_path_element): every byte that is not part
/// of valid UTF-8 (tessera::detail::decode_utf8) and every code point is_replaced_in_path names
/// becomes one '_', so no control character or terminal escape is ever created on disk.
/// (libtorrent drops the bidirectional marks; replacing them keeps the rule one rule, and never
/// shortens a name into "." or "..".)
///
/// Truncated when the sanitised form is longer than max_path_component_bytes (255, Linux's
/// NAME_MAX; tessera/torrent_info.hpp), like libtorrent, instead of being refused: a real torrent
/// made on a system that allows longer names stays downloadable. The extension (from the last
/// '.', when that suffix is at most 16 bytes and not the whole name) is kept and the part before
/// it is cut at a code point boundary so that the whole is at most 255 bytes. Two names that
/// sanitise or truncate to the same string collide: the metainfo parser then reports
/// duplicate_path.
///
/// Linear in raw.size().
bool append_path_component(std::string& out, std::string_view raw);

}  // namespace tessera::detail
