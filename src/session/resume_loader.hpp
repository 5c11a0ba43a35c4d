// Finding and reading a torrent's resume data when it is added (session side of
// disk/resume_data.hpp). Runs on the caller's thread, before the torrent reaches the network
// thread.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "disk/resume_data.hpp"

namespace tessera::detail {

/// `<state_dir>/<info_hash.to_hex()>.resume` (v1's 40 hex digits when there is v1, so the files
/// of v1 torrents keep their names; else v2's 64); empty when state_dir is empty.
std::filesystem::path resume_path(const std::string& state_dir, const info_hash_t& info_hash);

struct loaded_resume {
  std::shared_ptr<const resume_data> data;     ///< null: none, unusable, or for another directory
  std::shared_ptr<const torrent_info> info;    ///< from the resume file's `info` (for magnets)
};

/// Reads and decodes the resume file of `info_hash` (against `ti` when given); a file for another
/// torrent (info_hash_t::same_torrent) is ignored. A missing file is
/// no resume data; a corrupt one, or one made for another save path, is logged and ignored (the
/// torrent is then checked in full): never an error. Blocking (one small file read).
loaded_resume load_resume(const std::string& state_dir, const info_hash_t& info_hash, const torrent_info* ti,
                          const std::filesystem::path& save_path);

}  // namespace tessera::detail
