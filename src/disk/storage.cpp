#include "disk/storage.hpp"

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

std::string storage_error::message() const {
  std::string out = to_string(op);
  if (!path.empty()) {
    out += ' ';
    out += path;
  }
  out += ": ";
  out += ec.message();
  return out;
}

}  // namespace tessera::detail
