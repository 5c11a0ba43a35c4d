// The arguments of `tessera create` that need more than CLI11: sizes with a K/M suffix, tracker
// tiers, the default output name. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/result.hpp"

namespace tessera::cli {

/// A size in bytes: digits, optionally followed by K or M (KiB, MiB; either case, "KiB"/"MiB"
/// and "KB"/"MB" accepted and binary too), or "auto" (0). Errors: std::errc::invalid_argument for
/// anything else (empty, a sign, a fraction, another suffix), std::errc::value_too_large past
/// 2^40.
result<std::int64_t> parse_size_arg(std::string_view text);

/// One tier per `-t` value, its URLs split at ','; empty URLs dropped, empty tiers dropped.
std::vector<std::vector<std::string>> tracker_tiers(const std::vector<std::string>& flags);

}  // namespace tessera::cli
