// libFuzzer target for the MSE/PE handshake (core/mse_handshake). The first byte picks the mode:
//  - 0, 1: the rest, cut into reads of sizes the input chooses, goes to a responder (0) or an
//    initiator (1), as a hostile peer would send it;
//  - 2: our initiator and responder run against each other with pads, zero pads, crypto_provide,
//    the responder's policy, the initial payload and the read sizes chosen by the input, and at
//    most one byte of either direction flipped at a position the input chooses.
// Whatever the bytes: a failure sticks (the same error again), what a side sends stays within
// the handshake's bounds, a side that finishes names a torrent of the session; an unchanged run
// succeeds exactly when the policy allows, with the same method, SKEY and initial payload on
// both sides and the stream after it decrypting both ways.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/mse_handshake.hpp"
#include "fuzz_support.hpp"
#include "tessera/hasher.hpp"

namespace {

using namespace tessera;
using namespace tessera::detail;
using bytes = std::vector<std::uint8_t>;

const sha1_hash& torrent() {
  static const sha1_hash h = sha1("fuzz torrent");
  return h;
}

const mse_skey_map& session() {
  static const mse_skey_map m = [] {
    mse_skey_map out;
    add_mse_skeys(out, info_hash_t::from_v1(torrent()));
    return out;
  }();
  return m;
}

mse_secrets secrets(std::uint8_t seed, std::size_t pad, std::uint16_t zero_pad) {
  mse_secrets s;
  for (std::size_t i = 0; i < s.private_key.size(); ++i) s.private_key[i] = static_cast<std::uint8_t>(seed + 3 * i + 1);
  s.pad.assign(pad, static_cast<std::uint8_t>(seed ^ 0x5a));
  s.zero_pad_length = zero_pad;
  return s;
}

// Most bytes one side may send during the handshake: Y, pad, step 3 or 4 with PadC/PadD, IA.
constexpr std::size_t max_handshake_output = 96 + mse_max_pad + 40 + 14 + mse_max_pad + 2 + max_initial_payload;

template <class Side>
void feed_raw(Side& side, tessera::fuzz::byte_reader& in) {
  std::size_t sent = side.take_output().size();
  std::error_code failed;
  while (!in.empty()) {
    const std::string_view chunk = in.bytes(static_cast<std::size_t>(in.range(1, 700)));
    const auto ec = side.receive(std::span(reinterpret_cast<const std::uint8_t*>(chunk.data()), chunk.size()));
    if (failed) FUZZ_CHECK(ec == failed);
    if (ec) failed = ec;
    sent += side.take_output().size();
    FUZZ_CHECK(sent <= max_handshake_output);
    if (side.done()) {
      FUZZ_CHECK(!failed);
      FUZZ_CHECK(side.take_result().skey == torrent());
      return;
    }
  }
}

void run_pair(tessera::fuzz::byte_reader& in) {
  const std::size_t pad_a = static_cast<std::size_t>(in.range(0, mse_max_pad));
  const std::size_t pad_b = static_cast<std::size_t>(in.range(0, mse_max_pad));
  const auto zero_c = static_cast<std::uint16_t>(in.range(0, mse_max_pad));
  const auto zero_d = static_cast<std::uint16_t>(in.range(0, mse_max_pad));
  const std::uint32_t provide = static_cast<std::uint32_t>(in.range(1, 3));
  const auto mode = static_cast<encryption_mode>(in.range(0, 2));
  const bytes ia(static_cast<std::size_t>(in.range(0, 300)), 0x13);
  const int flip_dir = in.range(0, 2);  // 0: none, 1: A->B, 2: B->A
  const std::size_t flip_at = in.u16();
  const std::uint8_t flip_mask = static_cast<std::uint8_t>(in.range(1, 255));

  auto a = mse_initiator::create(torrent(), provide, ia, secrets(1, pad_a, zero_c));
  auto b = mse_responder::create(session(), mode, secrets(2, pad_b, zero_d));
  FUZZ_CHECK(a && b);
  bytes to_b = a->take_output(), to_a;
  std::size_t b_at = 0, a_at = 0, sent_to_b = 0, sent_to_a = 0;
  std::error_code ea, eb;
  bool flipped = false;
  auto cut = [&](bytes& q, std::size_t& at, std::size_t& sent_total, int dir) {
    const std::size_t n = std::min(q.size() - at, static_cast<std::size_t>(in.range(1, 800)));
    bytes piece(q.begin() + static_cast<std::ptrdiff_t>(at), q.begin() + static_cast<std::ptrdiff_t>(at + n));
    if (flip_dir == dir && flip_at >= sent_total && flip_at < sent_total + n) {
      piece[flip_at - sent_total] ^= flip_mask;
      flipped = true;
    }
    at += n;
    sent_total += n;
    return piece;
  };
  while (!ea && !eb && (b_at < to_b.size() || a_at < to_a.size())) {
    if (b_at < to_b.size() && !b->done()) {
      eb = b->receive(cut(to_b, b_at, sent_to_b, 1));
      const bytes out = b->take_output();
      to_a.insert(to_a.end(), out.begin(), out.end());
    } else {
      b_at = to_b.size();
    }
    if (a_at < to_a.size() && !eb && !a->done()) {
      ea = a->receive(cut(to_a, a_at, sent_to_a, 2));
      const bytes out = a->take_output();
      to_b.insert(to_b.end(), out.begin(), out.end());
    } else if (a->done()) {
      a_at = to_a.size();
    }
  }
  const bool allowed = select_method(mode, provide).has_value();
  if (!flipped) {
    FUZZ_CHECK(a->done() == allowed && b->done() == allowed);
    FUZZ_CHECK(allowed || eb == mse_errc::no_common_method);
  }
  if (!a->done() || !b->done()) return;
  auto ra = a->take_result();
  auto rb = b->take_result();
  FUZZ_CHECK(rb.skey == torrent());
  if (flipped) return;  // a flipped pad byte changes nothing; a flipped stream byte would show below
  FUZZ_CHECK(ra.method == rb.method && ra.method == *select_method(mode, provide));
  FUZZ_CHECK(rb.initial_payload == ia && ra.received.empty() && rb.received.empty());
  bytes msg(100, 0x42), wire = msg;
  ra.cipher.encrypt(wire);
  rb.cipher.decrypt(wire);
  FUZZ_CHECK(wire == msg);
  rb.cipher.encrypt(wire);
  ra.cipher.decrypt(wire);
  FUZZ_CHECK(wire == msg);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tessera::fuzz::byte_reader in(data, size);
  switch (in.u8() % 3) {
    case 0: {
      auto b = mse_responder::create(session(), static_cast<encryption_mode>(in.range(0, 2)), secrets(7, 16, 0));
      FUZZ_CHECK(b.has_value());
      feed_raw(*b, in);
      break;
    }
    case 1: {
      auto a = mse_initiator::create(torrent(), crypto_rc4 | crypto_plaintext, {}, secrets(8, 16, 0));
      FUZZ_CHECK(a.has_value());
      feed_raw(*a, in);
      break;
    }
    default:
      run_pair(in);
  }
  return 0;
}
