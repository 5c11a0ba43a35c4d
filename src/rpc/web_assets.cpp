#include "rpc/web_assets.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "tessera/hasher.hpp"

namespace tessera::rpc {

namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

}  // namespace

const web_asset* find_embedded_web_asset(std::string_view path) noexcept {
  const auto assets = embedded_web_assets();
  const auto it = std::lower_bound(assets.begin(), assets.end(), path,
                                   [](const web_asset& a, std::string_view p) { return a.path < p; });
  return it != assets.end() && it->path == path ? &*it : nullptr;
}

std::string_view web_ui_content_type(std::string_view path) {
  const auto dot = path.rfind('.');
  const auto slash = path.rfind('/');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) {
    return "application/octet-stream";
  }
  const auto ext = path.substr(dot + 1);
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 13> types{{
      {"html", "text/html; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"txt", "text/plain; charset=utf-8"},
      {"svg", "image/svg+xml"},
      {"json", "application/json"},
      {"map", "application/json"},
      {"webmanifest", "application/manifest+json"},
      {"png", "image/png"},
      {"ico", "image/vnd.microsoft.icon"},
      {"woff2", "font/woff2"},
      {"gif", "image/gif"},
  }};
  for (const auto& [e, type] : types) {
    if (iequals(ext, e)) return type;
  }
  return "application/octet-stream";
}

std::string web_ui_etag(std::string_view body) {
  // The first 8 bytes of the SHA-256 of the body, in hex, quoted.
  return "\"" + sha256(body).to_hex().substr(0, 16) + "\"";
}

}  // namespace tessera::rpc
