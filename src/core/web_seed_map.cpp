// BEP 19's URL scheme: the file's URL from the web seed's base URL, then one byte range per file.
#include "core/web_seed_map.hpp"

#include <algorithm>

namespace tessera::detail {

namespace {

bool unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

void append_encoded(std::string& out, std::string_view component) {
  static constexpr char hex[] = "0123456789ABCDEF";
  for (char ch : component) {
    const auto c = static_cast<unsigned char>(ch);
    if (unreserved(c)) {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
}

}  // namespace

std::string web_seed_file_url(std::string_view base, bool multi_file, std::string_view name, std::string_view path) {
  std::string url(base);
  const bool slash = !url.empty() && url.back() == '/';
  if (!multi_file) {
    if (slash) append_encoded(url, name);
    return url;
  }
  if (!slash) url += '/';
  // file_entry::path joins checked components with '/', none of them empty or holding a '/'.
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (start != 0) url += '/';
    append_encoded(url, path.substr(start, end - start));
    start = end + 1;
  }
  return url;
}

result<std::vector<web_seed_part>, web_seed_map_errc>
map_web_seed_range(std::string_view base, bool multi_file, std::string_view name,
                   std::span<const file_entry> files, std::int64_t total_size, std::int64_t offset,
                   std::int64_t length) {
  if (offset < 0 || length <= 0 || offset > total_size || length > total_size - offset) {
    return unexpected{web_seed_map_errc::out_of_range};
  }
  std::vector<web_seed_part> parts;
  const std::int64_t end = offset + length;
  std::int64_t pos = offset;
  auto add_zeros = [&](std::int64_t n) {
    if (!parts.empty() && parts.back().zeros) {
      parts.back().length += n;
    } else {
      web_seed_part z;
      z.zeros = true;
      z.length = n;
      z.torrent_offset = pos;
      parts.push_back(std::move(z));
    }
    pos += n;
  };
  // The first file that ends after `offset` (files are in byte-stream order).
  auto it = std::partition_point(files.begin(), files.end(),
                                 [&](const file_entry& f) { return f.offset + f.size <= offset; });
  for (; it != files.end() && pos < end; ++it) {
    const file_entry& f = *it;
    if (f.size <= 0 || f.symlink) continue;
    if (f.offset >= end) break;
    if (f.offset > pos) add_zeros(f.offset - pos);  // a gap no file covers (v2 alignment)
    const std::int64_t n = std::min(end, f.offset + f.size) - pos;
    if (f.pad) {
      add_zeros(n);
      continue;
    }
    web_seed_part p;
    p.url = web_seed_file_url(base, multi_file, name, f.path);
    p.file_offset = pos - f.offset;
    p.length = n;
    p.file_size = f.size;
    p.torrent_offset = pos;
    parts.push_back(std::move(p));
    pos += n;
  }
  if (pos < end) add_zeros(end - pos);
  return parts;
}

}  // namespace tessera::detail
