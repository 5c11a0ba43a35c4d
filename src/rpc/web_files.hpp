// The static web client's files (--web-home): reads one file named by a path relative to the web
// home, refusing anything that resolves outside it (".." was already refused by
// web_relative_path; this catches symbolic links that lead out).
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::rpc {

/// The contents of `web_home`/`relative` when, with every symbolic link resolved, it is a regular
/// file inside the resolved web home and at most `max_bytes` long; nullopt otherwise (missing,
/// a directory, outside, unreadable, too large): the front answers 404. Blocking file I/O on the
/// caller's thread (the front's; web client files are small). Never throws.
std::optional<std::string> read_web_file(const std::filesystem::path& web_home,
                                         std::string_view relative, std::size_t max_bytes);

}  // namespace tessera::rpc
