// Helpers shared by the disk tests: temporary directories, hand-built torrent_info, test data.
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/torrent_info_builder.hpp"
#include "tessera/hasher.hpp"
#include "tessera/torrent_info.hpp"

namespace tessera::detail::test {

/// A fresh directory under /tmp, removed (recursively) at destruction.
struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    std::string tmpl = "/tmp/tessera-disk-test-XXXXXX";
    path = ::mkdtemp(tmpl.data());
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
};

struct file_spec {
  std::string path;
  std::int64_t size;
  bool pad = false;
};

/// Deterministic pseudo-random bytes (zeros at padding files' offsets, as in a real torrent).
inline std::vector<std::uint8_t> make_content(std::int64_t size, unsigned seed = 1) {
  std::vector<std::uint8_t> out(static_cast<std::size_t>(size));
  std::mt19937 rng(seed);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng());
  return out;
}

/// A torrent_info over `files` (offsets computed) whose piece hashes are those of `content`.
inline std::shared_ptr<torrent_info> make_torrent(const std::vector<file_spec>& files,
                                                  std::int64_t piece_length,
                                                  std::vector<std::uint8_t>& content) {
  auto ti = std::make_shared<tessera::detail::torrent_info_builder>();
  ti->name = "t";
  ti->piece_length = piece_length;
  ti->multi_file = files.size() > 1;
  std::int64_t offset = 0;
  for (const auto& f : files) {
    file_entry e;
    e.path = f.path;
    e.size = f.size;
    e.offset = offset;
    e.pad = f.pad;
    ti->files.push_back(e);
    offset += f.size;
  }
  ti->total_size = offset;
  if (content.empty()) content = make_content(offset);
  for (const auto& f : ti->files)
    if (f.pad) std::fill_n(content.begin() + f.offset, f.size, 0);
  for (std::int64_t p = 0; p * piece_length < offset; ++p) {
    std::int64_t n = std::min(piece_length, offset - p * piece_length);
    ti->piece_hashes.push_back(sha1(std::as_bytes(std::span(content.data() + p * piece_length, static_cast<std::size_t>(n)))));
  }
  return std::make_shared<torrent_info>(std::move(*ti).build());
}

/// Bytes of piece `p` of `content`.
inline std::vector<std::uint8_t> piece_bytes(const torrent_info& ti,
                                             const std::vector<std::uint8_t>& content, int p) {
  auto begin = content.begin() + p * ti.piece_length();
  return {begin, begin + ti.piece_size(piece_index{p})};
}

inline std::vector<std::uint8_t> read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// KiB of `file`'s page-cache pages that are dirty (written, not yet written back), or -1 when
/// that cannot be observed. Maps the file read-only and reads the mapping's Private_Dirty +
/// Shared_Dirty from /proc/self/smaps, which count pages dirty in the page cache too.
inline long dirty_kib(const std::filesystem::path& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  const auto size = static_cast<std::size_t>(std::filesystem::file_size(file));
  void* map = size ? ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0) : MAP_FAILED;
  ::close(fd);
  if (map == MAP_FAILED) return -1;
  volatile std::uint8_t sink = 0;
  const long page = ::sysconf(_SC_PAGESIZE);
  for (std::size_t i = 0; i < size; i += static_cast<std::size_t>(page))
    sink = sink + static_cast<const std::uint8_t*>(map)[i];  // map every page
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool in_map = false;
  long kib = -1;
  while (std::getline(smaps, line)) {
    unsigned long start = 0;
    if (line.find('-') != std::string::npos && std::sscanf(line.c_str(), "%lx-", &start) == 1 &&
        line.find(':') > line.find(' ')) {  // a mapping's header line ("start-end perms ...")
      in_map = start == reinterpret_cast<unsigned long>(map);
      if (in_map) kib = 0;
      continue;
    }
    long v = 0;
    if (in_map && (std::sscanf(line.c_str(), "Private_Dirty: %ld", &v) == 1 ||
                   std::sscanf(line.c_str(), "Shared_Dirty: %ld", &v) == 1))
      kib += v;
  }
  ::munmap(map, size);
  return kib;
}

}  // namespace tessera::detail::test
