#include "core/piece_verify.hpp"

#include <algorithm>
#include <optional>

#include "core/merkle.hpp"

namespace tessera::detail {

std::optional<v2_piece_target> v2_target(const sha256_hash& pieces_root,
                                         std::span<const sha256_hash> piece_layer,
                                         std::int64_t file_size, std::int64_t piece_length,
                                         std::int64_t piece_in_file) {
  if (file_size <= 0 || piece_length <= 0 || piece_in_file < 0) return std::nullopt;
  const std::int64_t pieces = file_size / piece_length + (file_size % piece_length != 0);
  if (piece_in_file >= pieces) return std::nullopt;
  if (pieces == 1) return v2_piece_target{pieces_root, true};
  if (static_cast<std::int64_t>(piece_layer.size()) != pieces) return std::nullopt;
  return v2_piece_target{piece_layer[static_cast<std::size_t>(piece_in_file)], false};
}

void v2_piece_hasher::update(std::span<const std::uint8_t> bytes) {
  fed_ += static_cast<std::int64_t>(bytes.size());
  while (!bytes.empty()) {
    const auto n = std::min<std::size_t>(bytes.size(), static_cast<std::size_t>(block_size - in_block_));
    block_.update(bytes.data(), n);
    in_block_ += static_cast<std::int32_t>(n);
    bytes = bytes.subspan(n);
    if (in_block_ == block_size) {
      blocks_.push_back(block_.final());
      in_block_ = 0;
    }
  }
}

bool v2_piece_hasher::finish(const v2_piece_target& target) {
  if (in_block_ > 0) blocks_.push_back(block_.final());
  const bool sized = fed_ > 0 && fed_ <= piece_length_;
  bool ok = false;
  if (sized) {
    const sha256_hash got =
        target.whole_file
            ? merkle::root(blocks_, merkle::next_power_of_two(static_cast<std::int64_t>(blocks_.size())))
            : merkle::piece_root(blocks_, piece_length_);
    ok = got == target.expected;
  }
  blocks_.clear();
  in_block_ = 0;
  fed_ = 0;
  return ok;
}

}  // namespace tessera::detail
