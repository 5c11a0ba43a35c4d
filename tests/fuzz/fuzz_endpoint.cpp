// libFuzzer target for endpoints written as text: the session's parse_endpoint (magnet x.pe,
// torrent_handle::connect_peer, DHT bootstrap nodes) and core's peer_endpoint::from_string.
// Invariants: an accepted text holds no NUL byte (a C string parser must not see a shorter
// text than we were given); parse_endpoint never gives port 0; each parser reads its own
// printed form back to the same endpoint; and where both accept a text they agree on it.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/compact_peer.hpp"
#include "fuzz_support.hpp"
#include "session/endpoint_text.hpp"

namespace td = tessera::detail;
using boost::asio::ip::tcp;

namespace {

/// The endpoint as core's type, address bytes as they are (an IPv4-mapped IPv6 address stays
/// IPv6, as from_string leaves it).
td::peer_endpoint as_peer_endpoint(const tcp::endpoint& ep) {
  td::peer_endpoint out;
  out.port = ep.port();
  if (ep.address().is_v6()) {
    const auto b = ep.address().to_v6().to_bytes();
    std::memcpy(out.addr.data(), b.data(), b.size());
    out.v6 = true;
  } else {
    const auto b = ep.address().to_v4().to_bytes();
    std::memcpy(out.addr.data(), b.data(), b.size());
  }
  return out;
}

std::string text_of(const tcp::endpoint& ep) {
  const std::string addr = ep.address().to_string();
  return ep.address().is_v6() ? "[" + addr + "]:" + std::to_string(ep.port())
                              : addr + ":" + std::to_string(ep.port());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const bool has_nul = in.find('\0') != std::string_view::npos;

  const auto session_ep = td::parse_endpoint(in);
  if (session_ep) {
    FUZZ_CHECK(!has_nul);
    FUZZ_CHECK(session_ep->port() != 0);
    const auto back = td::parse_endpoint(text_of(*session_ep));
    FUZZ_CHECK(back && *back == *session_ep);
  }

  const auto core_ep = td::peer_endpoint::from_string(in);
  if (core_ep) {
    FUZZ_CHECK(!has_nul);
    const auto back = td::peer_endpoint::from_string(core_ep->to_string());
    FUZZ_CHECK(back && *back == *core_ep);
  }

  if (session_ep && core_ep) FUZZ_CHECK(as_peer_endpoint(*session_ep) == *core_ep);
  return 0;
}
