// Runs a piece of a test in a forked child whose address space is capped: the way a unit test
// shows that hostile input costs bounded memory (a regression that allocates gigabytes fails
// there with bad_alloc, instead of passing slowly on a machine with enough RAM).
#pragma once

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <exception>
#include <string>

namespace tessera::test {

/// Why run_with_address_space_limit cannot run here (empty when it can): the sanitizers reserve
/// terabytes of shadow address space, so RLIMIT_AS cannot be used under them.
inline std::string address_space_limit_problem() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return "RLIMIT_AS cannot be combined with a sanitizer's shadow memory";
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
  return "RLIMIT_AS cannot be combined with a sanitizer's shadow memory";
#else
  return {};
#endif
#else
  return {};
#endif
}

/// Bytes of address space this process uses now (/proc/self/statm), 0 if unknown.
inline std::size_t current_address_space() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  unsigned long pages = 0;
  const int n = std::fscanf(f, "%lu", &pages);
  std::fclose(f);
  return n == 1 ? pages * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)) : 0;
}

/// Forks; the child caps its address space at what the process uses now plus `extra_bytes`,
/// runs `f` (returning bool) and exits 0 when it returned true, 1 when false, 2 on an exception
/// (std::bad_alloc once the cap is hit); a crash ends it by a signal. Returns the child's wait
/// status. Call it only from a test with no other threads running (fork copies one thread).
template <class F>
int run_with_address_space_limit(std::size_t extra_bytes, F f) {
  const std::size_t base = current_address_space();
  const pid_t pid = ::fork();
  if (pid == 0) {
    rlimit lim{};
    lim.rlim_cur = lim.rlim_max = base + extra_bytes;
    if (base == 0 || ::setrlimit(RLIMIT_AS, &lim) != 0) ::_exit(3);
    int code = 2;
    try {
      code = f() ? 0 : 1;
    } catch (const std::exception&) {
    }
    ::_exit(code);
  }
  int status = -1;
  if (pid > 0) ::waitpid(pid, &status, 0);
  return status;
}

/// Readable form of a wait status from run_with_address_space_limit.
inline std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) {
    switch (WEXITSTATUS(status)) {
      case 0: return "success";
      case 1: return "returned false";
      case 2: return "threw (std::bad_alloc: over the address space limit)";
      case 3: return "could not set RLIMIT_AS";
    }
    return "exit " + std::to_string(WEXITSTATUS(status));
  }
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

}  // namespace tessera::test
