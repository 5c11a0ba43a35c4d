// run_incoming_handshake: classify, MSE responder, the BitTorrent handshake through the cipher.
#include "session/incoming_handshake.hpp"

#include <array>
#include <vector>

namespace tessera::detail {

namespace {

/// Reads once from `stream` and appends what came to `buf`.
boost::asio::awaitable<boost::system::error_code> read_more(peer_stream& stream, std::vector<std::uint8_t>& buf) {
  std::array<std::uint8_t, 4096> tmp{};
  auto [ec, n] = co_await stream.read_some(tmp);
  buf.insert(buf.end(), tmp.begin(), tmp.begin() + static_cast<std::ptrdiff_t>(n));
  co_return ec;
}

/// `buf` starts with the plaintext (decrypted) BitTorrent stream: reads until the 68-byte
/// handshake is complete, parses it, and gives the bytes after it back to the stream.
boost::asio::awaitable<result<wire::handshake>> finish_handshake(peer_stream& stream, std::vector<std::uint8_t> buf) {
  while (buf.size() < wire::handshake_length) {
    if (const auto ec = co_await read_more(stream, buf)) co_return unexpected{std::error_code(ec)};
  }
  auto h = wire::parse_handshake(std::span<const std::uint8_t>(buf).first(wire::handshake_length));
  if (!h) co_return unexpected{h.error()};
  stream.push_received(std::span<const std::uint8_t>(buf).subspan(wire::handshake_length));
  co_return *h;
}

}  // namespace

boost::asio::awaitable<result<wire::handshake>> run_incoming_handshake(peer_stream& stream,
                                                                       incoming_handshake_context ctx) {
  std::vector<std::uint8_t> buf;
  auto kind = incoming_handshake::need_more;
  while (kind == incoming_handshake::need_more) {
    if (const auto ec = co_await read_more(stream, buf)) co_return unexpected{std::error_code(ec)};
    kind = classify_incoming(buf);
  }
  if (kind == incoming_handshake::bittorrent) {
    if (const auto ec = check_plaintext_allowed(ctx.policy)) co_return unexpected{ec};
    co_return co_await finish_handshake(stream, std::move(buf));
  }
  // MSE. The Diffie-Hellman computation (when Ya is in) is what a flood would burn CPU on.
  if (ctx.allow_dh && !ctx.allow_dh()) {
    co_return unexpected{std::make_error_code(std::errc::resource_unavailable_try_again)};
  }
  static const mse_skey_map no_keys;
  auto responder = mse_responder::create(ctx.skeys ? *ctx.skeys : no_keys, ctx.policy, mse_secrets::generate());
  if (!responder) co_return unexpected{responder.error()};
  std::vector<std::uint8_t> in = std::move(buf);
  for (;;) {
    if (const auto mec = responder->receive(in)) co_return unexpected{mec};
    in.clear();
    const auto out = responder->take_output();
    if (!out.empty()) {
      auto [wec, n] = co_await stream.write(out);
      if (wec) co_return unexpected{std::error_code(wec)};
    }
    if (responder->done()) break;
    if (const auto ec = co_await read_more(stream, in)) co_return unexpected{std::error_code(ec)};
  }
  auto r = responder->take_result();
  stream.set_cipher(std::move(r.cipher));
  std::vector<std::uint8_t> plain = std::move(r.initial_payload);
  plain.insert(plain.end(), r.received.begin(), r.received.end());
  auto h = co_await finish_handshake(stream, std::move(plain));
  if (h && h->info_hash != r.skey) co_return unexpected{std::make_error_code(std::errc::protocol_error)};
  co_return h;
}

}  // namespace tessera::detail
