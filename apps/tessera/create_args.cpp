#include "create_args.hpp"

#include <cctype>

namespace tessera::cli {

result<std::int64_t> parse_size_arg(std::string_view text) {
  const auto invalid = unexpected{std::make_error_code(std::errc::invalid_argument)};
  if (text == "auto") return std::int64_t{0};
  std::size_t i = 0;
  std::int64_t value = 0;
  constexpr std::int64_t limit = std::int64_t{1} << 40;
  for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
    value = value * 10 + (text[i] - '0');
    if (value > limit) return unexpected{std::make_error_code(std::errc::value_too_large)};
  }
  if (i == 0) return invalid;
  std::string suffix;
  for (char c : text.substr(i)) suffix += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::int64_t unit = 1;
  if (suffix == "k" || suffix == "kib" || suffix == "kb") unit = 1024;
  else if (suffix == "m" || suffix == "mib" || suffix == "mb") unit = 1024 * 1024;
  else if (!suffix.empty() && suffix != "b") return invalid;
  if (value > limit / unit) return unexpected{std::make_error_code(std::errc::value_too_large)};
  return value * unit;
}

std::vector<std::vector<std::string>> tracker_tiers(const std::vector<std::string>& flags) {
  std::vector<std::vector<std::string>> tiers;
  for (const auto& flag : flags) {
    std::vector<std::string> tier;
    std::size_t start = 0;
    for (;;) {
      const auto comma = flag.find(',', start);
      std::string url = flag.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!url.empty()) tier.push_back(std::move(url));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if (!tier.empty()) tiers.push_back(std::move(tier));
  }
  return tiers;
}

}  // namespace tessera::cli
