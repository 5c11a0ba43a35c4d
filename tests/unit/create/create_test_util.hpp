// Helpers of the torrent creation tests: a temporary tree of files with known bytes.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace tessera::test {

/// A fresh directory under /tmp, removed (recursively) at destruction.
struct create_temp_dir {
  std::filesystem::path path;
  create_temp_dir() {
    std::string tmpl = "/tmp/tessera-create-test-XXXXXX";
    path = ::mkdtemp(tmpl.data());
  }
  ~create_temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  create_temp_dir(const create_temp_dir&) = delete;
  create_temp_dir& operator=(const create_temp_dir&) = delete;
};

/// `size` pseudo-random bytes from `seed`.
inline std::string test_bytes(std::int64_t size, unsigned seed) {
  std::string out(static_cast<std::size_t>(size), '\0');
  std::mt19937 rng(seed);
  for (auto& c : out) c = static_cast<char>(rng());
  return out;
}

/// Writes `bytes` to `p`, creating its folders; returns the bytes.
inline std::string write_file(const std::filesystem::path& p, const std::string& bytes) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << bytes;
  return bytes;
}

}  // namespace tessera::test
