// The RPC version tessera speaks: Transmission 3.00's (16). session-get's `rpc-version` and the
// event stream's `hello` both report it.
#pragma once

namespace tessera::rpc {

/// session-get `rpc-version`: the methods and fields of Transmission 3.00 (docs/rpc.md).
inline constexpr int rpc_version = 16;
/// session-get `rpc-version-minimum`.
inline constexpr int rpc_version_minimum = 1;

}  // namespace tessera::rpc
