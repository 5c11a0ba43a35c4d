// BEP 3 peer wire codec. Integers on the wire are big-endian; they are read and written byte by
// byte, so the input needs no alignment and the code does not depend on the host byte order.
#include "core/wire.hpp"

#include <algorithm>
#include <string>

namespace tessera::detail::wire {

namespace {

constexpr std::uint8_t protocol_string[20] = {19,  'B', 'i', 't', 'T', 'o', 'r', 'r', 'e', 'n',
                                              't', ' ', 'p', 'r', 'o', 't', 'o', 'c', 'o', 'l'};

class wire_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tessera.wire"; }
  std::string message(int ev) const override {
    switch (static_cast<wire_errc>(ev)) {
      case wire_errc::bad_protocol:
        return "handshake is not BitTorrent protocol";
      case wire_errc::message_too_long:
        return "peer message longer than allowed";
      case wire_errc::bad_message_length:
        return "peer message has the wrong length for its id";
    }
    return "unknown wire error";
  }
};

std::uint32_t read_u32(const std::uint8_t* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) |
         std::uint32_t(p[3]);
}
std::int32_t read_i32(const std::uint8_t* p) { return static_cast<std::int32_t>(read_u32(p)); }
std::uint16_t read_u16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 24));
  out.push_back(static_cast<std::uint8_t>(v >> 16));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
void put_i32(std::vector<std::uint8_t>& out, std::int32_t v) {
  put_u32(out, static_cast<std::uint32_t>(v));
}

/// Length prefix + id for a message whose body (id included) is `body` bytes.
void put_header(std::vector<std::uint8_t>& out, std::uint32_t body, msg_id id) {
  put_u32(out, body);
  out.push_back(static_cast<std::uint8_t>(id));
}

void put_bytes(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

/// Whether `length` (the prefix: id byte + payload) fits message `id`: exact for the fixed-size
/// messages, a minimum for `piece` (index, begin) and `extended` (extended id). Unknown ids accept
/// any length.
bool length_fits(std::uint8_t id, std::uint32_t length) {
  switch (static_cast<msg_id>(id)) {
    case msg_id::choke:
    case msg_id::unchoke:
    case msg_id::interested:
    case msg_id::not_interested:
      return length == 1;
    case msg_id::have_all:
    case msg_id::have_none:
      return length == 1;
    case msg_id::have:
    case msg_id::suggest_piece:
    case msg_id::allowed_fast:
      return length == 5;
    case msg_id::request:
    case msg_id::cancel:
    case msg_id::reject_request:
      return length == 13;
    case msg_id::port:
      return length == 3;
    case msg_id::piece:
      return length >= 9;
    case msg_id::extended:
      return length >= 2;
    case msg_id::hash_request:
    case msg_id::hash_reject:
      return length == 1 + hash_request_payload;
    case msg_id::hashes:
      return length >= 1 + hash_request_payload;
    default:
      return true;
  }
}

bool is_known(std::uint8_t id) {
  switch (static_cast<msg_id>(id)) {
    case msg_id::choke:
    case msg_id::unchoke:
    case msg_id::interested:
    case msg_id::not_interested:
    case msg_id::have:
    case msg_id::bitfield:
    case msg_id::request:
    case msg_id::piece:
    case msg_id::cancel:
    case msg_id::port:
    case msg_id::extended:
    case msg_id::hash_request:
    case msg_id::hashes:
    case msg_id::hash_reject:
    case msg_id::suggest_piece:
    case msg_id::have_all:
    case msg_id::have_none:
    case msg_id::reject_request:
    case msg_id::allowed_fast:
      return true;
  }
  return false;
}

decode_result failed(wire_errc e) {
  decode_result r;
  r.ec = make_error_code(e);
  return r;
}

}  // namespace

const std::error_category& wire_category() noexcept {
  static const wire_category_impl category;
  return category;
}

void write_handshake(std::vector<std::uint8_t>& out, const handshake& h) {
  out.insert(out.end(), std::begin(protocol_string), std::end(protocol_string));
  put_bytes(out, h.reserved);
  put_bytes(out, h.info_hash.bytes);
  put_bytes(out, h.id.bytes);
}

result<handshake> parse_handshake(std::span<const std::uint8_t> in) {
  // The caller promises 68 bytes; a short buffer is still rejected rather than over-read.
  if (in.size() < handshake_length) return unexpected{make_error_code(wire_errc::bad_protocol)};
  if (!std::equal(std::begin(protocol_string), std::end(protocol_string), in.begin())) {
    return unexpected{make_error_code(wire_errc::bad_protocol)};
  }
  handshake h;
  auto rest = in.subspan(sizeof protocol_string);
  std::copy_n(rest.begin(), 8, h.reserved.begin());
  std::copy_n(rest.begin() + 8, 20, h.info_hash.bytes.begin());
  std::copy_n(rest.begin() + 28, 20, h.id.bytes.begin());
  return h;
}

decode_result decode_message(std::span<const std::uint8_t> in, std::uint32_t max_length) {
  decode_result r;
  if (in.size() < 4) {
    r.needed = 4;
    return r;
  }
  const std::uint32_t length = read_u32(in.data());
  if (length == 0) {
    r.consumed = 4;
    r.msg = keep_alive{};
    return r;
  }
  // Judged on the prefix alone, so a hostile length never makes the reader buffer the body.
  if (length > max_length) return failed(wire_errc::message_too_long);
  // The id byte comes first in the body: the length is checked against it as soon as it is here.
  if (in.size() >= 5 && !length_fits(in[4], length)) return failed(wire_errc::bad_message_length);
  const std::size_t total = std::size_t{4} + length;
  if (in.size() < total) {
    if (in.size() >= 5 && !is_known(in[4])) {
      // Nothing in it is used: hand back what is here and let the rest stream past unbuffered.
      r.consumed = in.size();
      r.msg = unknown{in[4], in.subspan(5)};
      r.skip = total - in.size();
      return r;
    }
    r.needed = total;
    return r;
  }

  const std::uint8_t id = in[4];
  const std::uint8_t* body = in.data() + 5;        // after the id
  const auto payload = in.subspan(5, length - 1);  // everything after the id
  switch (static_cast<msg_id>(id)) {
    case msg_id::choke:
      r.msg = choke{};
      break;
    case msg_id::unchoke:
      r.msg = unchoke{};
      break;
    case msg_id::interested:
      r.msg = interested{};
      break;
    case msg_id::not_interested:
      r.msg = not_interested{};
      break;
    case msg_id::have:
      r.msg = have{piece_index{read_i32(body)}};
      break;
    case msg_id::bitfield:
      r.msg = bitfield{payload};
      break;
    case msg_id::request:
      r.msg = request{piece_index{read_i32(body)}, read_i32(body + 4), read_i32(body + 8)};
      break;
    case msg_id::cancel:
      r.msg = cancel{piece_index{read_i32(body)}, read_i32(body + 4), read_i32(body + 8)};
      break;
    case msg_id::piece:
      r.msg = piece{piece_index{read_i32(body)}, read_i32(body + 4), payload.subspan(8)};
      break;
    case msg_id::port:
      r.msg = port{read_u16(body)};
      break;
    case msg_id::suggest_piece:
      r.msg = suggest_piece{piece_index{read_i32(body)}};
      break;
    case msg_id::have_all:
      r.msg = have_all{};
      break;
    case msg_id::have_none:
      r.msg = have_none{};
      break;
    case msg_id::reject_request:
      r.msg = reject_request{piece_index{read_i32(body)}, read_i32(body + 4), read_i32(body + 8)};
      break;
    case msg_id::allowed_fast:
      r.msg = allowed_fast{piece_index{read_i32(body)}};
      break;
    case msg_id::extended:
      r.msg = extended{body[0], payload.subspan(1)};
      break;
    case msg_id::hash_request:
    case msg_id::hash_reject: {
      auto h = decode_hash_request(payload);
      if (!h) {
        r = decode_result{};
        r.ec = h.error();
        return r;
      }
      if (id == static_cast<std::uint8_t>(msg_id::hash_request)) {
        r.msg = hash_request_msg{*h};
      } else {
        r.msg = hash_reject_msg{*h};
      }
      break;
    }
    case msg_id::hashes: {
      auto h = decode_hash_request(payload.first(hash_request_payload));
      if (!h) {
        r = decode_result{};
        r.ec = h.error();
        return r;
      }
      const auto hashes = static_cast<std::uint64_t>(h->length) + static_cast<std::uint64_t>(uncle_count(*h));
      if (payload.size() != hash_request_payload + 32 * hashes) {
        r = decode_result{};
        r.ec = make_error_code(hash_errc::bad_message_length);
        return r;
      }
      r.msg = hashes_msg{*h, payload};
      break;
    }
    default:
      r.msg = unknown{id, payload};
      break;
  }
  r.consumed = total;
  return r;
}

void write_keep_alive(std::vector<std::uint8_t>& out) { put_u32(out, 0); }
void write_choke(std::vector<std::uint8_t>& out) { put_header(out, 1, msg_id::choke); }
void write_unchoke(std::vector<std::uint8_t>& out) { put_header(out, 1, msg_id::unchoke); }
void write_interested(std::vector<std::uint8_t>& out) { put_header(out, 1, msg_id::interested); }
void write_not_interested(std::vector<std::uint8_t>& out) {
  put_header(out, 1, msg_id::not_interested);
}

void write_have(std::vector<std::uint8_t>& out, piece_index p) {
  put_header(out, 5, msg_id::have);
  put_i32(out, p.value);
}

void write_bitfield(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> bits) {
  put_header(out, static_cast<std::uint32_t>(1 + bits.size()), msg_id::bitfield);
  put_bytes(out, bits);
}

void write_request(std::vector<std::uint8_t>& out, const request& r) {
  put_header(out, 13, msg_id::request);
  put_i32(out, r.piece.value);
  put_i32(out, r.begin);
  put_i32(out, r.length);
}

void write_cancel(std::vector<std::uint8_t>& out, const cancel& c) {
  put_header(out, 13, msg_id::cancel);
  put_i32(out, c.piece.value);
  put_i32(out, c.begin);
  put_i32(out, c.length);
}

void write_piece_header(std::vector<std::uint8_t>& out, piece_index p, std::int32_t begin,
                        std::int32_t length) {
  put_header(out, static_cast<std::uint32_t>(9 + length), msg_id::piece);
  put_i32(out, p.value);
  put_i32(out, begin);
}

void write_port(std::vector<std::uint8_t>& out, std::uint16_t port) {
  put_header(out, 3, msg_id::port);
  out.push_back(static_cast<std::uint8_t>(port >> 8));
  out.push_back(static_cast<std::uint8_t>(port));
}

void write_extended(std::vector<std::uint8_t>& out, std::uint8_t id,
                    std::span<const std::uint8_t> payload) {
  put_header(out, static_cast<std::uint32_t>(2 + payload.size()), msg_id::extended);
  out.push_back(id);
  put_bytes(out, payload);
}

void write_suggest_piece(std::vector<std::uint8_t>& out, piece_index p) {
  put_header(out, 5, msg_id::suggest_piece);
  put_i32(out, p.value);
}

void write_have_all(std::vector<std::uint8_t>& out) { put_header(out, 1, msg_id::have_all); }
void write_have_none(std::vector<std::uint8_t>& out) { put_header(out, 1, msg_id::have_none); }

void write_reject_request(std::vector<std::uint8_t>& out, const reject_request& r) {
  put_header(out, 13, msg_id::reject_request);
  put_i32(out, r.piece.value);
  put_i32(out, r.begin);
  put_i32(out, r.length);
}

void write_allowed_fast(std::vector<std::uint8_t>& out, piece_index p) {
  put_header(out, 5, msg_id::allowed_fast);
  put_i32(out, p.value);
}

}  // namespace tessera::detail::wire
