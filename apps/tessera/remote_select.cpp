#include "remote_select.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace tessera::cli {

namespace json = boost::json;

namespace {

constexpr std::int64_t max_file_index = 10'000'000;

bool all_of(std::string_view s, int (*pred)(int)) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [pred](char c) { return pred(static_cast<unsigned char>(c)) != 0; });
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool parse_index(std::string_view s, std::int64_t& out) {
  if (!all_of(s, [](int c) { return std::isdigit(c); })) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && out <= max_file_index;
}

}  // namespace

std::vector<torrent_ref> torrent_refs_of(const json::object& arguments) {
  std::vector<torrent_ref> out;
  const json::value* torrents = arguments.if_contains("torrents");
  if (torrents == nullptr || !torrents->is_array()) return out;
  for (const json::value& t : torrents->as_array()) {
    if (!t.is_object()) continue;
    const json::value* id = t.as_object().if_contains("id");
    const json::value* hash = t.as_object().if_contains("hashString");
    if (id == nullptr || !id->is_int64() || hash == nullptr || !hash->is_string()) continue;
    out.push_back({id->as_int64(), lower(hash->as_string())});
  }
  return out;
}

result<std::vector<std::int64_t>, std::string> resolve_ids(const std::vector<std::string>& tokens,
                                                          const std::vector<torrent_ref>& torrents) {
  std::vector<std::int64_t> out;
  auto add = [&out](std::int64_t id) {
    if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  };
  for (const std::string& token : tokens) {
    if (token.size() < 40 && all_of(token, [](int c) { return std::isdigit(c); })) {
      std::int64_t id = 0;
      auto [p, ec] = std::from_chars(token.data(), token.data() + token.size(), id);
      const bool known = ec == std::errc() && p == token.data() + token.size() &&
                         std::any_of(torrents.begin(), torrents.end(), [id](const torrent_ref& t) { return t.id == id; });
      if (!known) return unexpected{"no torrent with ID " + token};
      add(id);
      continue;
    }
    if (token.size() > 40 || !all_of(token, [](int c) { return std::isxdigit(c); })) {
      return unexpected{"'" + token + "' is neither a torrent ID nor an info-hash prefix"};
    }
    const std::string prefix = lower(token);
    std::vector<std::int64_t> matches;
    for (const torrent_ref& t : torrents) {
      if (t.hash.compare(0, prefix.size(), prefix) == 0) matches.push_back(t.id);
    }
    if (matches.empty()) return unexpected{"no torrent whose info-hash starts with '" + token + "'"};
    if (matches.size() > 1) {
      std::string ids;
      for (std::int64_t id : matches) ids += (ids.empty() ? "" : ", ") + std::to_string(id);
      return unexpected{"'" + token + "' is ambiguous: it starts the info-hash of torrents " + ids};
    }
    add(matches.front());
  }
  return out;
}

result<std::vector<std::int64_t>, std::string> parse_index_list(std::string_view text) {
  const std::string whole(text);
  std::vector<std::int64_t> out;
  if (trim(text).empty()) return unexpected{std::string("empty file list")};
  while (true) {
    const std::size_t comma = text.find(',');
    const std::string_view item = trim(text.substr(0, comma));
    if (item.empty()) return unexpected{"empty item in file list '" + whole + "'"};
    const std::size_t dash = item.find('-');
    std::int64_t first = 0;
    std::int64_t last = 0;
    const bool ok = dash == std::string_view::npos
                        ? parse_index(item, first) && parse_index(item, last)
                        : parse_index(trim(item.substr(0, dash)), first) && parse_index(trim(item.substr(dash + 1)), last);
    if (!ok) return unexpected{"'" + std::string(item) + "' is not a file index or range (e.g. 0,2-4)"};
    if (last < first) return unexpected{"'" + std::string(item) + "' is a reversed range"};
    for (std::int64_t i = first; i <= last; ++i) out.push_back(i);
    if (out.size() > static_cast<std::size_t>(max_file_index)) return unexpected{std::string("file list too long")};
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace tessera::cli
