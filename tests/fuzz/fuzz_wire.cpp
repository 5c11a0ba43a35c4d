// libFuzzer target for the peer wire codec (BEP 3, BEP 6's fast extension messages and BEP 52's hash messages): the handshake parser and the message decoder
// run over a receive buffer the way a peer connection does. Decoded messages of known types must
// re-encode to exactly the bytes they were decoded from.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <type_traits>
#include <variant>
#include <vector>

#include "core/wire.hpp"

namespace wire = tessera::detail::wire;

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}

/// The encoding of `m`, or nothing for `unknown` (which the codec only skips).
bool reencode(const wire::message& m, std::vector<std::uint8_t>& out) {
  return std::visit(
      [&](const auto& msg) {
        using T = std::decay_t<decltype(msg)>;
        if constexpr (std::is_same_v<T, wire::keep_alive>) wire::write_keep_alive(out);
        else if constexpr (std::is_same_v<T, wire::choke>) wire::write_choke(out);
        else if constexpr (std::is_same_v<T, wire::unchoke>) wire::write_unchoke(out);
        else if constexpr (std::is_same_v<T, wire::interested>) wire::write_interested(out);
        else if constexpr (std::is_same_v<T, wire::not_interested>) wire::write_not_interested(out);
        else if constexpr (std::is_same_v<T, wire::have>) wire::write_have(out, msg.piece);
        else if constexpr (std::is_same_v<T, wire::bitfield>) wire::write_bitfield(out, msg.bits);
        else if constexpr (std::is_same_v<T, wire::request>) wire::write_request(out, msg);
        else if constexpr (std::is_same_v<T, wire::cancel>) wire::write_cancel(out, msg);
        else if constexpr (std::is_same_v<T, wire::port>) wire::write_port(out, msg.port);
        else if constexpr (std::is_same_v<T, wire::suggest_piece>) wire::write_suggest_piece(out, msg.piece);
        else if constexpr (std::is_same_v<T, wire::have_all>) wire::write_have_all(out);
        else if constexpr (std::is_same_v<T, wire::have_none>) wire::write_have_none(out);
        else if constexpr (std::is_same_v<T, wire::reject_request>) wire::write_reject_request(out, msg);
        else if constexpr (std::is_same_v<T, wire::allowed_fast>) wire::write_allowed_fast(out, msg.piece);
        else if constexpr (std::is_same_v<T, wire::extended>) wire::write_extended(out, msg.id, msg.payload);
        else if constexpr (std::is_same_v<T, wire::hash_request_msg>) tessera::detail::write_hash_request(out, msg.request);
        else if constexpr (std::is_same_v<T, wire::hash_reject_msg>) tessera::detail::write_hash_reject(out, msg.request);
        else if constexpr (std::is_same_v<T, wire::hashes_msg>) {
          auto full = tessera::detail::decode_hashes(msg.payload);  // the codec checked the size
          check(full.has_value() && full->request == msg.request);
          tessera::detail::write_hashes(out, *full);
        }
        else if constexpr (std::is_same_v<T, wire::piece>) {
          wire::write_piece_header(out, msg.piece, msg.begin, static_cast<std::int32_t>(msg.data.size()));
          out.insert(out.end(), msg.data.begin(), msg.data.end());
        } else {
          return false;
        }
        return true;
      },
      m);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> in(data, size);

  if (in.size() >= wire::handshake_length) {
    if (auto h = wire::parse_handshake(in)) {
      std::vector<std::uint8_t> out;
      wire::write_handshake(out, *h);
      check(out.size() == wire::handshake_length);
      check(std::equal(out.begin(), out.end(), in.begin()));
    }
  }

  // The first byte picks the length limit, so both small and large limits are exercised.
  std::uint32_t max_length = 16 * 1024 + 9;
  if (!in.empty()) {
    if (in[0] & 1) max_length = in[0] >> 1;
    in = in.subspan(1);
  }
  // Every successful decode consumes at least 4 bytes, so this loop ends; the bound is a backstop.
  for (int i = 0; i < 100000 && !in.empty(); ++i) {
    const wire::decode_result r = wire::decode_message(in, max_length);
    if (r.ec) break;
    if (r.consumed == 0) {
      check(r.needed > in.size());
      break;
    }
    check(r.consumed >= 4 && r.consumed <= in.size());
    std::vector<std::uint8_t> out;
    if (reencode(r.msg, out)) {
      check(out.size() == r.consumed);
      check(std::equal(out.begin(), out.end(), in.begin()));
    }
    in = in.subspan(r.consumed);
  }
  return 0;
}
