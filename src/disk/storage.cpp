#include "disk/storage.hpp"

#include "disk/part_file_storage.hpp"

#include <algorithm>

namespace tessera {

namespace {

class storage_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tessera.storage"; }
  std::string message(int ev) const override {
    switch (static_cast<storage_errc>(ev)) {
      case storage_errc::existing_file:
        return "exists and is not part of this download (no piece of it verifies)";
      case storage_errc::symlink:
        return "is a symbolic link (never followed)";
      case storage_errc::symlinked_directory:
        return "lies under a symbolic link to a directory (never followed)";
      case storage_errc::hard_linked:
        return "has other hard links (writing would change them too)";
      case storage_errc::target_exists:
        return "already exists at the new place (not replaced)";
    }
    return "unknown storage error";
  }
};

}  // namespace

const std::error_category& storage_category() noexcept {
  static const storage_category_impl category;
  return category;
}

const char* to_string(storage_error::operation op) {
  switch (op) {
    case storage_error::operation::open:
      return "open";
    case storage_error::operation::read:
      return "read";
    case storage_error::operation::write:
      return "write";
    case storage_error::operation::mkdir:
      return "mkdir";
    case storage_error::operation::truncate:
      return "truncate";
    case storage_error::operation::stat:
      return "stat";
    case storage_error::operation::flush:
      return "flush";
    case storage_error::operation::remove:
      return "remove";
    case storage_error::operation::rename:
      return "rename";
  }
  return "?";
}

std::string storage_error::message() const {
  return detail::format_io_error(to_string(op), path, ec);
}

storage_factory file_storage_factory() {
  return [](std::shared_ptr<const torrent_info> ti, const std::filesystem::path& save_path) {
    return make_file_storage(std::move(ti), save_path);
  };
}

storage_factory blob_storage_factory(std::filesystem::path blob_path) {
  return [blob_path = std::move(blob_path)](std::shared_ptr<const torrent_info> ti,
                                            const std::filesystem::path& save_path) {
    // operator/ keeps an absolute right-hand side as it is.
    std::filesystem::path p =
        blob_path.empty() ? save_path / (ti->info_hash().to_hex() + ".blob") : save_path / blob_path;
    return make_blob_storage(std::move(ti), std::move(p));
  };
}

storage_factory memory_storage_factory() {
  return [](std::shared_ptr<const torrent_info> ti, const std::filesystem::path&) {
    return make_memory_storage(std::move(ti));
  };
}

}  // namespace tessera

namespace tessera::detail {

std::string format_io_error(const char* operation, const std::string& path, std::error_code ec) {
  std::string out = operation;
  if (!path.empty()) {
    out += ' ';
    out += path;
  }
  out += ": ";
  out += ec.message();
  return out;
}

result<std::int64_t, storage_error> readable_length(const torrent_info& ti, std::int64_t offset,
                                                    std::size_t want) {
  if (offset < 0 || offset > ti.total_size()) {
    return unexpected{storage_error{std::make_error_code(std::errc::invalid_argument),
                                    storage_error::operation::read, {}}};
  }
  return std::min<std::int64_t>(static_cast<std::int64_t>(want), ti.total_size() - offset);
}

std::shared_ptr<storage> create_storage(const storage_factory& factory,
                                        std::shared_ptr<const torrent_info> ti,
                                        const std::filesystem::path& save_path,
                                        std::shared_ptr<fd_cache> open_files) {
  if (!factory) {
    // Files on disk keep skipped files' bytes in a part file (see part_file_storage.hpp).
    auto parts = part_file_path(*ti, save_path);
    auto files = open_files ? make_file_storage(ti, save_path, std::move(open_files))
                            : make_file_storage(ti, save_path);
    return make_part_file_storage(std::move(files), ti, std::move(parts));
  }
  return factory(std::move(ti), save_path);
}

}  // namespace tessera::detail
