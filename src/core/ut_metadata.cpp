// BEP 9 ut_metadata codec and metadata assembler.
#include "core/ut_metadata.hpp"

#include <algorithm>
#include <span>

#include "core/bencode.hpp"
#include "tessera/hasher.hpp"

namespace tessera::detail {

namespace {

std::error_code err(extension_errc e) { return make_error_code(e); }

std::int64_t piece_length(std::int64_t total, std::int32_t piece) {
  return std::min<std::int64_t>(metadata_piece_size, total - std::int64_t{piece} * metadata_piece_size);
}

std::string make_message(metadata_msg_type type, std::int32_t piece, std::int64_t total) {
  bdict d;
  d["msg_type"] = bvalue(std::int64_t{static_cast<int>(type)});
  d["piece"] = bvalue(std::int64_t{piece});
  if (type == metadata_msg_type::data) d["total_size"] = bvalue(total);
  return bencode(bvalue(std::move(d)));
}

}  // namespace

std::int32_t metadata_piece_count(std::int64_t metadata_size) {
  if (metadata_size < 1 || metadata_size > max_metadata_size) return 0;
  return static_cast<std::int32_t>((metadata_size + metadata_piece_size - 1) / metadata_piece_size);
}

result<metadata_message> parse_metadata_message(std::string_view payload) {
  if (payload.size() > max_extension_payload) return unexpected{err(extension_errc::bad_bencode)};
  std::size_t consumed = 0;
  auto root = bdecode_prefix(payload, &consumed, extension_bdecode_limits());
  if (!root) return unexpected{err(extension_errc::bad_bencode)};
  if (!root->is_dict()) return unexpected{err(extension_errc::not_a_dictionary)};

  metadata_message msg;
  const auto* type = root->find_int("msg_type");
  if (!type || *type < 0 || *type > 2) return unexpected{err(extension_errc::bad_msg_type)};
  msg.type = static_cast<metadata_msg_type>(*type);
  const auto* piece = root->find_int("piece");
  if (!piece || *piece < 0 || *piece >= metadata_piece_count(max_metadata_size))
    return unexpected{err(extension_errc::bad_piece)};
  msg.piece = static_cast<std::int32_t>(*piece);
  if (msg.type != metadata_msg_type::data) return msg;

  const auto* total = root->find_int("total_size");
  if (!total || *total < 1 || *total > max_metadata_size)
    return unexpected{err(extension_errc::bad_metadata_size)};
  msg.total_size = *total;
  if (msg.piece >= metadata_piece_count(msg.total_size)) return unexpected{err(extension_errc::bad_piece)};
  msg.data = payload.substr(consumed);
  if (static_cast<std::int64_t>(msg.data.size()) != piece_length(msg.total_size, msg.piece))
    return unexpected{err(extension_errc::bad_piece_length)};
  return msg;
}

std::string make_metadata_request(std::int32_t piece) {
  return make_message(metadata_msg_type::request, piece, 0);
}
std::string make_metadata_reject(std::int32_t piece) {
  return make_message(metadata_msg_type::reject, piece, 0);
}
std::string make_metadata_data(std::int32_t piece, std::int64_t total_size, std::string_view data) {
  std::string out = make_message(metadata_msg_type::data, piece, total_size);
  out.append(data);
  return out;
}

std::error_code metadata_assembler::set_size(std::int64_t size) {
  if (size < 1 || size > max_metadata_size) return err(extension_errc::bad_metadata_size);
  if (size == size_) return {};
  reset();
  size_ = size;
  buffer_.assign(static_cast<std::size_t>(size), '\0');
  have_.assign(static_cast<std::size_t>(metadata_piece_count(size)), false);
  return {};
}

bool metadata_assembler::have_piece(std::int32_t piece) const {
  return piece >= 0 && piece < piece_count() && have_[static_cast<std::size_t>(piece)];
}

std::vector<std::int32_t> metadata_assembler::missing_pieces() const {
  std::vector<std::int32_t> out;
  for (std::int32_t i = 0; i < piece_count(); ++i)
    if (!have_[static_cast<std::size_t>(i)]) out.push_back(i);
  return out;
}

result<bool> metadata_assembler::add_piece(std::int32_t piece, std::string_view data) {
  if (!has_size()) return unexpected{err(extension_errc::no_metadata_size)};
  if (piece < 0 || piece >= piece_count()) return unexpected{err(extension_errc::bad_piece)};
  if (static_cast<std::int64_t>(data.size()) != piece_length(size_, piece))
    return unexpected{err(extension_errc::bad_piece_length)};
  if (complete_ || have_[static_cast<std::size_t>(piece)]) return false;

  std::copy(data.begin(), data.end(), buffer_.begin() + std::int64_t{piece} * metadata_piece_size);
  have_[static_cast<std::size_t>(piece)] = true;
  if (++received_ < piece_count()) return false;

  // BEP 9 checks the SHA-1 of the info dictionary against v1; BEP 52 adds the SHA-256 against v2.
  // Every hash the torrent is known by must match (a hybrid's metadata matches both).
  const auto bytes = std::as_bytes(std::span(buffer_));
  const bool v1_ok = !info_hash_.has_v1() || sha1(bytes) == info_hash_.v1;
  const bool v2_ok = !info_hash_.has_v2() || sha256(bytes) == info_hash_.v2;
  if (!v1_ok || !v2_ok || (!info_hash_.has_v1() && !info_hash_.has_v2())) {
    const std::int64_t size = size_;
    reset();
    (void)set_size(size);
    return unexpected{err(extension_errc::hash_mismatch)};
  }
  complete_ = true;
  return true;
}

result<bool> metadata_assembler::add_data(const metadata_message& msg) {
  if (msg.type != metadata_msg_type::data) return unexpected{err(extension_errc::bad_msg_type)};
  if (!has_size()) return unexpected{err(extension_errc::no_metadata_size)};
  if (msg.total_size != size_) return unexpected{err(extension_errc::metadata_size_mismatch)};
  return add_piece(msg.piece, msg.data);
}

std::string metadata_assembler::take_info() {
  if (!complete_) return {};
  std::string out = std::move(buffer_);
  reset();
  return out;
}

void metadata_assembler::reset() {
  size_ = 0;
  buffer_.clear();
  buffer_.shrink_to_fit();
  have_.clear();
  received_ = 0;
  complete_ = false;
}

}  // namespace tessera::detail
