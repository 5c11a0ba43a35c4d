#include "swarm/client_name.hpp"

#include <cctype>
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
    return (name.empty() ? code : std::string(name)) + " " + version;
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
