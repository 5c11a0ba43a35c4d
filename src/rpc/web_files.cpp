#include "rpc/web_files.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <system_error>

namespace tessera::rpc {

std::optional<std::string> read_web_file(const std::filesystem::path& web_home,
                                         std::string_view relative, std::size_t max_bytes) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path home = fs::canonical(web_home, ec);
  if (ec) return std::nullopt;
  const fs::path file = fs::canonical(home / fs::path(std::string(relative)), ec);
  if (ec) return std::nullopt;
  // Inside = the home's components are a prefix of the file's (and the file is not the home).
  auto [home_end, file_it] = std::mismatch(home.begin(), home.end(), file.begin(), file.end());
  if (home_end != home.end() || file_it == file.end()) return std::nullopt;
  if (!fs::is_regular_file(file, ec) || ec) return std::nullopt;
  const auto size = fs::file_size(file, ec);
  if (ec || size > max_bytes) return std::nullopt;
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::string content(static_cast<std::size_t>(size), '\0');
  in.read(content.data(), static_cast<std::streamsize>(content.size()));
  if (static_cast<std::size_t>(in.gcount()) != content.size()) return std::nullopt;
  return content;
}

}  // namespace tessera::rpc
