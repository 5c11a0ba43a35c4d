// BEP 52 hash requests answered by a seeding session: a raw peer on loopback asks a v2-only
// torrent for its piece layer and for one piece's block hashes, and verifies each answer against
// the file's pieces root; a request for an unknown root is rejected, the connection stays open.
#include <sys/socket.h>

#include <fstream>
#include <optional>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "../support/v2_test_torrent.hpp"
#include "core/hash_messages.hpp"
#include "core/wire.hpp"
#include "session_test_support.hpp"

namespace tessera {
namespace {

using namespace test;
namespace asio = boost::asio;
using asio::ip::tcp;
namespace wire = detail::wire;
using detail::hash_request;

/// A blocking socket that sends requests and reads the answers (each read bounded to 5 s).
struct hash_client {
  asio::io_context io;
  tcp::socket s{io};

  bool connect(std::uint16_t port, const sha1_hash& ih) {
    boost::system::error_code ec;
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    if (ec) return false;
    timeval tv{5, 0};
    ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    wire::handshake h{{}, ih, {}};
    h.reserved[7] |= 0x10;  // BEP 52
    h.id.bytes.fill('v');
    std::vector<std::uint8_t> out;
    wire::write_handshake(out, h);
    asio::write(s, asio::buffer(out), ec);
    std::vector<std::uint8_t> in(wire::handshake_length);
    asio::read(s, asio::buffer(in), ec);
    return !ec && wire::parse_handshake(in).has_value();
  }
  void send_request(const hash_request& r) {
    std::vector<std::uint8_t> out;
    detail::write_hash_request(out, r);
    boost::system::error_code ec;
    asio::write(s, asio::buffer(out), ec);
  }
  /// The next `hashes` or `hash reject` (other messages skipped): {hashes, nullopt} or {nullopt,
  /// rejected request}; both empty on EOF or time-out.
  std::pair<std::optional<detail::hashes_message>, std::optional<hash_request>> answer() {
    for (int i = 0; i < 100; ++i) {
      std::vector<std::uint8_t> frame(4);
      boost::system::error_code ec;
      asio::read(s, asio::buffer(frame), ec);
      if (ec) return {};
      const std::uint32_t len = (std::uint32_t{frame[0]} << 24) | (frame[1] << 16) | (frame[2] << 8) | frame[3];
      frame.resize(4 + len);
      if (len > 0) asio::read(s, asio::buffer(frame.data() + 4, len), ec);
      if (ec) return {};
      const auto m = wire::decode_message(frame, 1 << 20);
      if (const auto* h = std::get_if<wire::hashes_msg>(&m.msg)) {
        auto full = detail::decode_hashes(h->payload);
        if (full) return {*full, std::nullopt};
        return {};
      }
      if (const auto* r = std::get_if<wire::hash_reject_msg>(&m.msg)) return {std::nullopt, r->request};
    }
    return {};
  }
};

TEST(V2HashesSession, ASeedAnswersPieceLayerAndBlockHashRequests) {
  constexpr std::int64_t piece = 64 * 1024;  // 4 blocks a piece: piece layer 2
  auto t = test_support::make_v2_torrent({test_support::random_bytes(9 * piece + 5000, 5),
                                          test_support::random_bytes(3000, 6)},
                                         piece, false, true);
  temp_dir dir;
  for (const auto& f : t.ti.files()) {
    if (f.pad) continue;
    std::filesystem::create_directories((dir.path / f.path).parent_path());
    std::ofstream out(dir.path / f.path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(t.stream.data() + f.offset), f.size);
  }
  session ses(loopback_settings("127.0.0.1"));
  add_torrent_params p;
  p.ti = std::make_shared<torrent_info>(t.ti);
  p.save_path = dir.path;
  auto h = add_checked(ses, std::move(p));
  auto st = wait_for_status(h, is_settled);
  ASSERT_TRUE(st);
  ASSERT_EQ(st->state, torrent_state::seeding);

  const auto& file = t.ti.files()[0];
  const std::int64_t blocks = (file.size + block_size - 1) / block_size;  // 37: tree height 6
  const int height = merkle::tree_height(blocks);
  hash_client c;
  ASSERT_TRUE(c.connect(ses.listen_port(), t.ti.info_hash().best()));

  // The piece layer (layer 2, 16 nodes wide), whole: it folds to the root.
  const hash_request layer{file.pieces_root, 2, 0, 16, 3};
  c.send_request(layer);
  auto a = c.answer();
  ASSERT_TRUE(a.first) << "no hashes for the piece layer";
  auto v = detail::verify_hashes(*a.first, blocks, file.pieces_root);
  ASSERT_TRUE(v) << v.error().message();
  EXPECT_EQ(std::vector<sha256_hash>(v->base.begin(), v->base.begin() + 10), t.ti.piece_layers().at(file.pieces_root));

  // Piece 3's block hashes (read back from disk), proved up to the root.
  const hash_request blocks_of_3{file.pieces_root, 0, 12, 4, height - 1};
  c.send_request(blocks_of_3);
  a = c.answer();
  ASSERT_TRUE(a.first) << "no hashes for piece 3's blocks";
  v = detail::verify_hashes(*a.first, blocks, file.pieces_root);
  ASSERT_TRUE(v) << v.error().message();
  const auto expected = test_support::sha256_blocks(std::span(t.stream).subspan(static_cast<std::size_t>(3 * piece),
                                                                                static_cast<std::size_t>(piece)));
  EXPECT_EQ(v->base, expected);

  // An unknown root: rejected.
  hash_request unknown = layer;
  unknown.pieces_root.bytes[0] ^= 0xff;
  c.send_request(unknown);
  a = c.answer();
  ASSERT_TRUE(a.second) << "no reject for an unknown root";
  EXPECT_EQ(*a.second, unknown);
}

}  // namespace
}  // namespace tessera
