#include "disk/part_file_storage.hpp"

#include <algorithm>

#include "disk/file_ranges.hpp"

namespace tessera::detail {

namespace {

using op = storage_error::operation;

storage_error invalid(op what) {
  return storage_error{std::make_error_code(std::errc::invalid_argument), what, {}};
}

}  // namespace

part_file_storage::part_file_storage(std::shared_ptr<storage> inner,
                                     std::shared_ptr<const torrent_info> ti,
                                     std::filesystem::path part_path)
    : inner_(std::move(inner)),
      inner_ownership_(ownership_of(*inner_)),
      ti_(std::move(ti)),
      parts_(std::move(part_path), ti_->num_pieces(), ti_->piece_length()),
      skipped_(std::make_shared<const flags>(ti_->files().size(), false)) {}

void part_file_storage::set_skipped(std::vector<bool> skipped) {
  skipped.resize(ti_->files().size(), false);
  auto next = std::make_shared<const flags>(std::move(skipped));
  std::lock_guard lock(skip_mutex_);
  skipped_ = std::move(next);
}

std::shared_ptr<const part_file_storage::flags> part_file_storage::snapshot() const {
  std::lock_guard lock(skip_mutex_);
  return skipped_;
}

bool part_file_storage::touches_skipped(const flags& skip, std::int64_t offset,
                                        std::int64_t length) const {
  bool found = false;
  for_each_file_range(*ti_, offset, length, [&](file_range r) {
    found = !ti_->files()[r.file].pad && skip[r.file];
    return !found;
  });
  return found;
}

result<bool, storage_error> part_file_storage::write_wanted(const flags& skip, std::int64_t offset,
                                                            std::span<const std::uint8_t> data) {
  // Runs of consecutive non-skipped files (padding included: the inner storage skips it).
  std::int64_t run_begin = -1;  // buffer offset of the current run
  std::int64_t run_end = 0;
  std::optional<storage_error> err;
  auto flush_run = [&]() {
    if (run_begin < 0) return true;
    auto w = inner_->write(offset + run_begin,
                           data.subspan(static_cast<std::size_t>(run_begin),
                                        static_cast<std::size_t>(run_end - run_begin)));
    run_begin = -1;
    if (!w) err = w.error();
    return !err;
  };
  for_each_file_range(*ti_, offset, static_cast<std::int64_t>(data.size()), [&](file_range r) {
    if (!ti_->files()[r.file].pad && skip[r.file]) return flush_run();
    if (run_begin < 0) run_begin = r.buffer_offset;
    run_end = r.buffer_offset + r.length;
    return true;
  });
  if (!err) flush_run();
  if (err) return unexpected{*err};
  return true;
}

result<bool, storage_error> part_file_storage::initialize() {
  auto r = inner_->initialize();
  if (!r) return r;
  return parts_.load();
}

result<bool, storage_error> part_file_storage::write(std::int64_t offset,
                                                     std::span<const std::uint8_t> data) {
  const auto size = static_cast<std::int64_t>(data.size());
  if (offset < 0 || offset > ti_->total_size() || size > ti_->total_size() - offset)
    return unexpected{invalid(op::write)};
  std::shared_lock io(io_mutex_);
  const auto skip = snapshot();
  const bool none_skipped = std::none_of(skip->begin(), skip->end(), [](bool b) { return b; });
  if (none_skipped && parts_.empty()) return inner_->write(offset, data);
  const std::int64_t pl = ti_->piece_length();
  for (std::int64_t pos = offset; pos < offset + size;) {
    const int piece = static_cast<int>(pos / pl);
    const std::int64_t end = std::min(offset + size, (std::int64_t{piece} + 1) * pl);
    auto chunk = data.subspan(static_cast<std::size_t>(pos - offset),
                              static_cast<std::size_t>(end - pos));
    if (touches_skipped(*skip, pos, end - pos) || parts_.has(piece)) {
      auto w = parts_.write(piece, pos - std::int64_t{piece} * pl, chunk);
      if (!w) return w;
      w = write_wanted(*skip, pos, chunk);
      if (!w) return w;
    } else {
      auto w = inner_->write(pos, chunk);
      if (!w) return w;
    }
    pos = end;
  }
  return true;
}

result<std::size_t, storage_error> part_file_storage::read(std::int64_t offset,
                                                           std::span<std::uint8_t> out) {
  auto readable = readable_length(*ti_, offset, out.size());
  if (!readable) return unexpected{readable.error()};
  std::shared_lock io(io_mutex_);
  if (parts_.empty()) return inner_->read(offset, out);
  const std::int64_t pl = ti_->piece_length();
  const std::int64_t stop = offset + *readable;
  std::size_t total = 0;
  for (std::int64_t pos = offset; pos < stop;) {
    const int piece = static_cast<int>(pos / pl);
    const std::int64_t end = std::min(stop, (std::int64_t{piece} + 1) * pl);
    auto chunk = out.subspan(static_cast<std::size_t>(pos - offset),
                             static_cast<std::size_t>(end - pos));
    auto got = parts_.has(piece) ? parts_.read(piece, pos - std::int64_t{piece} * pl, chunk)
                                 : inner_->read(pos, chunk);
    if (!got) return got;
    total += *got;
    if (*got < chunk.size()) break;  // missing bytes end the read
    pos = end;
  }
  return total;
}

result<bool, storage_error> part_file_storage::flush() {
  auto r = inner_->flush();
  if (!r) return r;
  return parts_.flush();
}

void part_file_storage::close_all() {
  inner_->close_all();
  parts_.close();
}

std::vector<std::int64_t> part_file_storage::on_disk_sizes() {
  auto sizes = inner_->on_disk_sizes();
  if (sizes.empty()) return sizes;
  for (int piece : parts_.pieces()) {
    for_each_file_range(*ti_, std::int64_t{piece} * ti_->piece_length(),
                        ti_->piece_size(piece_index{piece}), [&](file_range r) {
                          if (r.file < static_cast<int>(sizes.size())) {
                            auto& s = sizes[static_cast<std::size_t>(r.file)];
                            s = std::max(s, r.file_offset + r.length);
                          }
                          return true;
                        });
  }
  return sizes;
}

result<bool, storage_error> part_file_storage::move_unskipped() {
  std::unique_lock io(io_mutex_);
  const auto skip = snapshot();
  std::vector<std::uint8_t> buf;
  std::vector<int> done;  // pieces none of whose files is skipped any more
  for (int piece : parts_.pieces()) {
    const std::int64_t offset = std::int64_t{piece} * ti_->piece_length();
    const std::int64_t size = ti_->piece_size(piece_index{piece});
    buf.resize(static_cast<std::size_t>(size));
    auto got = parts_.read(piece, 0, buf);
    if (!got) return unexpected{got.error()};
    // Bytes of files wanted all along are rewritten with the same values: harmless, and it
    // spares recording which files each slot was written for.
    auto w = write_wanted(*skip, offset, std::span<const std::uint8_t>(buf.data(), *got));
    if (!w) return w;
    if (*got == buf.size() && !touches_skipped(*skip, offset, size)) done.push_back(piece);
  }
  if (done.empty()) return true;
  // The moved bytes are made durable before the part file forgets them.
  auto f = inner_->flush();
  if (!f) return f;
  for (int piece : done) {
    auto rel = parts_.release(piece);
    if (!rel) return rel;
  }
  return true;
}

result<bool, storage_error> part_file_storage::remove_files() {
  auto r = inner_->remove_files();
  if (!r) return r;
  parts_.close();
  std::error_code ec;
  std::filesystem::remove(parts_.path(), ec);
  if (ec) return unexpected{storage_error{ec, op::remove, parts_.path().string()}};
  return true;
}

result<bool, storage_error> part_file_storage::move_files(const std::filesystem::path& new_save_path) {
  auto r = inner_->move_files(new_save_path);
  if (!r) return r;
  parts_.close();
  const auto from = parts_.path();
  if (!std::filesystem::exists(from)) return true;
  const auto to = part_file_path(*ti_, new_save_path);
  std::error_code ec;
  std::filesystem::create_directories(new_save_path, ec);
  std::filesystem::rename(from, to, ec);
  if (ec == std::errc::cross_device_link) {  // another file system: copy, then delete
    ec.clear();
    std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing, ec);
    if (!ec) std::filesystem::remove(from, ec);
  }
  if (ec) return unexpected{storage_error{ec, op::rename, to.string()}};
  return true;
}

std::vector<bool> part_file_storage::owned_files() const {
  if (!inner_ownership_) return {};
  return inner_ownership_->owned_files();
}

void part_file_storage::adopt_files(const std::vector<bool>& files) {
  if (inner_ownership_) inner_ownership_->adopt_files(files);
}

void part_file_storage::set_overwrite_existing(bool allow) {
  if (inner_ownership_) inner_ownership_->set_overwrite_existing(allow);
}

result<bool, storage_error> part_file_storage::check_writable(const std::vector<bool>& files) {
  if (!inner_ownership_) return true;
  return inner_ownership_->check_writable(files);
}

std::optional<storage_error> part_file_storage::create_links() {
  if (!inner_ownership_) return std::nullopt;
  return inner_ownership_->create_links();
}

std::shared_ptr<part_file_storage> make_part_file_storage(std::shared_ptr<storage> inner,
                                                          std::shared_ptr<const torrent_info> ti,
                                                          std::filesystem::path part_path) {
  return std::make_shared<part_file_storage>(std::move(inner), std::move(ti), std::move(part_path));
}

std::filesystem::path part_file_path(const torrent_info& ti, const std::filesystem::path& save_path) {
  return save_path / ("." + ti.info_hash().to_hex() + ".parts");
}

}  // namespace tessera::detail
