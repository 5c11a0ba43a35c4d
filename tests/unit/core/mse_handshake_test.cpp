#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/mse_handshake.hpp"
#include "tessera/hasher.hpp"

namespace tessera::detail {
namespace {

using bytes = std::vector<std::uint8_t>;
using enum encryption_mode;

bytes to_bytes(std::string_view s) { return bytes(s.begin(), s.end()); }
void add(bytes& out, const bytes& more) { out.insert(out.end(), more.begin(), more.end()); }
template <std::size_t N>
void add(bytes& out, const std::array<std::uint8_t, N>& more) { out.insert(out.end(), more.begin(), more.end()); }
void add_u32(bytes& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}
void add_u16(bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

// Deterministic filler (a linear congruential generator): pads and garbage.
bytes junk(std::size_t n, std::uint32_t seed) {
  bytes out(n);
  for (auto& b : out) {
    seed = seed * 1664525u + 1013904223u;
    b = static_cast<std::uint8_t>(seed >> 24);
  }
  return out;
}

dh_private_key key_from(std::uint8_t seed) {
  dh_private_key k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(seed * 13 + i * 29 + 7);
  return k;
}

mse_secrets secrets(std::uint8_t seed, std::size_t pad, std::uint16_t zero_pad) {
  return mse_secrets{key_from(seed), junk(pad, seed), zero_pad};
}

// A plaintext BitTorrent handshake (BEP 3): what the initiator carries as IA.
bytes bt_handshake(const sha1_hash& ih) {
  bytes h = to_bytes("\x13" "BitTorrent protocol");
  h.resize(h.size() + 8, 0);
  add(h, ih.bytes);
  add(h, to_bytes("-TS0001-abcdefghijkl"));
  return h;
}

const sha1_hash torrent_a = sha1("torrent a");
const sha1_hash torrent_b = sha1("torrent b");

mse_skey_map session_map() {
  mse_skey_map m;
  add_mse_skeys(m, info_hash_t::from_v1(torrent_a));
  info_hash_t hybrid;
  hybrid.v1 = torrent_b;
  hybrid.v2 = sha256("torrent b v2");
  add_mse_skeys(m, hybrid);
  return m;
}

// Both sides of a connection in memory, as a transport would run them: bytes delivered `chunk`
// at a time in both directions; once a side is done its result is taken, the BitTorrent bytes
// it has to send (`a_after`, `b_after`) go out through its cipher right behind the handshake,
// and later bytes for it are decrypted through its cipher onto result.received.
struct pair_run {
  std::optional<mse_result> a, b;
  std::error_code a_error, b_error;
  bytes a_sent, b_sent;  // everything each side put on the wire
};

pair_run run_pair(mse_initiator& a, mse_responder& b, std::size_t chunk, const bytes& a_after = {},
                  const bytes& b_after = {}) {
  pair_run r;
  bytes to_b = a.take_output(), to_a = b.take_output();  // whatever the caller did not deliver yet
  r.a_sent = to_b;
  r.b_sent = to_a;
  std::size_t b_at = 0, a_at = 0;
  auto deliver_to_b = [&](std::span<const std::uint8_t> in) {
    if (r.b) {
      bytes copy(in.begin(), in.end());
      r.b->cipher.decrypt(copy);
      add(r.b->received, copy);
      return;
    }
    if (auto ec = b.receive(in)) r.b_error = ec;
    bytes out = b.take_output();
    if (b.done()) {
      r.b = b.take_result();
      bytes p = b_after;
      r.b->cipher.encrypt(p);
      add(out, p);
    }
    add(to_a, out);
    add(r.b_sent, out);
  };
  auto deliver_to_a = [&](std::span<const std::uint8_t> in) {
    if (r.a) {
      bytes copy(in.begin(), in.end());
      r.a->cipher.decrypt(copy);
      add(r.a->received, copy);
      return;
    }
    if (auto ec = a.receive(in)) r.a_error = ec;
    bytes out = a.take_output();
    if (a.done()) {
      r.a = a.take_result();
      bytes p = a_after;
      r.a->cipher.encrypt(p);
      add(out, p);
    }
    add(to_b, out);
    add(r.a_sent, out);
  };
  while ((b_at < to_b.size() || a_at < to_a.size()) && !r.a_error && !r.b_error) {
    if (b_at < to_b.size()) {
      const std::size_t n = std::min(chunk, to_b.size() - b_at);
      const bytes piece(to_b.begin() + static_cast<std::ptrdiff_t>(b_at), to_b.begin() + static_cast<std::ptrdiff_t>(b_at + n));
      b_at += n;
      deliver_to_b(piece);
    }
    if (a_at < to_a.size() && !r.b_error) {
      const std::size_t n = std::min(chunk, to_a.size() - a_at);
      const bytes piece(to_a.begin() + static_cast<std::ptrdiff_t>(a_at), to_a.begin() + static_cast<std::ptrdiff_t>(a_at + n));
      a_at += n;
      deliver_to_a(piece);
    }
  }
  return r;
}

mse_initiator make_initiator(const sha1_hash& skey, std::uint32_t provide, const bytes& ia, mse_secrets s) {
  auto a = mse_initiator::create(skey, provide, ia, std::move(s));
  EXPECT_TRUE(a) << a.error().message();
  return std::move(*a);
}

mse_responder make_responder(const mse_skey_map& m, encryption_mode mode, mse_secrets s) {
  auto b = mse_responder::create(m, mode, std::move(s));
  EXPECT_TRUE(b) << b.error().message();
  return std::move(*b);
}

// Checks that bytes each side sends through its cipher after the handshake reach the other
// side decrypted, both ways.
void check_stream_both_ways(mse_result& a, mse_result& b) {
  bytes from_a = to_bytes("a piece message from the initiator");
  bytes wire = from_a;
  a.cipher.encrypt(wire);
  EXPECT_EQ(wire != from_a, a.method == mse_method::rc4);
  b.cipher.decrypt(wire);
  EXPECT_EQ(wire, from_a);
  bytes from_b = junk(16384, 99);
  wire = from_b;
  b.cipher.encrypt(wire);
  a.cipher.decrypt(wire);
  EXPECT_EQ(wire, from_b);
}

// ---- both sides ours: every policy pair ----

struct pair_case {
  encryption_mode out, in;
  bool connects;
  mse_method method;  // when it connects
  bool uses_mse;
};

TEST(MseHandshake, EveryPolicyPairConnectsWithTheExpectedMethodOrFails) {
  const pair_case cases[] = {
      {disabled, disabled, true, mse_method::plaintext, false},
      {disabled, enabled, true, mse_method::plaintext, false},
      {disabled, forced, false, mse_method::plaintext, false},
      {enabled, disabled, true, mse_method::plaintext, true},
      {enabled, enabled, true, mse_method::rc4, true},
      {enabled, forced, true, mse_method::rc4, true},
      {forced, disabled, true, mse_method::rc4, true},
      {forced, enabled, true, mse_method::rc4, true},
      {forced, forced, true, mse_method::rc4, true},
  };
  const auto m = session_map();
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(to_transmission(c.out)) + " -> " + std::string(to_transmission(c.in)));
    const auto out = outgoing_for(c.out);
    ASSERT_EQ(out.use_mse, c.uses_mse);
    if (!out.use_mse) {
      // The transport sends a plaintext BitTorrent handshake; the listener tells it from MSE.
      const bytes hs = bt_handshake(torrent_a);
      ASSERT_EQ(classify_incoming(hs), incoming_handshake::bittorrent);
      const auto ec = check_plaintext_allowed(c.in);
      EXPECT_EQ(!ec, c.connects);
      if (ec) {
        EXPECT_EQ(ec, mse_errc::plaintext_refused);
      }
      continue;
    }
    auto a = make_initiator(torrent_a, out.crypto_provide, bt_handshake(torrent_a), secrets(1, 40, 0));
    auto b = make_responder(m, c.in, secrets(2, 70, 0));
    const bytes first = a.take_output();
    EXPECT_EQ(classify_incoming(first), incoming_handshake::mse);
    ASSERT_FALSE(b.receive(first));
    auto r = run_pair(a, b, 1 << 20);
    ASSERT_FALSE(r.a_error) << r.a_error.message();
    ASSERT_FALSE(r.b_error) << r.b_error.message();
    ASSERT_TRUE(r.a && r.b);
    EXPECT_EQ(r.a->method, c.method);
    EXPECT_EQ(r.b->method, c.method);
    EXPECT_EQ(r.b->skey, torrent_a);
    EXPECT_EQ(r.b->initial_payload, bt_handshake(torrent_a));
    check_stream_both_ways(*r.a, *r.b);
  }
}

struct pad_case {
  std::size_t pad;
  std::uint16_t zero_pad;
  std::size_t chunk;
};

TEST(MseHandshake, CarriesInitialPayloadAndStreamWithAnyPadsAndAnySplit) {
  const auto m = session_map();
  const pad_case cases[] = {{0, 0, 1 << 20}, {0, 0, 1}, {512, 512, 1 << 20}, {512, 512, 1}, {511, 1, 7}, {3, 300, 97}};
  for (const auto& c : cases) {
    SCOPED_TRACE("pad " + std::to_string(c.pad) + " zero pad " + std::to_string(c.zero_pad) + " chunk " +
                 std::to_string(c.chunk));
    auto a = make_initiator(torrent_b, crypto_rc4, bt_handshake(torrent_b), secrets(3, c.pad, c.zero_pad));
    auto b = make_responder(m, enabled, secrets(4, c.pad, c.zero_pad));
    const bytes a_after = to_bytes("interested, then a request");
    const bytes b_after = bt_handshake(torrent_b);
    auto r = run_pair(a, b, c.chunk, a_after, b_after);
    ASSERT_FALSE(r.a_error) << r.a_error.message();
    ASSERT_FALSE(r.b_error) << r.b_error.message();
    ASSERT_TRUE(r.a && r.b);
    EXPECT_EQ(r.a->method, mse_method::rc4);
    EXPECT_EQ(r.b->skey, torrent_b);
    EXPECT_EQ(r.a->skey, torrent_b);
    EXPECT_EQ(r.b->initial_payload, bt_handshake(torrent_b));
    EXPECT_TRUE(r.a->initial_payload.empty());
    EXPECT_EQ(r.a->received, b_after);
    EXPECT_EQ(r.b->received, a_after);
    // The wire: Ya + PadA + 40 + 14 + PadC + 2 + IA + the stream.
    EXPECT_EQ(r.a_sent.size(), 96 + c.pad + 40 + 14 + c.zero_pad + 2 + 68 + a_after.size());
    EXPECT_EQ(r.b_sent.size(), 96 + c.pad + 14 + c.zero_pad + b_after.size());
    check_stream_both_ways(*r.a, *r.b);
  }
}

TEST(MseHandshake, PlaintextSelectedLeavesTheStreamInClear) {
  const auto m = session_map();
  auto a = make_initiator(torrent_a, crypto_rc4 | crypto_plaintext, {}, secrets(5, 10, 0));
  auto b = make_responder(m, disabled, secrets(6, 10, 0));
  const bytes a_after = to_bytes("clear from A"), b_after = to_bytes("clear from B");
  auto r = run_pair(a, b, 5, a_after, b_after);
  ASSERT_TRUE(r.a && r.b);
  EXPECT_EQ(r.a->method, mse_method::plaintext);
  EXPECT_EQ(r.a->cipher.method(), mse_method::plaintext);
  EXPECT_TRUE(r.b->initial_payload.empty());
  EXPECT_EQ(r.a->received, b_after);
  EXPECT_EQ(r.b->received, a_after);
  // The clear text is on the wire as is, after the handshake.
  EXPECT_TRUE(std::equal(a_after.rbegin(), a_after.rend(), r.a_sent.rbegin()));
  EXPECT_TRUE(std::equal(b_after.rbegin(), b_after.rend(), r.b_sent.rbegin()));
}

TEST(MseHandshake, ResponderFindsATorrentByItsTruncatedV2Hash) {
  const auto m = session_map();
  info_hash_t hybrid;
  hybrid.v2 = sha256("torrent b v2");
  auto a = make_initiator(hybrid.v2_truncated(), crypto_rc4, {}, secrets(7, 0, 0));
  auto b = make_responder(m, forced, secrets(8, 0, 0));
  auto r = run_pair(a, b, 1 << 20);
  ASSERT_TRUE(r.b);
  EXPECT_EQ(r.b->skey, hybrid.v2_truncated());
}

TEST(MseHandshake, RandomSecretsWork) {
  const auto m = session_map();
  auto sa = mse_secrets::generate();
  auto sb = mse_secrets::generate();
  EXPECT_LE(sa.pad.size(), mse_max_pad);
  EXPECT_NE(sa.private_key, sb.private_key);
  auto a = make_initiator(torrent_a, crypto_rc4, bt_handshake(torrent_a), std::move(sa));
  auto b = make_responder(m, enabled, std::move(sb));
  auto r = run_pair(a, b, 64);
  ASSERT_TRUE(r.a && r.b);
  check_stream_both_ways(*r.a, *r.b);
}

// ---- one side built by hand from the specification's layout ----

// What the specification says one side computes, from the primitives and SHA-1 directly
// (not through the state machines).
struct spec {
  dh_secret s;
  sha1_hash skey;

  std::string secret() const { return std::string(s.begin(), s.end()); }
  rc4 key(std::string_view label) const {
    auto c = rc4::create(sha1(std::string(label) + secret() + skey.to_bytes()).bytes);
    EXPECT_TRUE(c);
    c->discard(1024);
    return std::move(*c);
  }
  // Step 3 as A sends it; `wrong_key` encrypts with keyB.
  bytes step3(std::uint32_t provide, std::uint16_t pad_c, std::uint16_t ia_length, const bytes& ia,
              bool wrong_key = false) const {
    bytes out;
    add(out, sha1("req1" + secret()).bytes);
    const auto req2 = sha1("req2" + skey.to_bytes());
    const auto req3 = sha1("req3" + secret());
    for (std::size_t i = 0; i < 20; ++i) out.push_back(req2.bytes[i] ^ req3.bytes[i]);
    bytes enc(8, 0);
    add_u32(enc, provide);
    add_u16(enc, pad_c);
    if (pad_c <= mse_max_pad) enc.resize(enc.size() + pad_c, 0);
    add_u16(enc, ia_length);
    add(enc, ia);
    key(wrong_key ? "keyB" : "keyA").apply(enc);
    add(out, enc);
    return out;
  }
  // Step 4 as B sends it, then `payload` in B's stream (RC4-encrypted when select says so).
  bytes step4(std::uint32_t select, std::uint16_t pad_d, const bytes& payload = {}) const {
    bytes enc(8, 0);
    add_u32(enc, select);
    add_u16(enc, pad_d);
    if (pad_d <= mse_max_pad) enc.resize(enc.size() + pad_d, 0);
    const std::size_t head = enc.size();
    add(enc, payload);
    rc4 b = key("keyB");
    b.apply(std::span(enc).first(head));
    if (select == crypto_rc4) b.apply(std::span(enc).subspan(head));
    return enc;
  }
};

std::span<const std::uint8_t, 96> first96(const bytes& b) { return std::span(b).first<96>(); }

TEST(MseLayout, InitiatorBytesFollowTheSpecification) {
  const auto xb = key_from(21);
  auto sa = secrets(20, 5, 3);
  const auto xa = sa.private_key;
  const bytes ia = bt_handshake(torrent_a);
  auto a = make_initiator(torrent_a, crypto_rc4 | crypto_plaintext, ia, std::move(sa));

  // Step 1: Ya (96 bytes, big-endian), then PadA in clear.
  const bytes step1 = a.take_output();
  ASSERT_EQ(step1.size(), 96u + 5u);
  const auto ya = dh_public(xa);
  EXPECT_TRUE(std::equal(ya.begin(), ya.end(), step1.begin()));
  EXPECT_EQ(bytes(step1.begin() + 96, step1.end()), junk(5, 20));

  // Step 2 by hand: Yb only; A answers with step 3 without waiting for PadB.
  const auto yb = dh_public(xb);
  ASSERT_FALSE(a.receive(yb));
  const bytes step3 = a.take_output();
  const spec sp{*dh_shared_secret(xb, ya), torrent_a};
  ASSERT_EQ(step3.size(), 20u + 20u + 8u + 4u + 2u + 3u + 2u + ia.size());
  const auto req1 = sha1("req1" + sp.secret());
  EXPECT_TRUE(std::equal(req1.bytes.begin(), req1.bytes.end(), step3.begin()));
  const auto req2 = sha1("req2" + torrent_a.to_bytes()), req3 = sha1("req3" + sp.secret());
  for (std::size_t i = 0; i < 20; ++i) EXPECT_EQ(step3[20 + i], req2.bytes[i] ^ req3.bytes[i]);
  bytes plain(step3.begin() + 40, step3.end());
  rc4 key_a = sp.key("keyA");
  key_a.apply(plain);
  bytes expect(8, 0);                          // VC
  add_u32(expect, crypto_rc4 | crypto_plaintext);  // crypto_provide
  add_u16(expect, 3);                          // len(PadC)
  expect.resize(expect.size() + 3, 0);         // PadC
  add_u16(expect, static_cast<std::uint16_t>(ia.size()));
  add(expect, ia);
  EXPECT_EQ(plain, expect);

  // PadB, then step 4 selecting RC4 with a PadD, then B's stream, in one read.
  bytes in = junk(7, 5);
  add(in, sp.step4(crypto_rc4, 2, to_bytes("B's handshake")));
  ASSERT_FALSE(a.receive(in));
  ASSERT_TRUE(a.done());
  auto r = a.take_result();
  EXPECT_EQ(r.method, mse_method::rc4);
  EXPECT_EQ(r.received, to_bytes("B's handshake"));
  // A's stream continues keyA's keystream right after IA.
  bytes mine = to_bytes("A's bitfield"), theirs = mine;
  r.cipher.encrypt(mine);
  key_a.apply(theirs);
  EXPECT_EQ(mine, theirs);
}

TEST(MseLayout, ResponderBytesFollowTheSpecification) {
  const auto m = session_map();
  const auto xa = key_from(30);
  auto sb = secrets(31, 9, 4);
  const auto xb = sb.private_key;
  auto b = make_responder(m, enabled, std::move(sb));
  const auto ya = dh_public(xa);
  bytes in(ya.begin(), ya.end());
  add(in, junk(10, 1));  // PadA
  ASSERT_FALSE(b.receive(in));
  const bytes step2 = b.take_output();
  ASSERT_EQ(step2.size(), 96u + 9u);
  const auto yb = dh_public(xb);
  EXPECT_TRUE(std::equal(yb.begin(), yb.end(), step2.begin()));
  EXPECT_EQ(bytes(step2.begin() + 96, step2.end()), junk(9, 31));

  const spec sp{*dh_shared_secret(xa, yb), torrent_a};
  ASSERT_FALSE(b.receive(sp.step3(crypto_rc4 | crypto_plaintext, 4, 5, to_bytes("hello"))));
  ASSERT_TRUE(b.done());
  const bytes step4 = b.take_output();
  bytes plain = step4;
  rc4 key_b = sp.key("keyB");
  key_b.apply(plain);
  bytes expect(8, 0);
  add_u32(expect, crypto_rc4);  // enabled prefers RC4
  add_u16(expect, 4);           // len(PadD) = our zero pad
  expect.resize(expect.size() + 4, 0);
  EXPECT_EQ(plain, expect);
  auto r = b.take_result();
  EXPECT_EQ(r.initial_payload, to_bytes("hello"));
  EXPECT_EQ(r.skey, torrent_a);
  bytes mine = to_bytes("B's stream"), theirs = mine;
  r.cipher.encrypt(mine);
  key_b.apply(theirs);
  EXPECT_EQ(mine, theirs);
}

// ---- hostile peers ----

// A responder that has read a hand-made Ya (and `pad_a`), and the spec side for its secret.
struct hand_initiator {
  mse_responder b;
  spec sp;
};
hand_initiator responder_after_ya(const mse_skey_map& m, encryption_mode mode, const bytes& pad_a = {},
                                  const sha1_hash& skey = torrent_a) {
  auto b = make_responder(m, mode, secrets(41, 20, 0));
  const auto xa = key_from(40);
  const auto ya = dh_public(xa);
  bytes in(ya.begin(), ya.end());
  add(in, pad_a);
  EXPECT_FALSE(b.receive(in));
  const bytes step2 = b.take_output();
  EXPECT_EQ(step2.size(), 96u + 20u);
  return {std::move(b), spec{*dh_shared_secret(xa, first96(step2)), skey}};
}

// An initiator that has read a hand-made Yb, and the spec side.
struct hand_responder {
  mse_initiator a;
  spec sp;
};
hand_responder initiator_after_yb(std::uint32_t provide) {
  auto a = make_initiator(torrent_a, provide, {}, secrets(50, 0, 0));
  const bytes step1 = a.take_output();
  const auto xb = key_from(51);
  const auto yb = dh_public(xb);
  EXPECT_FALSE(a.receive(yb));
  EXPECT_FALSE(a.take_output().empty());  // step 3
  return {std::move(a), spec{*dh_shared_secret(xb, first96(step1)), torrent_a}};
}

TEST(MseHostile, UnknownInfoHashIsRefused) {
  const auto m = session_map();
  auto a = make_initiator(sha1("not in this session"), crypto_rc4, {}, secrets(1, 0, 0));
  auto b = make_responder(m, enabled, secrets(2, 0, 0));
  auto r = run_pair(a, b, 1 << 20);
  EXPECT_EQ(r.b_error, mse_errc::unknown_info_hash);
  EXPECT_FALSE(r.a_error);  // A is still waiting for step 4
  EXPECT_FALSE(r.a);
}

TEST(MseHostile, PadCLongerThan512IsRefused) {
  const auto m = session_map();
  auto h = responder_after_ya(m, enabled);
  EXPECT_EQ(h.b.receive(h.sp.step3(crypto_rc4, 513, 0, {})), mse_errc::bad_pad_length);
  auto ok = responder_after_ya(m, enabled);
  EXPECT_FALSE(ok.b.receive(ok.sp.step3(crypto_rc4, 512, 0, {})));
  EXPECT_TRUE(ok.b.done());
}

TEST(MseHostile, PadDLongerThan512IsRefused) {
  auto h = initiator_after_yb(crypto_rc4);
  EXPECT_EQ(h.a.receive(h.sp.step4(crypto_rc4, 513)), mse_errc::bad_pad_length);
  auto ok = initiator_after_yb(crypto_rc4);
  EXPECT_FALSE(ok.a.receive(ok.sp.step4(crypto_rc4, 512)));
  EXPECT_TRUE(ok.a.done());
}

TEST(MseHostile, Req1MustStartWithin512BytesAfterYa) {
  const auto m = session_map();
  auto at512 = responder_after_ya(m, enabled, junk(512, 3));
  EXPECT_FALSE(at512.b.receive(at512.sp.step3(crypto_rc4, 0, 0, {})));
  EXPECT_TRUE(at512.b.done());

  auto at513 = responder_after_ya(m, enabled, junk(513, 3));
  EXPECT_EQ(at513.b.receive(at513.sp.step3(crypto_rc4, 0, 0, {})), mse_errc::req1_not_found);

  // Without req1: waiting up to 531 bytes, refused at 532 (the whole window seen).
  auto none = responder_after_ya(m, enabled, junk(531, 4));
  EXPECT_FALSE(none.b.done());
  EXPECT_EQ(none.b.receive(junk(1, 5)), mse_errc::req1_not_found);
}

TEST(MseHostile, EncryptedVcMustStartWithin512BytesAfterYb) {
  auto at512 = initiator_after_yb(crypto_rc4);
  bytes in = junk(512, 6);
  add(in, at512.sp.step4(crypto_rc4, 0));
  EXPECT_FALSE(at512.a.receive(in));
  EXPECT_TRUE(at512.a.done());

  auto at513 = initiator_after_yb(crypto_rc4);
  in = junk(513, 6);
  add(in, at513.sp.step4(crypto_rc4, 0));
  EXPECT_EQ(at513.a.receive(in), mse_errc::vc_not_found);

  auto none = initiator_after_yb(crypto_rc4);
  EXPECT_FALSE(none.a.receive(junk(519, 7)));
  EXPECT_EQ(none.a.receive(junk(1, 8)), mse_errc::vc_not_found);
}

TEST(MseHostile, CryptoSelectMustBeOneMethodWeOffered) {
  for (std::uint32_t select : {crypto_plaintext, crypto_rc4 | crypto_plaintext, 0u, 0x04u, 0x80000002u}) {
    auto h = initiator_after_yb(crypto_rc4);
    EXPECT_EQ(h.a.receive(h.sp.step4(select, 0)), mse_errc::bad_crypto_select) << select;
  }
  auto plain = initiator_after_yb(crypto_plaintext | crypto_rc4);
  EXPECT_FALSE(plain.a.receive(plain.sp.step4(crypto_plaintext, 0, to_bytes("clear"))));
  ASSERT_TRUE(plain.a.done());
  EXPECT_EQ(plain.a.take_result().received, to_bytes("clear"));
}

TEST(MseHostile, CryptoProvideWithoutAnAcceptableMethodIsRefused) {
  const auto m = session_map();
  auto forced_b = responder_after_ya(m, forced);
  EXPECT_EQ(forced_b.b.receive(forced_b.sp.step3(crypto_plaintext, 0, 0, {})), mse_errc::no_common_method);
  auto unknown_bits = responder_after_ya(m, enabled);
  EXPECT_EQ(unknown_bits.b.receive(unknown_bits.sp.step3(0x0c, 0, 0, {})), mse_errc::no_common_method);
}

TEST(MseHostile, WrongKeyFailsTheVerificationConstant) {
  const auto m = session_map();
  auto h = responder_after_ya(m, enabled);
  EXPECT_EQ(h.b.receive(h.sp.step3(crypto_rc4, 0, 0, {}, true)), mse_errc::bad_verification_constant);
}

TEST(MseHostile, InitialPayloadIsBounded) {
  const auto m = session_map();
  auto over = responder_after_ya(m, enabled);
  EXPECT_EQ(over.b.receive(over.sp.step3(crypto_rc4, 0, max_initial_payload + 1, {})),
            mse_errc::initial_payload_too_long);
  auto at_limit = responder_after_ya(m, enabled);
  const bytes ia = junk(max_initial_payload, 9);
  EXPECT_FALSE(at_limit.b.receive(at_limit.sp.step3(crypto_rc4, 0, max_initial_payload, ia)));
  ASSERT_TRUE(at_limit.b.done());
  EXPECT_EQ(at_limit.b.take_result().initial_payload, ia);
}

TEST(MseHostile, PublicKeyOutOfRangeIsRefusedBySides) {
  const auto m = session_map();
  const bytes all_ff(96, 0xff);
  auto b = make_responder(m, enabled, secrets(1, 0, 0));
  EXPECT_EQ(b.receive(all_ff), mse_errc::bad_public_key);
  EXPECT_TRUE(b.take_output().empty());
  auto a = make_initiator(torrent_a, crypto_rc4, {}, secrets(2, 0, 0));
  (void)a.take_output();
  EXPECT_EQ(a.receive(bytes(96, 0)), mse_errc::bad_public_key);
}

TEST(MseHostile, TruncatedInputWaitsWithoutError) {
  const auto m = session_map();
  auto a = make_initiator(torrent_a, crypto_rc4, bt_handshake(torrent_a), secrets(1, 100, 10));
  auto b = make_responder(m, enabled, secrets(2, 100, 10));
  auto r = run_pair(a, b, 1 << 20);
  ASSERT_TRUE(r.b);
  // The same bytes to a responder with the same secrets, all but the last: no error, not done,
  // nothing but step 2 sent; the last byte completes it.
  auto b2 = make_responder(m, enabled, secrets(2, 100, 10));
  const bytes& wire = r.a_sent;
  for (std::size_t i = 0; i + 1 < wire.size(); ++i) {
    ASSERT_FALSE(b2.receive(std::span(wire).subspan(i, 1))) << i;
    ASSERT_FALSE(b2.done()) << i;
  }
  EXPECT_EQ(b2.take_output().size(), 96u + 100u);
  EXPECT_FALSE(b2.receive(std::span(wire).last(1)));
  EXPECT_TRUE(b2.done());
}

TEST(MseHostile, GarbageFailsAndTheFailureSticks) {
  const auto m = session_map();
  auto b = make_responder(m, enabled, secrets(1, 0, 0));
  const bytes garbage = junk(4096, 77);
  const auto ec = b.receive(garbage);
  EXPECT_EQ(ec, mse_errc::req1_not_found);
  EXPECT_EQ(b.receive(garbage), ec);
  EXPECT_FALSE(b.done());

  auto a = make_initiator(torrent_a, crypto_rc4, {}, secrets(2, 0, 0));
  EXPECT_EQ(a.receive(garbage), mse_errc::vc_not_found);
  EXPECT_EQ(a.receive(bytes{1}), mse_errc::vc_not_found);
}

TEST(MseHandshake, CreateRefusesBadArguments) {
  const auto m = session_map();
  EXPECT_EQ(mse_initiator::create(torrent_a, 0, {}, secrets(1, 0, 0)).error(), std::errc::invalid_argument);
  EXPECT_EQ(mse_initiator::create(torrent_a, crypto_rc4 | 0x04, {}, secrets(1, 0, 0)).error(),
            std::errc::invalid_argument);
  EXPECT_EQ(mse_initiator::create(torrent_a, crypto_rc4, junk(max_initial_payload + 1, 1), secrets(1, 0, 0)).error(),
            std::errc::invalid_argument);
  EXPECT_EQ(mse_initiator::create(torrent_a, crypto_rc4, {}, secrets(1, 513, 0)).error(), std::errc::invalid_argument);
  EXPECT_EQ(mse_responder::create(m, enabled, secrets(1, 0, 513)).error(), std::errc::invalid_argument);
  EXPECT_EQ(mse_responder::create(m, enabled, mse_secrets{}).error(), std::errc::invalid_argument);
}

TEST(MseHandshake, ResultIsTakenOnce) {
  const auto m = session_map();
  auto a = make_initiator(torrent_a, crypto_rc4, {}, secrets(1, 0, 0));
  auto b = make_responder(m, enabled, secrets(2, 0, 0));
  ASSERT_FALSE(b.receive(a.take_output()));
  ASSERT_FALSE(a.receive(b.take_output()));
  ASSERT_FALSE(b.receive(a.take_output()));
  ASSERT_TRUE(b.done());
  // Bytes arriving before the result is taken join `received`, decrypted.
  ASSERT_FALSE(a.receive(b.take_output()));
  ASSERT_TRUE(a.done());
  auto ra = a.take_result();
  bytes more = to_bytes("late");
  ra.cipher.encrypt(more);
  ASSERT_FALSE(b.receive(more));
  EXPECT_EQ(b.take_result().received, to_bytes("late"));
  EXPECT_EQ(b.receive(more), std::errc::invalid_argument);
}

// ---- incoming connections ----

TEST(IncomingHandshake, TellsPlaintextBitTorrentFromMse) {
  const bytes hs = bt_handshake(torrent_a);
  EXPECT_EQ(classify_incoming({}), incoming_handshake::need_more);
  EXPECT_EQ(classify_incoming(std::span(hs).first(1)), incoming_handshake::need_more);
  EXPECT_EQ(classify_incoming(std::span(hs).first(19)), incoming_handshake::need_more);
  EXPECT_EQ(classify_incoming(std::span(hs).first(20)), incoming_handshake::bittorrent);
  EXPECT_EQ(classify_incoming(hs), incoming_handshake::bittorrent);
  EXPECT_EQ(classify_incoming(bytes{0x14}), incoming_handshake::mse);
  bytes almost = hs;
  almost[19] = 'X';
  EXPECT_EQ(classify_incoming(almost), incoming_handshake::mse);
  EXPECT_EQ(classify_incoming(std::span(almost).first(19)), incoming_handshake::need_more);
  EXPECT_EQ(classify_incoming(junk(96, 3)), incoming_handshake::mse);
  EXPECT_FALSE(check_plaintext_allowed(disabled));
  EXPECT_FALSE(check_plaintext_allowed(enabled));
  EXPECT_EQ(check_plaintext_allowed(forced), mse_errc::plaintext_refused);
}

}  // namespace
}  // namespace tessera::detail
