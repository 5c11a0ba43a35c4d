#include "session/listen_addresses.hpp"

#include <optional>
#include <string>

namespace tessera::detail {

namespace asio = boost::asio;

std::vector<asio::ip::address> listen_addresses(std::string_view listen_interface) {
  if (listen_interface.find_first_not_of(' ') == std::string_view::npos) {
    return {asio::ip::address_v4::any(), asio::ip::address_v6::any()};
  }
  std::optional<asio::ip::address> v4, v6;
  std::size_t start = 0;
  while (start <= listen_interface.size()) {
    auto end = listen_interface.find(',', start);
    if (end == std::string_view::npos) end = listen_interface.size();
    std::string_view entry = listen_interface.substr(start, end - start);
    start = end + 1;
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
    if (entry.size() > 2 && entry.front() == '[' && entry.back() == ']') entry = entry.substr(1, entry.size() - 2);
    boost::system::error_code ec;
    const auto a = asio::ip::make_address(std::string(entry), ec);
    if (ec) continue;
    auto& slot = a.is_v4() ? v4 : v6;
    if (!slot) slot = a;
  }
  std::vector<asio::ip::address> out;
  if (v4) out.push_back(*v4);
  if (v6) out.push_back(*v6);
  return out;
}

}  // namespace tessera::detail
