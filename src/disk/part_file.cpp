#include "disk/part_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "disk/positional_io.hpp"
#include "disk/posix.hpp"

namespace tessera::detail {

namespace {

using op = storage_error::operation;

constexpr char magic[8] = {'T', 'S', 'P', 'A', 'R', 'T', 'S', '1'};
constexpr std::int64_t index_offset = 16;
constexpr std::int64_t header_alignment = 4096;

void put_u32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

std::uint32_t get_u32(const std::uint8_t* p) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= std::uint32_t{p[i]} << (8 * i);
  return v;
}

}  // namespace

std::int64_t part_file_index_bytes(int num_pieces) {
  return index_offset + 4 * std::int64_t{std::max(num_pieces, 0)};
}

std::optional<part_file_index> parse_part_file_header(std::span<const std::uint8_t> header,
                                                      int num_pieces, std::int64_t piece_length) {
  if (num_pieces < 0 || piece_length < 1) return std::nullopt;
  if (static_cast<std::int64_t>(header.size()) < part_file_index_bytes(num_pieces) ||
      std::memcmp(header.data(), magic, sizeof magic) != 0 ||
      get_u32(header.data() + 8) != static_cast<std::uint32_t>(num_pieces) ||
      get_u32(header.data() + 12) != static_cast<std::uint32_t>(piece_length)) {
    return std::nullopt;
  }
  part_file_index index;
  index.slot_of.assign(static_cast<std::size_t>(num_pieces), -1);
  for (int p = 0; p < num_pieces; ++p) {
    const std::uint32_t v = get_u32(header.data() + index_offset + 4 * std::int64_t{p});
    if (v == 0 || v > static_cast<std::uint32_t>(num_pieces)) continue;  // none, or nonsense
    const auto slot = static_cast<std::size_t>(v - 1);
    if (index.slot_used.size() <= slot) index.slot_used.resize(slot + 1, false);
    if (index.slot_used[slot]) continue;  // two pieces naming one slot: keep the first
    index.slot_used[slot] = true;
    index.slot_of[static_cast<std::size_t>(p)] = static_cast<int>(slot);
  }
  return index;
}

part_file::part_file(std::filesystem::path path, int num_pieces, std::int64_t piece_length)
    : path_(std::move(path)),
      num_pieces_(std::max(num_pieces, 0)),
      piece_length_(std::max<std::int64_t>(piece_length, 1)),
      slot_of_(static_cast<std::size_t>(num_pieces_), -1) {
  const std::int64_t raw = index_offset + 4 * std::int64_t{num_pieces_};
  header_size_ = (raw + header_alignment - 1) / header_alignment * header_alignment;
}

part_file::~part_file() { close(); }

storage_error part_file::error(storage_error::operation what, int e) const {
  return storage_error{errno_code(e), what, path_.string()};
}

result<int, storage_error> part_file::open_locked(bool create) {
  if (fd_ >= 0) return fd_;
  // O_NOFOLLOW: a symlink planted at our name is refused, never followed out of save_path.
  const int flags = (create ? O_RDWR | O_CREAT : O_RDWR) | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
  int fd = ::open(path_.c_str(), flags, 0644);
  if (fd < 0) return unexpected{error(op::open, errno)};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return unexpected{storage_error{std::make_error_code(std::errc::invalid_argument), op::open,
                                    path_.string()}};
  }
  fd_ = fd;
  return fd_;
}

result<bool, storage_error> part_file::load() {
  std::lock_guard lock(mutex_);
  std::fill(slot_of_.begin(), slot_of_.end(), -1);
  slot_used_.clear();
  valid_header_ = false;
  if (::access(path_.c_str(), F_OK) != 0) {
    if (errno == ENOENT) return true;
    return unexpected{error(op::open, errno)};
  }
  auto fd = open_locked(false);
  if (!fd) return unexpected{fd.error()};
  std::vector<std::uint8_t> header(static_cast<std::size_t>(part_file_index_bytes(num_pieces_)));
  std::size_t got = 0;
  if (auto ec = pread_all(*fd, header.data(), static_cast<std::int64_t>(header.size()), 0, got))
    return unexpected{storage_error{ec, op::read, path_.string()}};
  auto index = parse_part_file_header(std::span(header.data(), got), num_pieces_, piece_length_);
  if (!index) return true;  // not ours: empty, rewritten on the next write
  valid_header_ = true;
  slot_of_ = std::move(index->slot_of);
  slot_used_ = std::move(index->slot_used);
  return true;
}

bool part_file::has(int piece) const {
  std::lock_guard lock(mutex_);
  return piece >= 0 && piece < num_pieces_ && slot_of_[static_cast<std::size_t>(piece)] >= 0;
}

std::vector<int> part_file::pieces() const {
  std::lock_guard lock(mutex_);
  std::vector<int> out;
  for (int p = 0; p < num_pieces_; ++p) {
    if (slot_of_[static_cast<std::size_t>(p)] >= 0) out.push_back(p);
  }
  return out;
}

bool part_file::empty() const {
  std::lock_guard lock(mutex_);
  return std::none_of(slot_used_.begin(), slot_used_.end(), [](bool b) { return b; });
}

result<bool, storage_error> part_file::write_entry_locked(int piece, std::uint32_t value) {
  std::uint8_t buf[4];
  put_u32(buf, value);
  if (auto ec = pwrite_all(fd_, buf, 4, index_offset + 4 * std::int64_t{piece}))
    return unexpected{storage_error{ec, op::write, path_.string()}};
  return true;
}

result<bool, storage_error> part_file::write(int piece, std::int64_t begin,
                                             std::span<const std::uint8_t> data) {
  if (piece < 0 || piece >= num_pieces_ || begin < 0 ||
      begin + static_cast<std::int64_t>(data.size()) > piece_length_) {
    return unexpected{storage_error{std::make_error_code(std::errc::invalid_argument), op::write,
                                    path_.string()}};
  }
  std::lock_guard lock(mutex_);
  auto fd = open_locked(true);
  if (!fd) return unexpected{fd.error()};
  if (!valid_header_) {
    // A new (or foreign) file: a fresh header with an empty index.
    if (::ftruncate(*fd, 0) != 0 || ::ftruncate(*fd, header_size_) != 0)
      return unexpected{error(op::truncate, errno)};
    std::uint8_t head[index_offset];
    std::memcpy(head, magic, sizeof magic);
    put_u32(head + 8, static_cast<std::uint32_t>(num_pieces_));
    put_u32(head + 12, static_cast<std::uint32_t>(piece_length_));
    if (auto ec = pwrite_all(*fd, head, index_offset, 0))
      return unexpected{storage_error{ec, op::write, path_.string()}};
    std::fill(slot_of_.begin(), slot_of_.end(), -1);
    slot_used_.clear();
    valid_header_ = true;
  }
  int slot = slot_of_[static_cast<std::size_t>(piece)];
  const bool fresh = slot < 0;
  if (fresh) {
    auto it = std::find(slot_used_.begin(), slot_used_.end(), false);
    slot = static_cast<int>(it - slot_used_.begin());
    if (it == slot_used_.end()) slot_used_.push_back(false);
  }
  const std::int64_t at = header_size_ + std::int64_t{slot} * piece_length_ + begin;
  if (auto ec = pwrite_all(*fd, data.data(), static_cast<std::int64_t>(data.size()), at))
    return unexpected{storage_error{ec, op::write, path_.string()}};
  dirty_ = true;
  if (fresh) {
    // Data first, then the entry naming it.
    auto w = write_entry_locked(piece, static_cast<std::uint32_t>(slot) + 1);
    if (!w) return w;
    slot_used_[static_cast<std::size_t>(slot)] = true;
    slot_of_[static_cast<std::size_t>(piece)] = slot;
  }
  return true;
}

result<std::size_t, storage_error> part_file::read(int piece, std::int64_t begin,
                                                   std::span<std::uint8_t> out) {
  std::lock_guard lock(mutex_);
  if (piece < 0 || piece >= num_pieces_ || begin < 0) return std::size_t{0};
  const int slot = slot_of_[static_cast<std::size_t>(piece)];
  if (slot < 0) return std::size_t{0};
  const auto n = std::min<std::int64_t>(static_cast<std::int64_t>(out.size()),
                                        std::max<std::int64_t>(0, piece_length_ - begin));
  auto fd = open_locked(false);
  if (!fd) return unexpected{fd.error()};
  std::size_t got = 0;
  const std::int64_t at = header_size_ + std::int64_t{slot} * piece_length_ + begin;
  if (auto ec = pread_all(*fd, out.data(), n, at, got))
    return unexpected{storage_error{ec, op::read, path_.string()}};
  return got;
}

result<bool, storage_error> part_file::release(int piece) {
  std::lock_guard lock(mutex_);
  if (piece < 0 || piece >= num_pieces_) return true;
  const int slot = slot_of_[static_cast<std::size_t>(piece)];
  if (slot < 0) return true;
  auto fd = open_locked(false);
  if (!fd) return unexpected{fd.error()};
  auto w = write_entry_locked(piece, 0);
  if (!w) return w;
  dirty_ = true;
  slot_of_[static_cast<std::size_t>(piece)] = -1;
  slot_used_[static_cast<std::size_t>(slot)] = false;
  if (std::none_of(slot_used_.begin(), slot_used_.end(), [](bool b) { return b; })) {
    ::close(fd_);
    fd_ = -1;
    dirty_ = false;
    valid_header_ = false;
    slot_used_.clear();
    if (::unlink(path_.c_str()) != 0 && errno != ENOENT) return unexpected{error(op::write, errno)};
  }
  return true;
}

result<bool, storage_error> part_file::flush() {
  std::lock_guard lock(mutex_);
  if (!dirty_) return true;
  auto fd = open_locked(false);  // reopened when close() ran since the write
  if (!fd) return unexpected{storage_error{fd.error().ec, op::flush, path_.string()}};
  if (::fdatasync(*fd) != 0) return unexpected{error(op::flush, errno)};
  dirty_ = false;
  return true;
}

void part_file::close() {
  std::lock_guard lock(mutex_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace tessera::detail
