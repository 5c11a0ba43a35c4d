#include "swarm/client_name.hpp"

#include <cctype>
#include <string>
#include <string_view>

namespace tessera::detail {

namespace {

bool is_alnum(std::uint8_t c) { return std::isalnum(c) != 0; }

std::string_view known_code(std::string_view code) {
  struct entry { std::string_view code, name; };
  static constexpr entry table[] = {
      {"LT", "libtorrent"}, {"TR", "Transmission"}, {"qB", "qBittorrent"}, {"DE", "Deluge"},
      {"UT", "uTorrent"},   {"TS", "tessera"},      {"lt", "rTorrent"},    {"AZ", "Azureus"},
      {"BT", "BitTorrent"}, {"UW", "uTorrent Web"}, {"KT", "KTorrent"},    {"FD", "Free Download Manager"},
  };
  for (const auto& e : table) {
    if (e.code == code) return e.name;
  }
  return {};
}

/// One version character of an Azureus-style id: '0'-'9' are 0-9, 'A'-'Z' 10-35, 'a'-'z' 36-61
/// (the convention libtorrent and qBittorrent follow).
int version_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return c - 'a' + 36;
}

/// The four version characters of "-XXabcd-" as a person reads them. Transmission before 4.0
/// wrote major and a two-digit minor ("-TR2940-" is 2.94, "-TR300Z-" 3.00, the last character
/// marking a build); every other client (Transmission 4 too) writes one character per part:
/// "-LT2080-" is 2.0.8, trailing ".0" parts past the third dropped ("-qB4620-" 4.6.2).
std::string azureus_version(std::string_view code, std::string_view v) {
  if (code == "TR" && v[0] >= '0' && v[0] <= '3' && std::isdigit(static_cast<unsigned char>(v[1])) &&
      std::isdigit(static_cast<unsigned char>(v[2]))) {
    return std::string{v[0], '.', v[1], v[2]};
  }
  std::string out;
  int parts = 4;
  while (parts > 3 && v[static_cast<std::size_t>(parts - 1)] == '0') --parts;
  for (int i = 0; i < parts; ++i) {
    if (i > 0) out += '.';
    out += std::to_string(version_digit(v[static_cast<std::size_t>(i)]));
  }
  return out;
}

std::string hex_prefix(const peer_id& id) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 8; ++i) {
    out += digits[id.bytes[i] >> 4];
    out += digits[id.bytes[i] & 15];
  }
  return out;
}

}  // namespace

std::string client_name_from_peer_id(const peer_id& id) {
  const auto& b = id.bytes;
  if (b[0] == '-' && b[7] == '-' && is_alnum(b[1]) && is_alnum(b[2]) && is_alnum(b[3]) &&
      is_alnum(b[4]) && is_alnum(b[5]) && is_alnum(b[6])) {
    const std::string code{char(b[1]), char(b[2])};
    const std::string version{char(b[3]), char(b[4]), char(b[5]), char(b[6])};
    const auto name = known_code(code);
    return (name.empty() ? code : std::string(name)) + " " + azureus_version(code, version);
  }
  // aria2: "A2-<major>-<minor>-<patch>-" followed by random bytes.
  if (b[0] == 'A' && b[1] == '2' && b[2] == '-') {
    std::string version;
    int dashes = 0;
    for (std::size_t i = 3; i < b.size() && dashes < 3; ++i) {
      if (b[i] == '-') {
        ++dashes;
        if (dashes < 3) version += '.';
      } else if (std::isdigit(b[i])) {
        version += char(b[i]);
      } else {
        break;
      }
    }
    if (dashes == 3) return "aria2 " + version;
  }
  return hex_prefix(id);
}

}  // namespace tessera::detail
