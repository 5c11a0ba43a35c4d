// The internal side of the storage interface: the public declarations (tessera/storage.hpp)
// brought into tessera::detail, where the engine code names them, plus helpers the backends share.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <system_error>

#include "tessera/result.hpp"
#include "tessera/storage.hpp"
#include "tessera/torrent_info.hpp"

namespace tessera::detail {

class fd_cache;

using tessera::make_blob_storage;
using tessera::make_file_storage;
using tessera::make_memory_storage;
using tessera::storage;
using tessera::storage_error;
using tessera::storage_factory;
using tessera::to_string;

/// "<operation> <path>: <OS message>" (the path part left out when empty): the one format of
/// every disk error message.
std::string format_io_error(const char* operation, const std::string& path, std::error_code ec);

/// The checks every backend's read() starts with: how many bytes a read of `want` bytes at torrent
/// byte `offset` can return (clamped at the end of the torrent), or an invalid_argument
/// storage_error when `offset` is outside [0, total_size].
result<std::int64_t, storage_error> readable_length(const torrent_info& ti, std::int64_t offset,
                                                    std::size_t want);

/// Files on disk (see tessera::make_file_storage) whose descriptors live in `open_files`, a pool
/// shared with other storages (the session's: session_settings::max_open_files); not null. The
/// storage holds no descriptor outside the pool (the download directory is opened per use), and
/// its pooled files are dropped by close_all() and its destructor.
std::shared_ptr<storage> make_file_storage(std::shared_ptr<const torrent_info> ti,
                                           std::filesystem::path save_path,
                                           std::shared_ptr<fd_cache> open_files);

/// The storage add_torrent uses for a torrent: `factory(ti, save_path)`, or files on disk under
/// `save_path` when `factory` is empty, wrapped in a part_file_storage (part_file_storage.hpp)
/// so that skipped files are never created. Files on disk use the pool `open_files` when given
/// (the session's), else a pool of their own (64 files). Null when the factory returned null.
std::shared_ptr<storage> create_storage(const storage_factory& factory,
                                        std::shared_ptr<const torrent_info> ti,
                                        const std::filesystem::path& save_path,
                                        std::shared_ptr<fd_cache> open_files = nullptr);

}  // namespace tessera::detail
