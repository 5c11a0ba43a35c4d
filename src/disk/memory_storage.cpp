// The in-memory storage backend (see memory_storage.hpp).
#include "disk/memory_storage.hpp"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <new>

#include "disk/file_ranges.hpp"

namespace tessera::detail {

namespace {

using op = storage_error::operation;

class memory_storage final : public storage {
 public:
  explicit memory_storage(std::shared_ptr<const torrent_info> ti)
      : ti_(std::move(ti)), extent_(ti_->files().size(), -1) {
    for (std::size_t i = 0; i < ti_->files().size(); ++i) {
      if (ti_->files()[i].pad) extent_[i] = ti_->files()[i].size;
      else if (ti_->files()[i].size == 0) empty_files_.push_back(static_cast<int>(i));
    }
  }

  result<bool, storage_error> initialize() override { return true; }

  result<bool, storage_error> write(std::int64_t offset,
                                    std::span<const std::uint8_t> data) override {
    const auto size = static_cast<std::int64_t>(data.size());
    if (offset < 0 || offset > ti_->total_size() || size > ti_->total_size() - offset)
      return unexpected{
          storage_error{std::make_error_code(std::errc::invalid_argument), op::write, {}}};
    std::lock_guard lock(mutex_);
    if (bytes_.size() != static_cast<std::size_t>(ti_->total_size())) {
      try {
        bytes_.resize(static_cast<std::size_t>(ti_->total_size()));
      } catch (const std::bad_alloc&) {
        return unexpected{
            storage_error{std::make_error_code(std::errc::not_enough_memory), op::write, {}}};
      }
    }
    for_each_file_range(*ti_, offset, size, [&](file_range r) {
      if (ti_->files()[r.file].pad) return true;  // BEP 47: padding is never stored
      std::memcpy(bytes_.data() + offset + r.buffer_offset, data.data() + r.buffer_offset,
                  static_cast<std::size_t>(r.length));
      extent_[r.file] = std::max(extent_[r.file], r.file_offset + r.length);
      return true;
    });
    // Zero-length files come into existence when a write reaches their offset.
    const auto& files = ti_->files();
    for (int f : empty_files_)
      if (files[f].offset >= offset && files[f].offset <= offset + size) extent_[f] = 0;
    return true;
  }

  result<std::size_t, storage_error> read(std::int64_t offset,
                                          std::span<std::uint8_t> out) override {
    auto readable = readable_length(*ti_, offset, out.size());
    if (!readable) return unexpected{readable.error()};
    const std::int64_t length = *readable;
    std::lock_guard lock(mutex_);
    std::size_t total = 0;
    for_each_file_range(*ti_, offset, length, [&](file_range r) {
      std::uint8_t* dst = out.data() + r.buffer_offset;
      if (ti_->files()[r.file].pad) {
        std::memset(dst, 0, static_cast<std::size_t>(r.length));
        total += static_cast<std::size_t>(r.length);
        return true;
      }
      const std::int64_t have =
          std::clamp<std::int64_t>(extent_[r.file] - r.file_offset, 0, r.length);
      if (have > 0)
        std::memcpy(dst, bytes_.data() + offset + r.buffer_offset, static_cast<std::size_t>(have));
      total += static_cast<std::size_t>(have);
      return have == r.length;  // a short file ends the read
    });
    return total;
  }

  result<bool, storage_error> flush() override { return true; }  // nothing is durable

  void close_all() override {}

  std::vector<std::int64_t> on_disk_sizes() override {
    std::lock_guard lock(mutex_);
    return extent_;
  }

 private:
  std::shared_ptr<const torrent_info> ti_;
  std::mutex mutex_;
  std::vector<std::uint8_t> bytes_;   ///< torrent byte stream, allocated on the first write
  std::vector<std::int64_t> extent_;  ///< per file: furthest byte written + 1, or -1
  std::vector<int> empty_files_;      ///< zero-length, non-padding files
};

}  // namespace

}  // namespace tessera::detail

std::shared_ptr<tessera::storage> tessera::make_memory_storage(
    std::shared_ptr<const torrent_info> ti) {
  return std::make_shared<detail::memory_storage>(std::move(ti));
}
