// libFuzzer target for the part file's header (disk/part_file: the index of the pieces that
// overlap skipped files): parse_part_file_header, as part_file::load calls it on the bytes it
// read. The first input byte chooses the torrent the file is opened for: the sizes the header
// itself names (so the fuzzer reaches the index) or sizes taken from the next 8 bytes.
// Invariants: a header is accepted only with the magic, the torrent's two sizes and a whole
// index; then every piece has -1 or a slot below num_pieces, no two pieces share a slot,
// slot_used marks exactly the slots held, and each piece whose entry names a valid slot not
// taken by a lower piece holds that slot.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "disk/part_file.hpp"
#include "fuzz_support.hpp"

namespace td = tessera::detail;

namespace {

std::uint32_t le32(std::span<const std::uint8_t> d, std::size_t at) {
  return std::uint32_t{d[at]} | std::uint32_t{d[at + 1]} << 8 | std::uint32_t{d[at + 2]} << 16 |
         std::uint32_t{d[at + 3]} << 24;
}

/// Largest piece count tried: the index of a bigger torrent cannot fit in a fuzz input anyway.
constexpr std::uint32_t max_pieces = 1 << 16;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tessera::fuzz::byte_reader in(data, size);
  const std::uint8_t mode = in.u8();
  std::int64_t num_pieces = 0;
  std::int64_t piece_length = 1;
  if (mode & 1) {
    num_pieces = static_cast<std::int32_t>(in.u32());
    piece_length = static_cast<std::int32_t>(in.u32());
  }
  const std::size_t offset = size - in.remaining();
  const std::span<const std::uint8_t> header(data + offset, size - offset);
  if (!(mode & 1) && header.size() >= 16) {
    num_pieces = le32(header, 8) % (max_pieces + 1);
    piece_length = le32(header, 12);
  }
  if (num_pieces < 0 || num_pieces > max_pieces || piece_length < 1) {
    FUZZ_CHECK(!td::parse_part_file_header(header, static_cast<int>(num_pieces), piece_length));
    return 0;
  }
  const int n = static_cast<int>(num_pieces);
  auto index = td::parse_part_file_header(header, n, piece_length);
  const bool ours = static_cast<std::int64_t>(header.size()) >= td::part_file_index_bytes(n) &&
                    std::memcmp(header.data(), "TSPARTS1", 8) == 0 &&
                    le32(header, 8) == static_cast<std::uint32_t>(n) &&
                    le32(header, 12) == static_cast<std::uint32_t>(piece_length);
  FUZZ_CHECK(index.has_value() == ours);
  if (!index) return 0;

  FUZZ_CHECK(index->slot_of.size() == static_cast<std::size_t>(n));
  FUZZ_CHECK(index->slot_used.size() <= static_cast<std::size_t>(n));
  std::vector<int> holder(static_cast<std::size_t>(n), -1);  // per slot: the piece holding it
  for (int p = 0; p < n; ++p) {
    const int slot = index->slot_of[static_cast<std::size_t>(p)];
    FUZZ_CHECK(slot >= -1 && slot < n);
    const std::uint32_t entry = le32(header, 16 + 4 * static_cast<std::size_t>(p));
    if (slot >= 0) {
      FUZZ_CHECK(entry == static_cast<std::uint32_t>(slot) + 1);
      FUZZ_CHECK(holder[static_cast<std::size_t>(slot)] == -1);
      holder[static_cast<std::size_t>(slot)] = p;
    } else if (entry >= 1 && entry <= static_cast<std::uint32_t>(n)) {
      // A valid entry without its slot: a lower piece took that slot first.
      const int taker = holder[entry - 1];
      FUZZ_CHECK(taker >= 0 && taker < p);
    }
  }
  for (int s = 0; s < n; ++s) {
    const bool used = static_cast<std::size_t>(s) < index->slot_used.size() && index->slot_used[static_cast<std::size_t>(s)];
    FUZZ_CHECK(used == (holder[static_cast<std::size_t>(s)] >= 0));
  }
  return 0;
}
