// Registers the `tessera` verbs that drive a daemon over Transmission's RPC (add, list, info,
// files, start, stop, verify, reannounce, remove, set, session, stats, watch) on the command line.
#pragma once

#include <memory>
#include <optional>

namespace CLI {
class App;
}

namespace tessera::cli {

/// The remote verbs registered on one CLI::App. Copies share the same state; keep one alive
/// until run() (the app's options write into it while parsing).
class remote_commands {
 public:
  /// After the app parsed the command line: runs the verb that was chosen and returns its exit
  /// code (0, or 1 after a one-line "tessera: error: ..." on stderr), or nullopt when the
  /// command line chose none of these verbs. Blocking (network I/O to the daemon); main thread.
  std::optional<int> run() const;

  /// The parsed options and the subcommands (defined in remote_commands.cpp only).
  struct state;

 private:
  explicit remote_commands(std::shared_ptr<state> s) : state_(std::move(s)) {}
  friend remote_commands add_remote_commands(CLI::App& app);
  std::shared_ptr<state> state_;
};

/// Adds the remote verbs as subcommands of `app`, each with --rpc URL, --auth USER:PASS and
/// --json, and their --help texts (units, ID forms, credential sources).
remote_commands add_remote_commands(CLI::App& app);

}  // namespace tessera::cli
