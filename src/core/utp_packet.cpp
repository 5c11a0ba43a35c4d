// BEP 29 packet codec. Integers big-endian, read and written byte by byte.
#include "core/utp_packet.hpp"

#include <cassert>
#include <string>

namespace tessera::detail {

namespace {

class utp_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tessera.utp"; }
  std::string message(int ev) const override {
    switch (static_cast<utp_errc>(ev)) {
      case utp_errc::truncated_header: return "uTP packet shorter than its header";
      case utp_errc::bad_version: return "uTP packet of an unknown version";
      case utp_errc::bad_type: return "uTP packet of an unknown type";
      case utp_errc::truncated_extension: return "uTP extension runs past the packet";
      case utp_errc::bad_sack_length: return "uTP selective ACK of a bad length";
      case utp_errc::duplicate_sack: return "uTP packet with two selective ACKs";
      case utp_errc::too_many_extensions: return "uTP packet with too many extensions";
      case utp_errc::connection_reset: return "uTP connection reset by the peer";
      case utp_errc::timed_out: return "uTP connection timed out";
      case utp_errc::not_a_syn: return "uTP packet is not a SYN";
    }
    return "unknown uTP error";
  }
};

std::uint16_t read_u16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
std::uint32_t read_u32(const std::uint8_t* p) {
  return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | std::uint32_t(p[3]);
}
void put_u16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  put_u16(out, static_cast<std::uint16_t>(v >> 16));
  put_u16(out, static_cast<std::uint16_t>(v));
}

}  // namespace

const std::error_category& utp_category() noexcept {
  static const utp_category_impl c;
  return c;
}

result<utp_packet> decode_utp_packet(std::span<const std::uint8_t> d) {
  if (d.size() < utp_header_size) return unexpected{utp_errc::truncated_header};
  if ((d[0] & 0x0f) != utp_version) return unexpected{utp_errc::bad_version};
  const int type = d[0] >> 4;
  if (type > static_cast<int>(utp_type::syn)) return unexpected{utp_errc::bad_type};
  utp_packet p;
  p.header.type = static_cast<utp_type>(type);
  p.header.connection_id = read_u16(&d[2]);
  p.header.timestamp_us = read_u32(&d[4]);
  p.header.timestamp_diff_us = read_u32(&d[8]);
  p.header.wnd_size = read_u32(&d[12]);
  p.header.seq_nr = read_u16(&d[16]);
  p.header.ack_nr = read_u16(&d[18]);

  std::uint8_t next = d[1];
  std::size_t pos = utp_header_size;
  std::size_t count = 0;
  while (next != 0) {
    if (++count > max_extensions) return unexpected{utp_errc::too_many_extensions};
    if (d.size() - pos < 2) return unexpected{utp_errc::truncated_extension};
    const std::uint8_t type_here = next;
    next = d[pos];
    const std::size_t len = d[pos + 1];
    pos += 2;
    if (d.size() - pos < len) return unexpected{utp_errc::truncated_extension};
    if (type_here == utp_sack_extension) {
      if (len == 0 || len % 4 != 0 || len > max_sack_bytes) return unexpected{utp_errc::bad_sack_length};
      if (!p.sack.empty()) return unexpected{utp_errc::duplicate_sack};
      p.sack = d.subspan(pos, len);
    }
    pos += len;
  }
  p.payload = d.subspan(pos);
  return p;
}

void encode_utp_packet(std::vector<std::uint8_t>& out, const utp_header& h,
                       std::span<const std::uint8_t> sack, std::span<const std::uint8_t> payload) {
  assert(sack.size() % 4 == 0 && sack.size() <= max_sack_bytes);
  out.reserve(out.size() + utp_header_size + (sack.empty() ? 0 : 2 + sack.size()) + payload.size());
  out.push_back(static_cast<std::uint8_t>(static_cast<std::uint8_t>(h.type) << 4 | utp_version));
  out.push_back(sack.empty() ? 0 : utp_sack_extension);
  put_u16(out, h.connection_id);
  put_u32(out, h.timestamp_us);
  put_u32(out, h.timestamp_diff_us);
  put_u32(out, h.wnd_size);
  put_u16(out, h.seq_nr);
  put_u16(out, h.ack_nr);
  if (!sack.empty()) {
    out.push_back(0);
    out.push_back(static_cast<std::uint8_t>(sack.size()));
    out.insert(out.end(), sack.begin(), sack.end());
  }
  out.insert(out.end(), payload.begin(), payload.end());
}

}  // namespace tessera::detail
