#include "session/resume_loader.hpp"

#include <spdlog/spdlog.h>

#include "core/torrent_info_builder.hpp"

namespace tessera::detail {

std::filesystem::path resume_path(const std::string& state_dir, const info_hash_t& info_hash) {
  if (state_dir.empty()) return {};
  return std::filesystem::path(state_dir) / (info_hash.to_hex() + ".resume");
}

loaded_resume load_resume(const std::string& state_dir, const info_hash_t& info_hash, const torrent_info* ti,
                          const std::filesystem::path& save_path) {
  loaded_resume out;
  const auto path = resume_path(state_dir, info_hash);
  if (path.empty()) return out;
  auto bytes = read_small_file(path);
  if (!bytes) {
    if (bytes.error().ec != std::errc::no_such_file_or_directory) {
      spdlog::warn("resume data {} unreadable ({}): checking every piece", path.string(), bytes.error().message());
    }
    return out;
  }
  auto rd = ti ? decode_resume_data(*bytes, *ti) : decode_resume_data(*bytes);
  if (!rd) {
    spdlog::warn("resume data {} is corrupt ({}): checking every piece", path.string(), rd.error().message());
    return out;
  }
  if (!rd->info_hash.same_torrent(info_hash)) {
    spdlog::warn("resume data {} is for another torrent: ignored", path.string());
    return out;
  }
  if (std::filesystem::path(rd->save_path).lexically_normal() != save_path.lexically_normal()) {
    spdlog::info("resume data {} is for {}, not {}: ignored", path.string(), rd->save_path, save_path.string());
    return out;
  }
  if (!ti && !rd->info_bytes.empty()) {
    auto parsed = parse_info_dictionary(rd->info_bytes);
    // The decoder checked the info bytes against every hash of the file, which names the same
    // torrent as the magnet; the torrent keeps the magnet's hashes (as after a metadata fetch).
    if (parsed) {
      out.info = std::make_shared<const torrent_info>(
          edited(*parsed, [&](torrent_info_builder& b) { b.info_hash = info_hash; }));
      // Decoded without the torrent: check it against the metadata now.
      auto again = decode_resume_data(*bytes, *out.info);
      if (!again) {
        out.info.reset();
        return out;
      }
      rd = std::move(again);
    }
  }
  out.data = std::make_shared<const resume_data>(std::move(*rd));
  return out;
}

}  // namespace tessera::detail
