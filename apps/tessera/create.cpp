// `tessera create PATH`: makes a .torrent of a file or a folder (v1, v2 or hybrid), hashing on
// every core, with a progress bar on a terminal and a summary at the end.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <optional>

#include "commands.hpp"
#include "console.hpp"
#include "create_args.hpp"
#include "format.hpp"
#include "tessera/create_torrent.hpp"

namespace tessera::cli {

namespace {

const char* kind_name(torrent_kind k) {
  switch (k) {
    case torrent_kind::v1: return "v1";
    case torrent_kind::v2: return "v2";
    case torrent_kind::hybrid: return "hybrid";
  }
  return "?";
}

/// Writes `bytes` to `path`: created new, or (force) replacing what is there.
std::error_code write_output(const std::string& path, const std::string& bytes, bool force) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL), 0644);
  if (fd < 0) return {errno, std::system_category()};
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int e = n < 0 ? errno : EIO;
      ::close(fd);
      return {e, std::system_category()};
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) return {errno, std::system_category()};
  return {};
}

/// The progress bar: "hashing [#####.....]  45.2%  1.8 GiB / 4.0 GiB  350.0 MiB/s  ETA 6s".
std::string hashing_line(std::int64_t done, std::int64_t total, double seconds) {
  const double frac = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
  std::string bar(24, '.');
  for (int i = 0; i < static_cast<int>(frac * 24); ++i) bar[static_cast<std::size_t>(i)] = '#';
  const auto rate = seconds > 0 ? static_cast<std::int64_t>(static_cast<double>(done) / seconds) : 0;
  std::optional<std::chrono::seconds> eta;
  if (rate > 0) eta = std::chrono::seconds((total - done) / rate);
  char line[200];
  std::snprintf(line, sizeof line, "hashing [%s] %5.1f%%  %s / %s  %s  ETA %s", bar.c_str(), frac * 100,
                format_bytes(done).c_str(), format_bytes(total).c_str(), format_rate(rate).c_str(),
                format_eta(eta).c_str());
  return line;
}

}  // namespace

int run_create(const create_command_options& opts) {
  create_torrent_params p;
  p.root = opts.path;
  p.kind = opts.v1 ? torrent_kind::v1 : opts.v2 ? torrent_kind::v2 : torrent_kind::hybrid;
  auto piece = parse_size_arg(opts.piece_size);
  if (!piece) {
    std::fprintf(stderr, "tessera: error: --piece-size %s: not a size (bytes, or with K or M: 256K, 4M; or auto)\n",
                 printable(opts.piece_size).c_str());
    return exit_bad_input;
  }
  p.piece_size = *piece;
  p.trackers = tracker_tiers(opts.trackers);
  p.web_seeds = opts.web_seeds;
  p.is_private = opts.is_private;
  p.comment = opts.comment;
  p.source = opts.source;
  if (opts.creator) p.creator = *opts.creator;
  if (opts.no_date) p.creation_date = -1;
  p.exclude = opts.exclude;
  p.threads = opts.threads;

  const std::string name = torrent_name(opts.path);
  const std::string output = !opts.output.empty() ? opts.output : (name.empty() ? "torrent" : name) + ".torrent";
  if (!opts.force && ::access(output.c_str(), F_OK) == 0) {
    std::fprintf(stderr, "tessera: error: %s exists (pass --force to overwrite it)\n", printable(output).c_str());
    return exit_bad_input;
  }

  install_signal_handlers();
  const bool tty = ::isatty(STDOUT_FILENO) != 0;
  progress_printer out(!tty);  // a bar on a terminal, nothing in a pipe or a log
  const auto started = std::chrono::steady_clock::now();
  p.progress = [&](std::int64_t done, std::int64_t total) {
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
    out.update(hashing_line(done, total, elapsed.count()));
    return !interrupted();
  };
  auto made = create_torrent(p);
  out.end_line();
  if (!made) {
    const auto& err = made.error();
    std::fprintf(stderr, "tessera: error: %s\n", printable(err.message()).c_str());
    if (err.code == create_errc::cancelled) return exit_interrupted;
    if (err.code.category() == std::system_category() && err.path != opts.path) return exit_storage;
    return err.code == create_errc::file_changed ? exit_storage : exit_bad_input;
  }
  if (auto ec = write_output(output, made->torrent, opts.force)) {
    std::fprintf(stderr, "tessera: error: %s: %s%s\n", printable(output).c_str(), ec.message().c_str(),
                 ec == std::errc::file_exists ? " (pass --force to overwrite it)" : "");
    return ec == std::errc::file_exists ? exit_bad_input : exit_storage;
  }
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
  std::printf("created:     %s (%s, %zu bytes)\n", printable(output).c_str(), kind_name(p.kind), made->torrent.size());
  std::printf("name:        %s\n", printable(made->name).c_str());
  if (made->info_hashes.has_v1()) std::printf("info-hash:   %s\n", made->info_hashes.v1.to_hex().c_str());
  if (made->info_hashes.has_v2()) std::printf("info-hash v2: %s\n", made->info_hashes.v2.to_hex().c_str());
  std::printf("files:       %lld (%s)\n", static_cast<long long>(made->num_files), format_bytes(made->total_size).c_str());
  std::printf("pieces:      %lld x %s\n", static_cast<long long>(made->num_pieces),
              format_bytes(made->piece_length).c_str());
  std::printf("hashed in:   %.1f s (%s)\n", elapsed.count(),
              format_rate(elapsed.count() > 0 ? static_cast<std::int64_t>(static_cast<double>(made->total_size) / elapsed.count()) : 0).c_str());
  for (const auto& s : made->skipped) std::printf("skipped:     %s\n", printable(s).c_str());
  return exit_ok;
}

}  // namespace tessera::cli
