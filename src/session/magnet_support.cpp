#include "session/magnet_support.hpp"

#include <filesystem>
#include <system_error>

#include <spdlog/spdlog.h>

#include "core/torrent_info_builder.hpp"
#include "disk/resume_data.hpp"

namespace tessera::detail {

std::shared_ptr<const torrent_info> magnet_stand_in(const add_torrent_params& params) {
  torrent_info_builder b;
  b.info_hash = params.info_hash;
  b.name = params.name.empty() ? params.info_hash.to_hex() : params.name;
  for (const auto& url : params.trackers) b.trackers.push_back({url});
  b.web_seeds = params.web_seeds;  // started once the metadata is known (tick_web_seeds)
  return std::make_shared<const torrent_info>(std::move(b).build());
}

void save_torrent_file(const std::string& dir, const info_hash_t& info_hash, const std::string& torrent_file) {
  if (dir.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    spdlog::warn("cannot save the fetched .torrent: mkdir {}: {}", dir, ec.message());
    return;
  }
  const auto target = std::filesystem::path(dir) / (info_hash.to_hex() + ".torrent");
  auto w = write_file_atomically(target, torrent_file);
  if (!w) {
    spdlog::warn("cannot save the fetched .torrent: {}", w.error().message());
    return;
  }
  spdlog::info("saved the fetched metadata as {}", target.string());
}

}  // namespace tessera::detail
