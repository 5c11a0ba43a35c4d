// The completion handler for the network coroutines the swarm and session layers spawn.
#pragma once

#include <exception>

#include <spdlog/spdlog.h>

namespace tessera::detail {

/// A co_spawn completion handler: nothing when the coroutine ended normally; otherwise logs the
/// exception that escaped it as an error "<what> coroutine failed: <message>" and swallows it.
/// Expected failures are error codes inside the coroutine, so an exception here is a broken
/// invariant; it is logged rather than rethrown so that it cannot stop the io_context thread.
/// `what` must outlive the coroutine (a string literal).
inline auto log_coroutine_failure(const char* what) {
  return [what](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      spdlog::error("{} coroutine failed: {}", what, x.what());
    } catch (...) {
      spdlog::error("{} coroutine failed", what);
    }
  };
}

}  // namespace tessera::detail
