// The completion handlers for the network coroutines the swarm and session layers spawn.
#pragma once

#include <exception>
#include <utility>

#include <spdlog/spdlog.h>

namespace tessera::detail {

/// Logs the exception `e` (not null) as an error "<what> coroutine failed: <message>".
inline void log_coroutine_exception(const char* what, std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    spdlog::error("{} coroutine failed: {}", what, x.what());
  } catch (...) {
    spdlog::error("{} coroutine failed", what);
  }
}

/// A co_spawn completion handler: nothing when the coroutine ended normally; otherwise logs the
/// exception that escaped it and swallows it. Expected failures are error codes inside the
/// coroutine, so an exception here is a broken invariant; it is logged rather than rethrown so
/// that it cannot stop the io_context thread. `what` must outlive the coroutine (a string
/// literal). Use on_coroutine_failure when the coroutine served an object that must be told.
inline auto log_coroutine_failure(const char* what) {
  return [what](std::exception_ptr e) {
    if (e) log_coroutine_exception(what, e);
  };
}

/// Like log_coroutine_failure, then runs `on_failure()`: the object the coroutine served is left
/// half-working otherwise (e.g. a peer connection whose reader died keeps its slot: closing it
/// lets its owner hear of the end). An exception from `on_failure` is logged and swallowed too.
template <class OnFailure>
auto on_coroutine_failure(const char* what, OnFailure on_failure) {
  return [what, on_failure = std::move(on_failure)](std::exception_ptr e) mutable {
    if (!e) return;
    log_coroutine_exception(what, e);
    try {
      on_failure();
    } catch (const std::exception& x) {
      spdlog::error("{}: handling a coroutine failure failed: {}", what, x.what());
    } catch (...) {
      spdlog::error("{}: handling a coroutine failure failed", what);
    }
  };
}

}  // namespace tessera::detail
