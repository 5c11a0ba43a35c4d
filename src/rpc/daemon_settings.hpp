// The daemon's settings: <config-dir>/settings.json with Transmission's key names (3.00) where one
// exists, read and written by session-get / session-set (shared/transmission-rpc.md §9). Each key
// has a kind, a default, and whether the RPC may read / write it. Keys of features tessera does not
// have yet keep their truthful value (utp-enabled false...) or are stored and documented as not
// yet effective (docs/rpc.md); `effective()` says which. Pure apart from load/save; not
// thread-safe (the daemon serialises its calls).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/result.hpp"

namespace tessera::rpc {

enum class setting_kind { boolean, integer, real, string, string_list };

struct setting_key {
  std::string_view name;
  setting_kind kind;
  bool rpc_readable;  ///< returned by session-get
  bool rpc_writable;  ///< accepted by session-set
  bool effective;     ///< false: stored and returned, but tessera does not act on it yet
};

class daemon_settings {
 public:
  /// Every key at its default (download-dir "~/Downloads" resolved from $HOME).
  daemon_settings();

  /// Reads `path` (a missing file keeps the defaults). A key of the wrong kind is ignored with a
  /// line in `problems`; unknown keys are kept and written back. Error: the file exists but is
  /// not a JSON object (the daemon refuses to start rather than overwrite it).
  result<bool, std::string> load(const std::filesystem::path& path, std::vector<std::string>& problems);
  /// Writes every key atomically (0600: it holds the RPC password hash).
  result<bool, std::string> save(const std::filesystem::path& path) const;

  /// session-set: applies each writable key of `args` whose value reads as its kind (leniently,
  /// E7); others are ignored. Returns the names changed. Error (nothing applied): `download-dir`
  /// or `incomplete-dir` not absolute, `encryption` not one of tolerated/preferred/required,
  /// `peer-port` outside 1..65535.
  result<std::vector<std::string>, std::string> set_from_rpc(const boost::json::object& args);
  /// Sets one known key (no RPC rules); an unknown key or a value of another kind is ignored.
  void set(std::string_view name, boost::json::value value);

  bool boolean(std::string_view name) const;
  std::int64_t integer(std::string_view name) const;
  double real(std::string_view name) const;
  std::string string(std::string_view name) const;
  std::vector<std::string> strings(std::string_view name) const;
  const boost::json::object& values() const { return values_; }

  static std::span<const setting_key> keys();
  static const setting_key* find(std::string_view name);

 private:
  boost::json::object values_;
};

}  // namespace tessera::rpc
