#include "disk/storage.hpp"

#include <algorithm>

namespace tessera::detail {

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
  }
  return "?";
}

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

std::string storage_error::message() const { return format_io_error(to_string(op), path, ec); }

result<std::int64_t, storage_error> readable_length(const torrent_info& ti, std::int64_t offset,
                                                    std::size_t want) {
  if (offset < 0 || offset > ti.total_size) {
    return unexpected{storage_error{std::make_error_code(std::errc::invalid_argument),
                                    storage_error::operation::read, {}}};
  }
  return std::min<std::int64_t>(static_cast<std::int64_t>(want), ti.total_size - offset);
}

}  // namespace tessera::detail
