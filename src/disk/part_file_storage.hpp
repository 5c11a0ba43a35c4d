// A storage decorator that keeps skipped files' bytes out of the storage it wraps: bytes of a
// piece that fall into a skipped file go to a part file (part_file.hpp) instead, so a skipped file
// is never created, and move into the real file when the file is wanted again.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <vector>

#include "disk/file_ownership.hpp"
#include "disk/part_file.hpp"
#include "disk/storage.hpp"

namespace tessera::detail {

/// Rules:
/// - write(): for each piece the range covers: when it overlaps no skipped file (and is not held
///   in the part file), it goes to the inner storage as is. Otherwise the piece's bytes go to its
///   part-file slot (all of them, so that the slot alone can serve reads and the check), and the
///   bytes of its non-skipped files also go to the inner storage. The engine writes whole pieces.
/// - read(): a piece held in the part file is read from there, any other from the inner storage.
/// - on_disk_sizes(): the inner sizes, each file counted as long as the ranges that held pieces
///   cover, so that the start-up check reads (and verifies) held pieces.
/// - move_unskipped(): copies held pieces' bytes of files no longer skipped into the inner
///   storage, and releases pieces none of whose files is skipped (the part file is deleted once
///   empty).
/// Thread rules: as for any storage (tessera/storage.hpp); set_skipped() from any thread;
/// move_unskipped() on a disk thread (it waits for running reads and writes).
/// File ownership (file_ownership.hpp) is the inner storage's: every member forwards to it, and
/// does nothing (refuses nothing; owned_files() is empty) when the inner storage does not track it.
class part_file_storage final : public storage, public file_ownership {
 public:
  part_file_storage(std::shared_ptr<storage> inner, std::shared_ptr<const torrent_info> ti,
                    std::filesystem::path part_path);

  /// Per file (metainfo order; missing entries are not skipped): true = keep its bytes out of the
  /// inner storage. Takes effect for writes that start after it returns.
  void set_skipped(std::vector<bool> skipped);
  /// See the rules above. Errors come from the part file or the inner storage.
  result<bool, storage_error> move_unskipped();
  /// The part file's path ("<save_path>/.<info-hash hex>.parts" for the default storage).
  const std::filesystem::path& part_path() const { return parts_.path(); }
  /// Pieces held in the part file, ascending.
  std::vector<int> held_pieces() const { return parts_.pieces(); }
  const std::shared_ptr<storage>& inner() const { return inner_; }

  /// Initializes the inner storage, then loads the part file's index.
  result<bool, storage_error> initialize() override;
  result<bool, storage_error> write(std::int64_t offset, std::span<const std::uint8_t> data) override;
  result<std::size_t, storage_error> read(std::int64_t offset, std::span<std::uint8_t> out) override;
  result<bool, storage_error> flush() override;
  void close_all() override;
  std::vector<std::int64_t> on_disk_sizes() override;
  /// The inner storage's files, then the part file.
  result<bool, storage_error> remove_files() override;
  /// The inner storage's files, then the part file to part_file_path(ti, new_save_path).
  result<bool, storage_error> move_files(const std::filesystem::path& new_save_path) override;
  /// The inner storage's (the part file is named after the info-hash: it stays).
  result<bool, storage_error> rename_path(const std::string& from, const std::string& to) override {
    return inner_->rename_path(from, to);
  }

  std::vector<bool> owned_files() const override;
  void adopt_files(const std::vector<bool>& files) override;
  void set_overwrite_existing(bool allow) override;
  result<bool, storage_error> check_writable(const std::vector<bool>& files) override;
  std::optional<storage_error> create_links() override;

 private:
  using flags = std::vector<bool>;
  /// The skip flags now (an immutable snapshot: set_skipped swaps in a new vector).
  std::shared_ptr<const flags> snapshot() const;
  /// True when [offset, offset+length) touches a skipped non-padding file.
  bool touches_skipped(const flags& skip, std::int64_t offset, std::int64_t length) const;
  /// Writes the parts of `data` (at torrent byte `offset`) that lie in non-skipped files to the
  /// inner storage, one write per run of such files.
  result<bool, storage_error> write_wanted(const flags& skip, std::int64_t offset,
                                           std::span<const std::uint8_t> data);

  std::shared_ptr<storage> inner_;
  file_ownership* inner_ownership_;  // ownership_of(*inner_), or null
  std::shared_ptr<const torrent_info> ti_;
  part_file parts_;
  /// Shared by reads and writes, exclusive for move_unskipped, so that a move never races a write
  /// that decided where its bytes go under the old flags.
  std::shared_mutex io_mutex_;
  mutable std::mutex skip_mutex_;  // guards the pointer below, never held during I/O
  std::shared_ptr<const flags> skipped_;  // one entry per file; all false at first
};

/// Wraps `inner` with a part file at `part_path`.
std::shared_ptr<part_file_storage> make_part_file_storage(std::shared_ptr<storage> inner,
                                                          std::shared_ptr<const torrent_info> ti,
                                                          std::filesystem::path part_path);

/// "<save_path>/.<info-hash hex>.parts".
std::filesystem::path part_file_path(const torrent_info& ti, const std::filesystem::path& save_path);

}  // namespace tessera::detail
