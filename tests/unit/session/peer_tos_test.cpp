// DSCP/TOS marking of peer sockets (session_settings::peer_tos) and the source address of
// outgoing peer connections (listen_interface), read back from the session's own sockets: the
// test runs in the same process, so it finds the session's socket among /proc/self/fd by its
// addresses and asks getsockopt(IP_TOS).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/socket.h>

#include <charconv>
#include <filesystem>
#include <optional>

#include "fake_peers.hpp"
#include "session_test_support.hpp"
#include "tessera/session.hpp"

namespace tessera {
namespace {

using namespace test;
using namespace std::chrono_literals;
namespace wire = detail::wire;

bool same(const sockaddr_storage& a, const tcp::endpoint& ep) {
  if (a.ss_family != AF_INET || !ep.address().is_v4()) return false;
  const auto& in = reinterpret_cast<const sockaddr_in&>(a);
  return ntohs(in.sin_port) == ep.port() && ntohl(in.sin_addr.s_addr) == ep.address().to_v4().to_uint();
}

/// The TOS byte of this process's IPv4 TCP socket whose local address is `local` (any when null)
/// and whose peer is `peer`; nullopt when there is no such socket (yet).
std::optional<int> tos_of_socket(const std::optional<tcp::endpoint>& local, const tcp::endpoint& peer) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    const auto name = entry.path().filename().string();
    int fd = -1;
    if (std::from_chars(name.data(), name.data() + name.size(), fd).ec != std::errc{}) continue;
    sockaddr_storage mine{}, theirs{};
    socklen_t ml = sizeof mine, tl = sizeof theirs;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&mine), &ml) != 0) continue;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&theirs), &tl) != 0) continue;
    if (!same(theirs, peer) || (local && !same(mine, *local))) continue;
    int tos = -1;
    socklen_t len = sizeof tos;
    if (::getsockopt(fd, IPPROTO_IP, IP_TOS, &tos, &len) != 0) continue;
    return tos;
  }
  return std::nullopt;
}

/// Polls tos_of_socket for up to 3 s (the session adopts sockets on its own thread).
std::optional<int> wait_for_tos(const std::optional<tcp::endpoint>& local, const tcp::endpoint& peer) {
  for (int i = 0; i < 150; ++i) {
    if (auto t = tos_of_socket(local, peer)) return t;
    std::this_thread::sleep_for(20ms);
  }
  return std::nullopt;
}

torrent_handle add_seeding(session& ses, const test_torrent& t, const std::filesystem::path& dir) {
  write_payload(t, dir);
  auto h = add_test_torrent(ses, t, dir);
  auto s = wait_for_status(h, [](const torrent_status& st) { return st.state == torrent_state::seeding; }, 10s);
  EXPECT_TRUE(s && s->state == torrent_state::seeding);
  return h;
}

/// An incoming peer's socket is marked once the session adopts it (after its handshake).
std::optional<int> tos_of_accepted(int peer_tos) {
  auto settings = loopback_settings("127.0.0.2");
  settings.peer_tos = peer_tos;
  session ses(settings);
  auto t = make_torrent(5);
  temp_dir dir;
  add_seeding(ses, t, dir.path);

  asio::io_context io;
  tcp::socket client(io);
  const tcp::endpoint listen(asio::ip::make_address("127.0.0.2"), ses.listen_port());
  client.connect(listen);
  std::vector<std::uint8_t> out;
  wire::write_handshake(out, {{}, t.ti->info_hash().best(), make_peer_id("TOSX")});
  asio::write(client, asio::buffer(out));
  // The session answers with its handshake once the connection is adopted.
  std::array<std::uint8_t, wire::handshake_length> reply{};
  boost::system::error_code ec;
  asio::read(client, asio::buffer(reply), ec);
  EXPECT_FALSE(ec) << ec.message();
  return wait_for_tos(listen, client.local_endpoint());
}

TEST(PeerTos, AcceptedPeerSocketCarriesTheConfiguredTos) {
  auto tos = tos_of_accepted(0x20);  // DSCP CS1
  ASSERT_TRUE(tos);
  EXPECT_EQ(*tos, 0x20);
}

TEST(PeerTos, ZeroLeavesTheSocketsTosAtTheDefault) {
  auto tos = tos_of_accepted(0);
  ASSERT_TRUE(tos);
  EXPECT_EQ(*tos, 0);
}

TEST(PeerTos, OutgoingPeerSocketIsMarkedAndBoundToTheListenInterface) {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto target = acceptor.local_endpoint();

  auto settings = loopback_settings("127.0.0.3");
  settings.peer_tos = 0xb8;  // DSCP EF
  session ses(settings);
  auto t = make_torrent(6);
  temp_dir dir;
  add_torrent_params p;
  p.ti = t.ti;
  p.save_path = dir.path;  // nothing there: the torrent downloads and dials its peers
  p.peers = {endpoint_of("127.0.0.1", target.port())};
  ASSERT_TRUE(ses.add_torrent(p));

  tcp::socket accepted(io);
  acceptor.async_accept(accepted, [](const boost::system::error_code&) {});
  io.run_for(5s);
  ASSERT_TRUE(accepted.is_open());
  const auto from = accepted.remote_endpoint();
  EXPECT_EQ(from.address(), asio::ip::make_address("127.0.0.3"));  // bound to the listen interface
  auto tos = wait_for_tos(from, target);
  ASSERT_TRUE(tos);
  EXPECT_EQ(*tos, 0xb8);
}

}  // namespace
}  // namespace tessera
