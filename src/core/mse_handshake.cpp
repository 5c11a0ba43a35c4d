// The MSE handshake state machines. Each receive() appends to an input buffer and runs advance()
// until it needs more bytes; what it needs at any point is bounded (a public key, a search
// window of pad + pattern, a fixed field, at most max_initial_payload), so the buffer is too.
#include "core/mse_handshake.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>
#include <string_view>

namespace tessera::detail {

namespace {

constexpr std::size_t vc_bytes = 8;
constexpr std::string_view bittorrent_protocol = "\x13" "BitTorrent protocol";

void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}
void put_u16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
std::uint32_t get_u32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}
std::uint16_t get_u16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }

void append(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

bool secrets_valid(const mse_secrets& s) {
  return s.pad.size() <= mse_max_pad && s.zero_pad_length <= mse_max_pad &&
         std::any_of(s.private_key.begin(), s.private_key.end(), [](std::uint8_t b) { return b != 0; });
}

// Writes ENCRYPT(VC, crypto, len(pad), pad zeros) with `enc`: the common head of steps 3 and 4.
void put_encrypted_head(std::vector<std::uint8_t>& out, rc4& enc, std::uint32_t crypto, std::uint16_t pad) {
  const std::size_t start = out.size();
  out.resize(out.size() + vc_bytes, 0);
  put_u32(out, crypto);
  put_u16(out, pad);
  out.resize(out.size() + pad, 0);
  enc.apply(std::span(out).subspan(start));
}

// Where `pattern` starts in `window` when it starts at offset 0..mse_max_pad; nullopt if not
// there (yet).
template <std::size_t N>
std::optional<std::size_t> find_sync(std::span<const std::uint8_t> window, const std::array<std::uint8_t, N>& pattern) {
  window = window.first(std::min(window.size(), mse_max_pad + N));
  const auto it = std::search(window.begin(), window.end(), pattern.begin(), pattern.end());
  if (it == window.end()) return std::nullopt;
  return static_cast<std::size_t>(it - window.begin());
}

// Drops the consumed prefix of `in` once it is worth the move.
void compact(std::vector<std::uint8_t>& in, std::size_t& pos) {
  if (pos == 0) return;
  in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(pos));
  pos = 0;
}

}  // namespace

mse_secrets mse_secrets::generate() {
  mse_secrets s;
  std::array<std::uint8_t, 2> len{};
  do {
    if (RAND_bytes(s.private_key.data(), static_cast<int>(s.private_key.size())) != 1) {
      throw std::runtime_error("OpenSSL RAND_bytes failed");
    }
  } while (std::all_of(s.private_key.begin(), s.private_key.end(), [](std::uint8_t b) { return b == 0; }));
  if (RAND_bytes(len.data(), static_cast<int>(len.size())) != 1) throw std::runtime_error("OpenSSL RAND_bytes failed");
  s.pad.resize(get_u16(len.data()) % (mse_max_pad + 1));
  if (!s.pad.empty() && RAND_bytes(s.pad.data(), static_cast<int>(s.pad.size())) != 1) {
    throw std::runtime_error("OpenSSL RAND_bytes failed");
  }
  return s;
}

void add_mse_skeys(mse_skey_map& m, const info_hash_t& ih) {
  if (ih.has_v1()) m.emplace(mse_req2(ih.v1), ih.v1);
  if (ih.has_v2()) m.emplace(mse_req2(ih.v2_truncated()), ih.v2_truncated());
}

// ---- initiator ----

result<mse_initiator> mse_initiator::create(const sha1_hash& skey, std::uint32_t crypto_provide,
                                            std::span<const std::uint8_t> initial_payload, mse_secrets secrets) {
  if (auto ec = rc4_available()) return unexpected{ec};
  const std::uint32_t known = crypto_plaintext | crypto_rc4;
  if ((crypto_provide & known) == 0 || (crypto_provide & ~known) != 0 ||
      initial_payload.size() > max_initial_payload || !secrets_valid(secrets)) {
    return unexpected{std::make_error_code(std::errc::invalid_argument)};
  }
  mse_initiator a;
  a.skey_ = skey;
  a.provide_ = crypto_provide;
  a.ia_.assign(initial_payload.begin(), initial_payload.end());
  a.secrets_ = std::move(secrets);
  append(a.out_, dh_public(a.secrets_.private_key));  // step 1: Ya, PadA
  append(a.out_, a.secrets_.pad);
  return a;
}

template <class Role>
std::error_code mse_receive(Role& role, std::span<const std::uint8_t> data) {
  using state = typename Role::state;
  if (role.state_ == state::failed) return role.error_;
  if (role.state_ == state::done) {
    const std::size_t start = role.result_.received.size();
    append(role.result_.received, data);
    role.result_.cipher.decrypt(std::span(role.result_.received).subspan(start));
    return {};
  }
  append(role.in_, data);
  if (auto ec = role.advance()) {
    role.error_ = ec;
    role.state_ = state::failed;
    role.in_.clear();
    role.pos_ = 0;
    return ec;
  }
  compact(role.in_, role.pos_);
  return {};
}

std::error_code mse_initiator::receive(std::span<const std::uint8_t> data) { return mse_receive(*this, data); }

std::error_code mse_initiator::advance() {
  for (;;) {
    const std::span<std::uint8_t> avail = std::span(in_).subspan(pos_);
    switch (state_) {
      case state::read_y: {
        if (avail.size() < dh_key_bytes) return {};
        auto s = dh_shared_secret(secrets_.private_key, avail.first<dh_key_bytes>());
        if (!s) return s.error();
        pos_ += dh_key_bytes;
        auto enc = rc4::mse(mse_key("keyA", *s, skey_));
        auto dec = rc4::mse(mse_key("keyB", *s, skey_));
        if (!enc) return enc.error();
        if (!dec) return dec.error();
        enc_.emplace(std::move(*enc));
        dec_.emplace(std::move(*dec));
        // Step 3: HASH('req1', S), HASH('req2', SKEY) xor HASH('req3', S),
        // ENCRYPT(VC, crypto_provide, len(PadC), PadC, len(IA)), ENCRYPT(IA).
        append(out_, mse_hash("req1", *s).bytes);
        const sha1_hash req2 = mse_req2(skey_);
        const sha1_hash req3 = mse_hash("req3", *s);
        for (std::size_t i = 0; i < req2.bytes.size(); ++i) out_.push_back(req2.bytes[i] ^ req3.bytes[i]);
        put_encrypted_head(out_, *enc_, provide_, secrets_.zero_pad_length);
        const std::size_t ia_start = out_.size();
        put_u16(out_, static_cast<std::uint16_t>(ia_.size()));
        append(out_, ia_);
        enc_->apply(std::span(out_).subspan(ia_start));
        // B's step 4 begins with ENCRYPT(VC) under keyB: the pattern searched for, and the
        // first 8 bytes of B's keystream consumed.
        vc_pattern_.fill(0);
        dec_->apply(vc_pattern_);
        state_ = state::sync_vc;
        break;
      }
      case state::sync_vc: {
        const auto at = find_sync(avail, vc_pattern_);
        if (!at) {
          if (avail.size() >= mse_max_pad + vc_bytes) return make_error_code(mse_errc::vc_not_found);
          return {};
        }
        pos_ += *at + vc_bytes;
        state_ = state::read_select;
        break;
      }
      case state::read_select: {
        if (avail.size() < 6) return {};
        dec_->apply(avail.first(6));
        const std::uint32_t select = get_u32(avail.data());
        const std::uint16_t pad = get_u16(avail.data() + 4);
        pos_ += 6;
        if ((select != crypto_plaintext && select != crypto_rc4) || (select & provide_) == 0) {
          return make_error_code(mse_errc::bad_crypto_select);
        }
        if (pad > mse_max_pad) return make_error_code(mse_errc::bad_pad_length);
        result_.method = select == crypto_rc4 ? mse_method::rc4 : mse_method::plaintext;
        pad_left_ = pad;
        state_ = state::skip_pad;
        break;
      }
      case state::skip_pad: {
        const std::size_t n = std::min(avail.size(), pad_left_);
        dec_->apply(avail.first(n));  // PadD: its content means nothing, its keystream counts
        pos_ += n;
        pad_left_ -= n;
        if (pad_left_ > 0) return {};
        finish();
        return {};
      }
      case state::done:
      case state::failed:
        return {};
    }
  }
}

void mse_initiator::finish() {
  result_.skey = skey_;
  if (result_.method == mse_method::rc4) result_.cipher = stream_cipher(std::move(*enc_), std::move(*dec_));
  enc_.reset();
  dec_.reset();
  result_.received.assign(in_.begin() + static_cast<std::ptrdiff_t>(pos_), in_.end());
  result_.cipher.decrypt(result_.received);
  in_.clear();
  pos_ = 0;
  ia_.clear();
  state_ = state::done;
}

mse_result mse_initiator::take_result() {
  error_ = std::make_error_code(std::errc::invalid_argument);
  state_ = state::failed;
  return std::move(result_);
}

// ---- responder ----

result<mse_responder> mse_responder::create(const mse_skey_map& skeys, encryption_mode incoming, mse_secrets secrets) {
  if (auto ec = rc4_available()) return unexpected{ec};
  if (!secrets_valid(secrets)) return unexpected{std::make_error_code(std::errc::invalid_argument)};
  mse_responder b;
  b.skeys_ = &skeys;
  b.mode_ = incoming;
  b.secrets_ = std::move(secrets);
  return b;
}

std::error_code mse_responder::receive(std::span<const std::uint8_t> data) { return mse_receive(*this, data); }

std::error_code mse_responder::advance() {
  for (;;) {
    const std::span<std::uint8_t> avail = std::span(in_).subspan(pos_);
    switch (state_) {
      case state::read_y: {
        if (avail.size() < dh_key_bytes) return {};
        auto s = dh_shared_secret(secrets_.private_key, avail.first<dh_key_bytes>());
        if (!s) return s.error();
        pos_ += dh_key_bytes;
        secret_ = *s;
        req1_ = mse_hash("req1", secret_);
        req3_ = mse_hash("req3", secret_);
        append(out_, dh_public(secrets_.private_key));  // step 2: Yb, PadB
        append(out_, secrets_.pad);
        state_ = state::sync_req1;
        break;
      }
      case state::sync_req1: {
        const auto at = find_sync(avail, req1_.bytes);
        if (!at) {
          if (avail.size() >= mse_max_pad + req1_.bytes.size()) return make_error_code(mse_errc::req1_not_found);
          return {};
        }
        pos_ += *at + req1_.bytes.size();
        state_ = state::read_skey;
        break;
      }
      case state::read_skey: {
        if (avail.size() < 20) return {};
        sha1_hash req2;
        for (std::size_t i = 0; i < 20; ++i) req2.bytes[i] = avail[i] ^ req3_.bytes[i];
        pos_ += 20;
        const auto it = skeys_->find(req2);
        if (it == skeys_->end()) return make_error_code(mse_errc::unknown_info_hash);
        result_.skey = it->second;
        auto dec = rc4::mse(mse_key("keyA", secret_, result_.skey));
        auto enc = rc4::mse(mse_key("keyB", secret_, result_.skey));
        if (!dec) return dec.error();
        if (!enc) return enc.error();
        dec_.emplace(std::move(*dec));
        enc_.emplace(std::move(*enc));
        state_ = state::read_provide;
        break;
      }
      case state::read_provide: {
        constexpr std::size_t n = vc_bytes + 4 + 2;
        if (avail.size() < n) return {};
        dec_->apply(avail.first(n));
        pos_ += n;
        if (std::any_of(avail.begin(), avail.begin() + vc_bytes, [](std::uint8_t b) { return b != 0; })) {
          return make_error_code(mse_errc::bad_verification_constant);
        }
        const std::uint32_t provide = get_u32(avail.data() + vc_bytes);
        const std::uint16_t pad = get_u16(avail.data() + vc_bytes + 4);
        if (pad > mse_max_pad) return make_error_code(mse_errc::bad_pad_length);
        const auto method = select_method(mode_, provide);
        if (!method) return make_error_code(mse_errc::no_common_method);
        result_.method = *method;
        pad_left_ = pad;
        state_ = state::skip_pad;
        break;
      }
      case state::skip_pad: {
        const std::size_t n = std::min(avail.size(), pad_left_);
        dec_->apply(avail.first(n));  // PadC
        pos_ += n;
        pad_left_ -= n;
        if (pad_left_ > 0) return {};
        state_ = state::read_ia_length;
        break;
      }
      case state::read_ia_length: {
        if (avail.size() < 2) return {};
        dec_->apply(avail.first(2));
        ia_left_ = get_u16(avail.data());
        pos_ += 2;
        if (ia_left_ > max_initial_payload) return make_error_code(mse_errc::initial_payload_too_long);
        state_ = state::read_ia;
        break;
      }
      case state::read_ia: {
        const std::size_t n = std::min(avail.size(), ia_left_);
        dec_->apply(avail.first(n));
        append(result_.initial_payload, avail.first(n));
        pos_ += n;
        ia_left_ -= n;
        if (ia_left_ > 0) return {};
        // Step 4: ENCRYPT(VC, crypto_select, len(PadD), PadD); our payload stream follows
        // through the result's cipher.
        put_encrypted_head(out_, *enc_, crypto_bit(result_.method), secrets_.zero_pad_length);
        finish();
        return {};
      }
      case state::done:
      case state::failed:
        return {};
    }
  }
}

void mse_responder::finish() {
  if (result_.method == mse_method::rc4) result_.cipher = stream_cipher(std::move(*enc_), std::move(*dec_));
  enc_.reset();
  dec_.reset();
  result_.received.assign(in_.begin() + static_cast<std::ptrdiff_t>(pos_), in_.end());
  result_.cipher.decrypt(result_.received);
  in_.clear();
  pos_ = 0;
  state_ = state::done;
}

mse_result mse_responder::take_result() {
  error_ = std::make_error_code(std::errc::invalid_argument);
  state_ = state::failed;
  return std::move(result_);
}

// ---- incoming connections ----

incoming_handshake classify_incoming(std::span<const std::uint8_t> first) {
  const std::size_t n = std::min(first.size(), bittorrent_protocol.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (first[i] != static_cast<std::uint8_t>(bittorrent_protocol[i])) return incoming_handshake::mse;
  }
  return n == bittorrent_protocol.size() ? incoming_handshake::bittorrent : incoming_handshake::need_more;
}

std::error_code check_plaintext_allowed(encryption_mode m) {
  return accepts_plaintext(m) ? std::error_code{} : make_error_code(mse_errc::plaintext_refused);
}

}  // namespace tessera::detail
