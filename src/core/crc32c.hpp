// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum BEP 42 derives DHT node-id
// prefixes from. Pure; table-driven, one byte at a time (it only ever hashes 4 or 8 bytes).
#pragma once

#include <cstdint>
#include <span>

namespace tessera::detail {

/// CRC-32C of `bytes` (initial value and final XOR 0xFFFFFFFF, as in iSCSI and BEP 42).
/// crc32c of the ASCII "123456789" is 0xE3069283.
std::uint32_t crc32c(std::span<const std::uint8_t> bytes);

}  // namespace tessera::detail
