// libFuzzer target for the extension protocol payload codecs: the BEP 10 extended handshake, BEP 9
// ut_metadata messages (fed on into a metadata assembler) and BEP 11 ut_pex. Whatever one of them
// accepts must re-encode to bytes that parse to the same value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/extension_messages.hpp"
#include "core/ut_metadata.hpp"
#include "core/ut_pex.hpp"

namespace td = tessera::detail;

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}

void handshake(std::string_view in) {
  auto h = td::parse_extension_handshake(in);
  if (!h) return;
  auto back = td::parse_extension_handshake(td::make_extension_handshake(*h));
  check(back && *back == *h);
}

void metadata(std::string_view in) {
  auto m = td::parse_metadata_message(in);
  if (!m) return;
  std::string again;
  switch (m->type) {
    case td::metadata_msg_type::request: again = td::make_metadata_request(m->piece); break;
    case td::metadata_msg_type::reject: again = td::make_metadata_reject(m->piece); break;
    case td::metadata_msg_type::data: again = td::make_metadata_data(m->piece, m->total_size, m->data); break;
  }
  auto back = td::parse_metadata_message(again);
  check(back && back->type == m->type && back->piece == m->piece && back->total_size == m->total_size &&
        back->data == m->data);
  if (m->type != td::metadata_msg_type::data) return;
  td::metadata_assembler a(tessera::info_hash_t{});
  check(!a.set_size(m->total_size));
  auto r = a.add_data(*m);
  // A single piece can complete the metadata only if it hashes to the (zero) info-hash.
  check(r || r.error() == td::make_error_code(td::extension_errc::hash_mismatch));
  check(a.pieces_received() <= a.piece_count());
}

void pex(std::string_view in) {
  auto m = td::parse_pex_message(in);
  if (!m) return;
  check(m->added.size() <= 2 * td::max_pex_peers_per_list && m->dropped.size() <= 2 * td::max_pex_peers_per_list);
  auto back = td::parse_pex_message(td::make_pex_message(*m));
  check(back && *back == *m);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  handshake(in);
  metadata(in);
  pex(in);
  return 0;
}
