// Resume data: format, strict decoding, the atomic writer, and the start-up trust rule (see
// resume_data.hpp).
#include "disk/resume_data.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <span>

#include "core/bencode.hpp"
#include "disk/file_ranges.hpp"
#include "disk/path_beneath.hpp"
#include "disk/posix.hpp"
#include "disk/storage.hpp"
#include "tessera/hasher.hpp"

namespace tessera::detail {

namespace {

constexpr std::string_view format_name = "tessera resume data";
/// Version 2 added the inode and ctime to the file stamps and the owned-files record. Version 1
/// files are still read (their stamps are dropped, see resume_data::legacy_stamps).
constexpr std::int64_t format_version = 2;
constexpr std::int64_t legacy_format_version = 1;

class resume_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tessera.resume"; }
  std::string message(int ev) const override {
    switch (static_cast<resume_errc>(ev)) {
      case resume_errc::bencode: return "resume file is not valid bencode";
      case resume_errc::not_a_dictionary: return "resume file is not a dictionary";
      case resume_errc::not_resume_data: return "not a tessera resume file";
      case resume_errc::unsupported_version: return "unsupported resume file version";
      case resume_errc::missing_field: return "resume file lacks a required field";
      case resume_errc::wrong_type: return "resume file field has the wrong type";
      case resume_errc::bad_info_hash: return "resume file info-hash is not 20 bytes (v1) or 32 bytes (v2)";
      case resume_errc::bad_bitfield: return "resume file piece bitfield has the wrong length";
      case resume_errc::bad_priority: return "resume file has a file priority outside 0..7";
      case resume_errc::bad_file_stamp: return "resume file has a malformed file stamp";
      case resume_errc::bad_counter: return "resume file has a negative counter";
      case resume_errc::info_hash_mismatch: return "resume file is for another torrent";
      case resume_errc::bad_info: return "resume file metadata is not a valid info dictionary";
      case resume_errc::piece_count_mismatch: return "resume file piece count does not match";
      case resume_errc::file_count_mismatch: return "resume file file count does not match";
      case resume_errc::too_large: return "resume file is too large";
    }
    return "unknown resume error";
  }
};


// Reads a required integer key (>= `min`) into *out.
std::optional<resume_errc> get_int(const bvalue& d, std::string_view key, std::int64_t* out,
                                   std::int64_t min = 0) {
  const bvalue* v = d.find(key);
  if (!v) return resume_errc::missing_field;
  if (!v->is_int()) return resume_errc::wrong_type;
  if (v->as_int() < min) return resume_errc::bad_counter;
  *out = v->as_int();
  return std::nullopt;
}

std::optional<resume_errc> get_string(const bvalue& d, std::string_view key,
                                      const std::string** out) {
  const bvalue* v = d.find(key);
  if (!v) return resume_errc::missing_field;
  if (!v->is_string()) return resume_errc::wrong_type;
  *out = &v->as_string();
  return std::nullopt;
}

std::optional<resume_errc> get_list(const bvalue& d, std::string_view key, const blist** out) {
  const bvalue* v = d.find(key);
  if (!v) return resume_errc::missing_field;
  if (!v->is_list()) return resume_errc::wrong_type;
  *out = &v->as_list();
  return std::nullopt;
}

// owned-files is ceil(files / 8) bytes: true when `owned` (8 bits per byte, as decoded) has that
// many bytes and no bit set past `files`; then it is cut to `files` entries. An empty record
// (no key) passes as it is, and so does one cut to `files` already.
bool trim_owned_files(std::vector<bool>& owned, std::size_t files) {
  if (owned.empty() || owned.size() == files) return true;
  if (owned.size() != (files + 7) / 8 * 8) return false;
  for (std::size_t i = files; i < owned.size(); ++i)
    if (owned[i]) return false;
  owned.resize(files);
  return true;
}

std::optional<resume_errc> decode_fields(std::string_view bytes, resume_data& rd) {
  auto doc = bdecode(bytes);
  if (!doc) return resume_errc::bencode;
  const bvalue& d = *doc;
  if (!d.is_dict()) return resume_errc::not_a_dictionary;

  const std::string* s = nullptr;
  if (auto e = get_string(d, "file-format", &s)) return resume_errc::not_resume_data;
  if (*s != format_name) return resume_errc::not_resume_data;
  std::int64_t version = 0;
  if (get_int(d, "file-version", &version)) return resume_errc::unsupported_version;
  if (version != format_version && version != legacy_format_version)
    return resume_errc::unsupported_version;
  const bool legacy = version == legacy_format_version;
  const std::size_t stamp_fields = legacy ? 3 : 6;

  // info-hash (v1) and info-hash2 (v2): each optional, one required.
  const bool has_v1 = d.find("info-hash") != nullptr, has_v2 = d.find("info-hash2") != nullptr;
  if (!has_v1 && !has_v2) return resume_errc::missing_field;
  if (has_v1) {
    if (auto e = get_string(d, "info-hash", &s)) return e;
    auto ih = sha1_hash::from_bytes(*s);
    if (!ih) return resume_errc::bad_info_hash;
    rd.info_hash.v1 = *ih;
  }
  if (has_v2) {
    if (auto e = get_string(d, "info-hash2", &s)) return e;
    auto ih = sha256_hash::from_bytes(*s);
    if (!ih) return resume_errc::bad_info_hash;
    rd.info_hash.v2 = *ih;
  }
  if (!rd.info_hash.has_v1() && !rd.info_hash.has_v2()) return resume_errc::bad_info_hash;

  std::int64_t num_pieces = 0;
  if (auto e = get_int(d, "num-pieces", &num_pieces)) return e;
  if (auto e = get_string(d, "pieces", &s)) return e;
  // Compare lengths before building anything: num-pieces may be absurd.
  if (static_cast<std::uint64_t>(num_pieces) > 0x7fffffffu ||
      static_cast<std::uint64_t>(s->size()) != (static_cast<std::uint64_t>(num_pieces) + 7) / 8)
    return resume_errc::bad_bitfield;
  if (!rd.pieces.assign({reinterpret_cast<const std::uint8_t*>(s->data()), s->size()},
                        static_cast<int>(num_pieces)))
    return resume_errc::bad_bitfield;

  const blist* l = nullptr;
  if (auto e = get_list(d, "file-priority", &l)) return e;
  rd.file_priorities.reserve(l->size());
  for (const bvalue& v : *l) {
    if (!v.is_int()) return resume_errc::wrong_type;
    if (v.as_int() < 0 || v.as_int() > 7) return resume_errc::bad_priority;
    rd.file_priorities.push_back(static_cast<std::int8_t>(v.as_int()));
  }

  if (auto e = get_string(d, "save-path", &s)) return e;
  rd.save_path = *s;

  if (auto e = get_list(d, "file-stamps", &l)) return e;
  rd.file_stamps.reserve(l->size());
  for (const bvalue& v : *l) {
    if (!v.is_list() || v.as_list().size() != stamp_fields) return resume_errc::bad_file_stamp;
    const blist& t = v.as_list();
    for (const bvalue& field : t)
      if (!field.is_int()) return resume_errc::bad_file_stamp;
    file_stamp st{t[0].as_int(), t[1].as_int(), t[2].as_int()};
    if (!legacy) {
      st.inode = t[3].as_int();
      st.ctime_sec = t[4].as_int();
      st.ctime_nsec = t[5].as_int();
    }
    if (st.size < -1 || st.mtime_nsec < 0 || st.mtime_nsec >= 1'000'000'000 ||
        st.ctime_nsec < 0 || st.ctime_nsec >= 1'000'000'000)
      return resume_errc::bad_file_stamp;
    rd.file_stamps.push_back(st);
  }
  if (!rd.file_priorities.empty() && !rd.file_stamps.empty() &&
      rd.file_priorities.size() != rd.file_stamps.size())
    return resume_errc::file_count_mismatch;
  const std::size_t num_files = rd.file_priorities.empty() ? rd.file_stamps.size() : rd.file_priorities.size();
  if (legacy) {
    // Size and mtime alone do not prove a file unchanged: hash every claimed piece once.
    rd.file_stamps.clear();
    rd.legacy_stamps = true;
  }

  if (const bvalue* owned = d.find("owned-files")) {
    if (!owned->is_string()) return resume_errc::wrong_type;
    const std::string& bits = owned->as_string();
    rd.owned_files.resize(bits.size() * 8);
    for (std::size_t i = 0; i < rd.owned_files.size(); ++i)
      rd.owned_files[i] = (static_cast<std::uint8_t>(bits[i / 8]) >> (7 - i % 8)) & 1;
    if (num_files != 0 && !trim_owned_files(rd.owned_files, num_files))
      return resume_errc::file_count_mismatch;
  }

  if (const bvalue* layers = d.find("piece-layers"); layers && layers->is_dict()) {
    // Lenient: a layer of the wrong shape is skipped; the torrent checks the rest against
    // their roots.
    for (const auto& [key, value] : layers->as_dict()) {
      auto root = sha256_hash::from_bytes(key);
      if (!root || !value.is_string()) continue;
      const std::string& raw = value.as_string();
      if (raw.empty() || raw.size() % sha256_hash::size != 0) continue;
      std::vector<sha256_hash> layer;
      layer.reserve(raw.size() / sha256_hash::size);
      for (std::size_t at = 0; at < raw.size(); at += sha256_hash::size)
        layer.push_back(*sha256_hash::from_bytes(std::string_view(raw).substr(at, sha256_hash::size)));
      rd.piece_layers.emplace(*root, std::move(layer));
    }
  }

  if (auto e = get_int(d, "uploaded", &rd.uploaded)) return e;
  if (auto e = get_int(d, "downloaded", &rd.downloaded)) return e;
  if (auto e = get_int(d, "active-seconds", &rd.active_seconds)) return e;
  if (auto e = get_int(d, "seeding-seconds", &rd.seeding_seconds)) return e;

  if (const bvalue* info = d.find("info")) {
    if (!info->is_dict()) return resume_errc::wrong_type;
    std::string_view raw = find_raw_value(bytes, "info");
    if (raw.empty()) return resume_errc::bad_info;
    const auto raw_bytes = std::as_bytes(std::span(raw));
    if ((rd.info_hash.has_v1() && sha1(raw_bytes) != rd.info_hash.v1) ||
        (rd.info_hash.has_v2() && sha256(raw_bytes) != rd.info_hash.v2))
      return resume_errc::info_hash_mismatch;
    auto ti = parse_info_dictionary(raw);
    if (!ti) return resume_errc::bad_info;
    if (ti->num_pieces() != rd.pieces.size()) return resume_errc::piece_count_mismatch;
    const std::size_t files = ti->files().size();
    if ((!rd.file_priorities.empty() && rd.file_priorities.size() != files) ||
        (!rd.file_stamps.empty() && rd.file_stamps.size() != files) ||
        !trim_owned_files(rd.owned_files, files))
      return resume_errc::file_count_mismatch;
    rd.info_bytes = std::string(raw);
  }
  return std::nullopt;
}

}  // namespace

const std::error_category& resume_category() noexcept {
  static const resume_category_impl category;
  return category;
}

std::string encode_resume_data(const resume_data& rd) {
  // Keys sort as: ... file-version < info < info-hash < ...; the two halves around `info` are
  // encoded as dictionaries and joined so that the info bytes go in untouched.
  bdict before, after;
  before["active-seconds"] = rd.active_seconds;
  before["downloaded"] = rd.downloaded;
  before["file-format"] = std::string(format_name);
  blist prio;
  for (auto p : rd.file_priorities) prio.emplace_back(static_cast<std::int64_t>(p));
  before["file-priority"] = std::move(prio);
  blist stamps;
  for (const auto& s : rd.file_stamps)
    stamps.emplace_back(blist{bvalue(s.size), bvalue(s.mtime_sec), bvalue(s.mtime_nsec),
                              bvalue(s.inode), bvalue(s.ctime_sec), bvalue(s.ctime_nsec)});
  before["file-stamps"] = std::move(stamps);
  before["file-version"] = format_version;

  if (rd.info_hash.has_v1()) after["info-hash"] = rd.info_hash.v1.to_bytes();
  if (rd.info_hash.has_v2()) after["info-hash2"] = rd.info_hash.v2.to_bytes();
  after["num-pieces"] = static_cast<std::int64_t>(rd.pieces.size());
  if (!rd.owned_files.empty()) {
    std::string owned((rd.owned_files.size() + 7) / 8, '\0');
    for (std::size_t i = 0; i < rd.owned_files.size(); ++i)
      if (rd.owned_files[i]) owned[i / 8] = static_cast<char>(owned[i / 8] | (0x80 >> (i % 8)));
    after["owned-files"] = std::move(owned);
  }
  if (!rd.piece_layers.empty()) {
    bdict layers;
    for (const auto& [root, layer] : rd.piece_layers) {
      std::string raw;
      raw.reserve(layer.size() * sha256_hash::size);
      for (const auto& h : layer) raw += h.to_bytes();
      layers[root.to_bytes()] = std::move(raw);
    }
    after["piece-layers"] = std::move(layers);
  }
  auto bits = rd.pieces.bytes();
  after["pieces"] = std::string(reinterpret_cast<const char*>(bits.data()), bits.size());
  after["save-path"] = rd.save_path;
  after["seeding-seconds"] = rd.seeding_seconds;
  after["uploaded"] = rd.uploaded;

  std::string a = bencode(bvalue(std::move(before)));
  std::string b = bencode(bvalue(std::move(after)));
  std::string out = a.substr(0, a.size() - 1);  // without the closing 'e'
  if (!rd.info_bytes.empty()) {
    out += "4:info";
    out += rd.info_bytes;
  }
  out.append(b, 1, std::string::npos);  // without the opening 'd'
  return out;
}

result<resume_data> decode_resume_data(std::string_view bytes) {
  resume_data rd;
  if (auto e = decode_fields(bytes, rd)) return unexpected{make_error_code(*e)};
  return rd;
}

result<resume_data> decode_resume_data(std::string_view bytes, const torrent_info& ti) {
  auto rd = decode_resume_data(bytes);
  if (!rd) return rd;
  if (!rd->info_hash.same_torrent(ti.info_hash()))
    return unexpected{make_error_code(resume_errc::info_hash_mismatch)};
  if (rd->pieces.size() != ti.num_pieces())
    return unexpected{make_error_code(resume_errc::piece_count_mismatch)};
  const std::size_t files = ti.files().size();
  if ((!rd->file_priorities.empty() && rd->file_priorities.size() != files) ||
      (!rd->file_stamps.empty() && rd->file_stamps.size() != files) ||
      !trim_owned_files(rd->owned_files, files))
    return unexpected{make_error_code(resume_errc::file_count_mismatch)};
  return rd;
}

// --- files --------------------------------------------------------------------------------------

const char* to_string(file_io_error::operation op) {
  using o = file_io_error::operation;
  switch (op) {
    case o::open: return "open";
    case o::create: return "create";
    case o::read: return "read";
    case o::write: return "write";
    case o::sync: return "sync";
    case o::rename: return "rename";
    case o::sync_dir: return "sync_dir";
    case o::stat: return "stat";
  }
  return "?";
}

std::string file_io_error::message() const { return format_io_error(to_string(op), path, ec); }

result<bool, file_io_error> write_file_atomically(const std::filesystem::path& target,
                                                  std::string_view bytes) {
  using o = file_io_error::operation;
  std::filesystem::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  std::string tmp = target.string() + ".tmp-XXXXXX";
  int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) return unexpected{file_io_error{errno_code(errno), o::create, tmp}};

  auto fail = [&](o op, int e, const std::string& path) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    return unexpected{file_io_error{errno_code(e), op, path}};
  };
  const char* p = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(o::write, errno, tmp);
    }
    if (n == 0) return fail(o::write, EIO, tmp);
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) return fail(o::sync, errno, tmp);
  int rc = ::close(fd);
  fd = -1;
  if (rc != 0 && errno != EINTR) return fail(o::write, errno, tmp);
  if (::rename(tmp.c_str(), target.c_str()) != 0) return fail(o::rename, errno, target.string());

  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return unexpected{file_io_error{errno_code(errno), o::sync_dir, dir.string()}};
  // Some file systems cannot fsync a directory (EINVAL): the rename is as durable as it gets there.
  if (::fsync(dfd) != 0 && errno != EINVAL) {
    int e = errno;
    ::close(dfd);
    return unexpected{file_io_error{errno_code(e), o::sync_dir, dir.string()}};
  }
  ::close(dfd);
  return true;
}

result<std::string, file_io_error> read_small_file(const std::filesystem::path& path,
                                                   std::size_t max_size) {
  using o = file_io_error::operation;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return unexpected{file_io_error{errno_code(errno), o::open, path.string()}};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return unexpected{file_io_error{errno_code(e), o::stat, path.string()}};
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return unexpected{file_io_error{std::make_error_code(std::errc::invalid_argument), o::open,
                                    path.string()}};
  }
  std::string out;
  char buf[64 * 1024];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return unexpected{file_io_error{errno_code(e), o::read, path.string()}};
    }
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > max_size) {
      ::close(fd);
      return unexpected{file_io_error{make_error_code(resume_errc::too_large), o::read,
                                      path.string()}};
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

std::vector<file_stamp> read_file_stamps(const torrent_info& ti,
                                         const std::filesystem::path& save_path) {
  std::vector<file_stamp> out(ti.files().size());
  int root = ::open(save_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  for (std::size_t i = 0; i < ti.files().size(); ++i) {
    const file_entry& f = ti.files()[i];
    if (f.pad) {
      out[i] = file_stamp{f.size, 0, 0, 0, 0, 0};
      continue;
    }
    if (root < 0 || !split_relative_path(f.path)) continue;
    int fd = open_beneath(root, f.path, O_PATH);
    if (fd < 0) continue;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
      out[i] = file_stamp{st.st_size,
                          st.st_mtim.tv_sec,
                          st.st_mtim.tv_nsec,
                          static_cast<std::int64_t>(st.st_ino),
                          st.st_ctim.tv_sec,
                          st.st_ctim.tv_nsec};
    ::close(fd);
  }
  if (root >= 0) ::close(root);
  return out;
}

// --- the start-up rule --------------------------------------------------------------------------

piece_trust decide_trusted_pieces(const torrent_info& ti, const resume_data& rd,
                                  std::span<const file_stamp> current) {
  const int n = ti.num_pieces();
  piece_trust out{bitfield(n), bitfield(n)};
  if (rd.pieces.size() != n) {  // the claims are about some other layout: check everything
    out.reverify.set_all();
    return out;
  }
  const std::size_t files = ti.files().size();
  const bool usable = rd.file_stamps.size() == files && current.size() == files;
  std::vector<bool> unchanged(files, false);
  if (usable)
    for (std::size_t i = 0; i < files; ++i)
      unchanged[i] = ti.files()[i].pad ||
                     (rd.file_stamps[i].size >= 0 && rd.file_stamps[i] == current[i]);

  for (int p = 0; p < n; ++p) {
    if (!rd.pieces.get(p)) continue;
    bool trust = usable;
    if (trust) {
      const std::int64_t offset = static_cast<std::int64_t>(p) * ti.piece_length();
      for_each_file_range(ti, offset, ti.piece_size(piece_index{p}), [&](file_range r) {
        const std::size_t f = static_cast<std::size_t>(r.file);
        if (ti.files()[f].pad) return true;
        trust = unchanged[f] && current[f].size >= r.file_offset + r.length;
        return trust;
      });
    }
    if (trust)
      out.trusted.set(p);
    else
      out.reverify.set(p);
  }
  return out;
}

}  // namespace tessera::detail
