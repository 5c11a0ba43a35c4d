// BEP 10 extended handshake codec, and the error category of the extension message codecs.
#include "core/extension_messages.hpp"

#include "core/bencode.hpp"

namespace tessera::detail {

namespace {

class extension_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tessera.extension"; }
  std::string message(int ev) const override {
    switch (static_cast<extension_errc>(ev)) {
      case extension_errc::bad_bencode: return "extension message is not valid bencode";
      case extension_errc::not_a_dictionary: return "extension message is not a dictionary";
      case extension_errc::bad_metadata_size: return "metadata size out of range";
      case extension_errc::bad_msg_type: return "ut_metadata msg_type missing or unknown";
      case extension_errc::bad_piece: return "ut_metadata piece missing or out of range";
      case extension_errc::bad_piece_length: return "ut_metadata piece has the wrong length";
      case extension_errc::metadata_size_mismatch: return "ut_metadata total_size differs from metadata size";
      case extension_errc::no_metadata_size: return "metadata piece before metadata size is known";
      case extension_errc::hash_mismatch: return "metadata does not match the info-hash";
      case extension_errc::bad_compact_peers: return "PEX peer list has a bad length";
    }
    return "unknown extension error";
  }
};

/// A message id from `m`: 1..255 enables, anything else (0, negative, too big, not an int)
/// means disabled.
std::uint8_t message_id(const bvalue* m, std::string_view name) {
  if (!m) return 0;
  const auto* id = m->find_int(name);
  if (!id || *id < 1 || *id > 255) return 0;
  return static_cast<std::uint8_t>(*id);
}

}  // namespace

const std::error_category& extension_category() noexcept {
  static const extension_category_impl category;
  return category;
}

bdecode_limits extension_bdecode_limits() {
  bdecode_limits l;
  l.max_depth = 8;
  l.max_items = 4096;
  return l;
}

result<extension_handshake> parse_extension_handshake(std::string_view payload) {
  if (payload.size() > max_extension_payload) return unexpected{make_error_code(extension_errc::bad_bencode)};
  auto root = bdecode(payload, extension_bdecode_limits());
  if (!root) return unexpected{make_error_code(extension_errc::bad_bencode)};
  if (!root->is_dict()) return unexpected{make_error_code(extension_errc::not_a_dictionary)};

  extension_handshake h;
  const bvalue* m = root->find_dict("m");
  h.ut_metadata = message_id(m, "ut_metadata");
  h.ut_pex = message_id(m, "ut_pex");
  if (const auto* v = root->find_string("v"))
    h.client = v->substr(0, extension_handshake::max_client_name);
  if (const auto* p = root->find_int("p"); p && *p >= 1 && *p <= 65535)
    h.listen_port = static_cast<std::uint16_t>(*p);
  if (const auto* q = root->find_int("reqq"); q && *q >= 1 && *q <= extension_handshake::max_reqq)
    h.reqq = static_cast<std::int32_t>(*q);
  if (const auto* s = root->find_int("metadata_size")) {
    if (*s < 1 || *s > max_metadata_size)
      return unexpected{make_error_code(extension_errc::bad_metadata_size)};
    h.metadata_size = *s;
  }
  if (const auto* ip = root->find_string("yourip")) h.yourip = parse_compact_address(*ip);
  if (const auto* u = root->find_int("upload_only")) h.upload_only = *u != 0;
  return h;
}

std::string make_extension_handshake(const extension_handshake& h) {
  bdict m;
  if (h.ut_metadata) m["ut_metadata"] = bvalue(std::int64_t{h.ut_metadata});
  if (h.ut_pex) m["ut_pex"] = bvalue(std::int64_t{h.ut_pex});
  bdict d;
  d["m"] = bvalue(std::move(m));
  if (!h.client.empty()) d["v"] = bvalue(h.client);
  if (h.listen_port) d["p"] = bvalue(std::int64_t{*h.listen_port});
  if (h.reqq) d["reqq"] = bvalue(std::int64_t{*h.reqq});
  if (h.metadata_size) d["metadata_size"] = bvalue(*h.metadata_size);
  if (h.yourip) d["yourip"] = bvalue(compact_address(*h.yourip));
  if (h.upload_only) d["upload_only"] = bvalue(std::int64_t{1});
  return bencode(bvalue(std::move(d)));
}

}  // namespace tessera::detail
