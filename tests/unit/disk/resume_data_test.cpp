// Tests of resume data: the bencoded format round trip, strict rejection of every kind of
// corruption, the atomic writer (old or new contents, never a mix), file stamps, and the rule
// that decides which claimed pieces are trusted without hashing.
#include "disk/resume_data.hpp"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <random>

#include "core/bencode.hpp"
#include "core/torrent_info_builder.hpp"
#include "disk_test_util.hpp"
#include "tessera/hasher.hpp"

namespace tessera::detail {
namespace {

namespace fs = std::filesystem;
using test::temp_dir;

// A valid v1 info dictionary: one 100-byte file in 32-byte pieces (4 pieces).
std::string sample_info() {
  std::string info = "d6:lengthi100e4:name5:a.bin12:piece lengthi32e6:pieces80:";
  info += std::string(80, 'h');
  info += 'e';
  return info;
}

info_hash_t v1_of(std::string_view s) { return info_hash_t::from_v1(sha1(s)); }

resume_data sample(bool with_info = true) {
  resume_data rd;
  rd.info_bytes = with_info ? sample_info() : "";
  rd.info_hash = v1_of(sample_info());
  rd.pieces = bitfield(4);
  rd.pieces.set(0);
  rd.pieces.set(3);
  rd.file_priorities = {4};
  rd.save_path = "/srv/downloads";
  rd.file_stamps = {{100, 1'700'000'000, 123'456'789, 4242, 1'700'000'001, 5}};
  rd.owned_files = {true};
  rd.uploaded = 5'000'000'000;
  rd.downloaded = 100;
  rd.active_seconds = 3600;
  rd.seeding_seconds = 60;
  return rd;
}

std::error_code decode_error(std::string_view bytes) {
  auto r = decode_resume_data(bytes);
  return r ? std::error_code{} : r.error();
}

// --- format -------------------------------------------------------------------------------------

TEST(ResumeData, RoundTripKeepsEveryField) {
  for (bool with_info : {true, false}) {
    resume_data rd = sample(with_info);
    auto back = decode_resume_data(encode_resume_data(rd));
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ(*back, rd);
  }
}

TEST(ResumeData, InfoBytesAreStoredVerbatimSoTheirHashIsKept) {
  std::string enc = encode_resume_data(sample());
  EXPECT_EQ(find_raw_value(enc, "info"), sample_info());
  // And the whole file is canonical bencode (sorted keys).
  bdecode_limits strict;
  strict.strict_key_order = true;
  EXPECT_TRUE(bdecode(enc, strict));
}

TEST(ResumeData, V1FilesKeepTheirFormat) {
  // A v1 torrent writes `info-hash` (20 bytes) and nothing for v2: files of earlier versions and
  // of this one are the same.
  const std::string enc = encode_resume_data(sample(false));
  EXPECT_NE(enc.find("9:info-hash20:"), std::string::npos) << enc;
  EXPECT_EQ(enc.find("10:info-hash2"), std::string::npos) << enc;
}

TEST(ResumeData, V2AndHybridInfoHashesRoundTrip) {
  for (bool v1 : {false, true}) {
    resume_data rd = sample(true);
    rd.info_hash.v1 = v1 ? sha1(sample_info()) : sha1_hash{};
    rd.info_hash.v2 = sha256(sample_info());
    const std::string enc = encode_resume_data(rd);
    EXPECT_NE(enc.find("10:info-hash232:"), std::string::npos) << enc;
    EXPECT_EQ(enc.find("9:info-hash20:") != std::string::npos, v1) << enc;
    auto back = decode_resume_data(enc);
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ(*back, rd);
  }
}

// BEP 52 piece layers received from peers round-trip; a layer of the wrong shape is skipped
// alone (the torrent checks the others against their roots).
TEST(ResumeData, PieceLayersRoundTripAndAMisshapenOneIsSkippedAlone) {
  resume_data rd = sample(true);
  rd.info_hash.v2 = sha256(sample_info());
  rd.info_hash.v1 = {};
  const sha256_hash r1 = sha256("root one"), r2 = sha256("root two");
  rd.piece_layers[r1] = {sha256("a"), sha256("b"), sha256("c")};
  rd.piece_layers[r2] = {sha256("d"), sha256("e")};
  std::string enc = encode_resume_data(rd);
  auto back = decode_resume_data(enc);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, rd);
  // The second layer cut by one byte (its length prefix fixed to match): only it is lost.
  const std::string whole = "64:" + sha256("d").to_bytes() + sha256("e").to_bytes();
  const auto at = enc.find(whole);
  ASSERT_NE(at, std::string::npos);
  enc.replace(at, whole.size(), "63:" + whole.substr(3, 63));
  back = decode_resume_data(enc);
  ASSERT_TRUE(back) << back.error().message();
  ASSERT_EQ(back->piece_layers.size(), 1u);
  EXPECT_EQ(back->piece_layers.at(r1), rd.piece_layers.at(r1));
  EXPECT_EQ(back->pieces, rd.pieces);
}

TEST(ResumeData, MagnetWithoutMetadataRoundTrips) {
  resume_data rd;
  rd.info_hash = v1_of("x");
  rd.save_path = "dl";
  auto back = decode_resume_data(encode_resume_data(rd));
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, rd);
  EXPECT_EQ(back->pieces.size(), 0);
}

TEST(ResumeData, DecodeAgainstTheTorrentChecksHashPiecesAndFiles) {
  std::vector<std::uint8_t> content;
  auto ti = test::make_torrent({{"a.bin", 100}}, 32, content);
  ti = std::make_shared<tessera::torrent_info>(tessera::detail::edited(*ti, [&](auto& tb) {
    tb.info_hash = v1_of(sample_info());
  }));
  std::string enc = encode_resume_data(sample(false));
  EXPECT_TRUE(decode_resume_data(enc, *ti));

  auto other = *ti;
  other = tessera::detail::edited(other, [](auto& tb) { tb.info_hash = v1_of("another torrent"); });
  EXPECT_EQ(decode_resume_data(enc, other).error(), resume_errc::info_hash_mismatch);

  // A file saved with v1 alone fits the hybrid torrent of that v1; one with another v2 does not.
  auto hybrid = *ti;
  hybrid = tessera::detail::edited(hybrid, [](auto& tb) { tb.info_hash.v2 = sha256(sample_info()); });
  EXPECT_TRUE(decode_resume_data(enc, hybrid));
  resume_data wrong_v2 = sample(false);
  wrong_v2.info_hash.v2 = sha256("another torrent");
  EXPECT_EQ(decode_resume_data(encode_resume_data(wrong_v2), hybrid).error(), resume_errc::info_hash_mismatch);

  auto fewer = test::make_torrent({{"a.bin", 64}}, 32, content = {});
  fewer = std::make_shared<tessera::torrent_info>(
      tessera::detail::edited(*fewer, [&](auto& tb) { tb.info_hash = ti->info_hash(); }));
  EXPECT_EQ(decode_resume_data(enc, *fewer).error(), resume_errc::piece_count_mismatch);

  auto two = test::make_torrent({{"t/a", 50}, {"t/b", 50}}, 32, content = {});
  two = std::make_shared<tessera::torrent_info>(
      tessera::detail::edited(*two, [&](auto& tb) { tb.info_hash = ti->info_hash(); }));
  EXPECT_EQ(decode_resume_data(enc, *two).error(), resume_errc::file_count_mismatch);
}

// --- corruption ---------------------------------------------------------------------------------

TEST(ResumeDataCorrupt, EveryTruncationIsAnError) {
  std::string enc = encode_resume_data(sample());
  for (std::size_t n = 0; n < enc.size(); ++n)
    EXPECT_TRUE(decode_error(enc.substr(0, n))) << "prefix of " << n << " bytes was accepted";
  EXPECT_EQ(decode_error(enc + "x"), resume_errc::bencode);
}

// What a crash in the middle of a non-atomic write would leave: a prefix of a valid file, read
// back from disk, decoded against the torrent as the session does at add time.
TEST(ResumeDataCorrupt, EveryTruncatedFileOnDiskIsRejectedWithAResumeError) {
  std::vector<std::uint8_t> content;
  auto ti = test::make_torrent({{"a.bin", 100}}, 32, content);
  ti = std::make_shared<tessera::torrent_info>(tessera::detail::edited(*ti, [&](auto& tb) {
    tb.info_hash = v1_of(sample_info());
  }));
  resume_data rd = sample(false);
  rd.info_hash = ti->info_hash();
  const std::string enc = encode_resume_data(rd);
  ASSERT_TRUE(decode_resume_data(enc, *ti));
  temp_dir dir;
  const fs::path file = dir.path / "x.resume";
  for (std::size_t n = 0; n < enc.size(); ++n) {
    std::ofstream(file, std::ios::binary | std::ios::trunc).write(enc.data(), static_cast<std::streamsize>(n));
    auto bytes = read_small_file(file);
    ASSERT_TRUE(bytes) << bytes.error().message();
    ASSERT_EQ(bytes->size(), n);
    auto r = decode_resume_data(*bytes, *ti);
    ASSERT_FALSE(r) << "prefix of " << n << " bytes was accepted";
    EXPECT_EQ(&r.error().category(), &resume_category()) << "prefix of " << n << " bytes";
  }
}

TEST(ResumeDataCorrupt, RandomBytesAndBitFlipsNeverCrash) {
  std::mt19937 rng(42);
  for (int i = 0; i < 2000; ++i) {
    std::string junk(rng() % 300, '\0');
    for (auto& c : junk) c = static_cast<char>(rng());
    EXPECT_TRUE(decode_error(junk));
  }
  // Flipped bytes in a valid file: each result is an error or a value, never a crash.
  std::string enc = encode_resume_data(sample());
  int accepted = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string m = enc;
    m[rng() % m.size()] = static_cast<char>(rng());
    if (decode_resume_data(m)) ++accepted;
  }
  EXPECT_LT(accepted, 5000);
}

TEST(ResumeDataCorrupt, ValidBencodeOfTheWrongShapeIsRejected) {
  EXPECT_EQ(decode_error("li1ei2ee"), resume_errc::not_a_dictionary);
  EXPECT_EQ(decode_error("i42e"), resume_errc::not_a_dictionary);
  EXPECT_EQ(decode_error("4:spam"), resume_errc::not_a_dictionary);
  EXPECT_EQ(decode_error("de"), resume_errc::not_resume_data);
  // A .torrent file is not a resume file.
  EXPECT_EQ(decode_error("d4:info" + sample_info() + "e"), resume_errc::not_resume_data);
}

// Decodes the sample, lets `edit` change its dictionary, and returns the error of the result.
template <class Edit>
std::error_code mutated(Edit edit, bool with_info = true) {
  auto doc = bdecode(encode_resume_data(sample(with_info)));
  EXPECT_TRUE(doc);
  edit(doc->as_dict());
  return decode_error(bencode(*doc));
}

TEST(ResumeDataCorrupt, FormatAndVersionAreChecked) {
  EXPECT_EQ(mutated([](bdict& d) { d["file-format"] = "other"; }), resume_errc::not_resume_data);
  EXPECT_EQ(mutated([](bdict& d) { d["file-format"] = 1; }), resume_errc::not_resume_data);
  EXPECT_EQ(mutated([](bdict& d) { d["file-version"] = 3; }), resume_errc::unsupported_version);
  EXPECT_EQ(mutated([](bdict& d) { d.erase("file-version"); }), resume_errc::unsupported_version);
}

TEST(ResumeDataCorrupt, EveryRequiredKeyMissingIsAnError) {
  for (const char* key : {"info-hash", "num-pieces", "pieces", "file-priority", "save-path",
                          "file-stamps", "uploaded", "downloaded", "active-seconds",
                          "seeding-seconds"}) {
    EXPECT_EQ(mutated([&](bdict& d) { d.erase(key); }), resume_errc::missing_field) << key;
  }
}

TEST(ResumeDataCorrupt, EveryKeyWithTheWrongTypeIsAnError) {
  for (const char* key : {"info-hash", "pieces", "save-path"})
    EXPECT_EQ(mutated([&](bdict& d) { d[key] = 7; }), resume_errc::wrong_type) << key;
  for (const char* key : {"num-pieces", "uploaded", "downloaded", "active-seconds",
                          "seeding-seconds"})
    EXPECT_EQ(mutated([&](bdict& d) { d[key] = "7"; }), resume_errc::wrong_type) << key;
  for (const char* key : {"file-priority", "file-stamps"})
    EXPECT_EQ(mutated([&](bdict& d) { d[key] = bdict{}; }), resume_errc::wrong_type) << key;
  EXPECT_EQ(mutated([](bdict& d) { d["file-priority"] = blist{"4"}; }), resume_errc::wrong_type);
  EXPECT_EQ(mutated([](bdict& d) { d["info"] = "d1:xi1ee"; }), resume_errc::wrong_type);
}

TEST(ResumeDataCorrupt, BadValuesAreRejected) {
  EXPECT_EQ(mutated([](bdict& d) { d["info-hash"] = std::string(19, 'x'); }),
            resume_errc::bad_info_hash);
  EXPECT_EQ(mutated([](bdict& d) { d["info-hash"] = std::string(20, '\0'); }, false),
            resume_errc::bad_info_hash);  // all zero names no torrent
  EXPECT_EQ(mutated([](bdict& d) { d["info-hash2"] = std::string(20, 'x'); }, false),
            resume_errc::bad_info_hash);  // a v2 info-hash is 32 bytes
  EXPECT_EQ(mutated([](bdict& d) { d["info-hash2"] = 5; }, false), resume_errc::wrong_type);
  EXPECT_EQ(mutated([](bdict& d) { d.erase("info-hash"); }, false), resume_errc::missing_field);
  EXPECT_EQ(mutated([](bdict& d) { d["uploaded"] = -1; }), resume_errc::bad_counter);
  EXPECT_EQ(mutated([](bdict& d) { d["seeding-seconds"] = -5; }), resume_errc::bad_counter);
  EXPECT_EQ(mutated([](bdict& d) { d["num-pieces"] = -4; }), resume_errc::bad_counter);
  EXPECT_EQ(mutated([](bdict& d) { d["file-priority"] = blist{8}; }), resume_errc::bad_priority);
  EXPECT_EQ(mutated([](bdict& d) { d["file-priority"] = blist{-1}; }), resume_errc::bad_priority);
}

TEST(ResumeDataCorrupt, BitfieldMustMatchThePieceCount) {
  // 4 pieces need exactly one byte, with the low 4 bits clear.
  EXPECT_EQ(mutated([](bdict& d) { d["pieces"] = std::string(2, '\0'); }),
            resume_errc::bad_bitfield);
  EXPECT_EQ(mutated([](bdict& d) { d["pieces"] = std::string(); }), resume_errc::bad_bitfield);
  EXPECT_EQ(mutated([](bdict& d) { d["pieces"] = std::string(1, '\x01'); }),
            resume_errc::bad_bitfield);
  EXPECT_EQ(mutated([](bdict& d) { d["num-pieces"] = std::int64_t{1} << 40; }),
            resume_errc::bad_bitfield);
  // Consistent bitfield but a piece count that disagrees with the stored metadata.
  EXPECT_EQ(mutated([](bdict& d) {
              d["num-pieces"] = 8;
              d["pieces"] = std::string(1, '\xff');
            }),
            resume_errc::piece_count_mismatch);
}

TEST(ResumeDataCorrupt, FileStampsMustBeWellFormed) {
  auto with_stamp = [](blist stamp) {
    return mutated([&](bdict& d) { d["file-stamps"] = blist{bvalue(std::move(stamp))}; });
  };
  EXPECT_EQ(with_stamp({1, 2, 3}), resume_errc::bad_file_stamp);  // version 1's stamp in version 2
  EXPECT_EQ(with_stamp({1, 2, 3, 4, 5, 6, 7}), resume_errc::bad_file_stamp);
  EXPECT_EQ(with_stamp({1, "2", 3, 4, 5, 6}), resume_errc::bad_file_stamp);
  EXPECT_EQ(with_stamp({-2, 2, 3, 4, 5, 6}), resume_errc::bad_file_stamp);
  EXPECT_EQ(with_stamp({1, 2, 1'000'000'000, 4, 5, 6}), resume_errc::bad_file_stamp);
  EXPECT_EQ(with_stamp({1, 2, -1, 4, 5, 6}), resume_errc::bad_file_stamp);
  EXPECT_EQ(with_stamp({1, 2, 3, 4, 5, 1'000'000'000}), resume_errc::bad_file_stamp);
  EXPECT_EQ(with_stamp({1, 2, 3, 4, 5, -1}), resume_errc::bad_file_stamp);
  EXPECT_EQ(mutated([](bdict& d) { d["file-stamps"] = blist{7}; }), resume_errc::bad_file_stamp);
  EXPECT_FALSE(with_stamp({-1, 0, 0, 0, 0, 0}));  // a missing file is a valid stamp
  // Priorities and stamps for different numbers of files.
  EXPECT_EQ(mutated([](bdict& d) { d["file-priority"] = blist{4, 4}; }, false),
            resume_errc::file_count_mismatch);
  // With metadata: one file, so two stamps are wrong even without priorities.
  EXPECT_EQ(mutated([](bdict& d) {
              d["file-priority"] = blist{};
              d["file-stamps"] = blist{blist{1, 2, 3, 4, 5, 6}, blist{1, 2, 3, 4, 5, 6}};
            }),
            resume_errc::file_count_mismatch);
}

TEST(ResumeDataCorrupt, OwnedFilesMustMatchTheFileCount) {
  // One file: one byte, only its high bit may be set.
  EXPECT_EQ(mutated([](bdict& d) { d["owned-files"] = std::string(2, '\0'); }),
            resume_errc::file_count_mismatch);
  EXPECT_EQ(mutated([](bdict& d) { d["owned-files"] = std::string(1, '\x40'); }),
            resume_errc::file_count_mismatch);
  EXPECT_EQ(mutated([](bdict& d) { d["owned-files"] = 1; }), resume_errc::wrong_type);
  EXPECT_FALSE(mutated([](bdict& d) { d.erase("owned-files"); }));  // optional
  // Without metadata the priorities tell the file count.
  EXPECT_EQ(mutated([](bdict& d) { d["owned-files"] = std::string(1, '\x40'); }, false),
            resume_errc::file_count_mismatch);
}

TEST(ResumeData, VersionOneFilesAreReadButTheirStampsAreNotTrusted) {
  auto doc = bdecode(encode_resume_data(sample()));
  ASSERT_TRUE(doc);
  bdict& d = doc->as_dict();
  d["file-version"] = 1;
  d["file-stamps"] = blist{blist{100, 1'700'000'000, 123'456'789}};
  d.erase("owned-files");
  auto rd = decode_resume_data(bencode(*doc));
  ASSERT_TRUE(rd) << rd.error().message();
  EXPECT_TRUE(rd->legacy_stamps);
  EXPECT_TRUE(rd->file_stamps.empty()) << "size and mtime alone must not vouch for a piece";
  EXPECT_TRUE(rd->owned_files.empty());
  EXPECT_EQ(rd->pieces, sample().pieces);
  EXPECT_EQ(rd->file_priorities, sample().file_priorities);
  EXPECT_EQ(rd->uploaded, sample().uploaded);
  // The next save writes version 2.
  EXPECT_NE(encode_resume_data(*rd).find("12:file-versioni2e"), std::string::npos);
}

// Builds a resume file by hand with `info` spliced in and `hash` as info-hash.
std::string with_info(const std::string& info, const info_hash_t& hash, int pieces = 4) {
  resume_data rd = sample(false);
  rd.info_hash = hash;
  rd.pieces = bitfield(pieces);
  rd.info_bytes = info;
  return encode_resume_data(rd);
}

TEST(ResumeDataCorrupt, InfoMustHashToTheV2InfoHashToo) {
  const std::string info = sample_info();
  // v2 alone and hybrid: SHA-256 of `info` must equal info-hash2 (BEP 52).
  EXPECT_FALSE(decode_error(with_info(info, info_hash_t{{}, sha256(info)})));
  EXPECT_FALSE(decode_error(with_info(info, info_hash_t{sha1(info), sha256(info)})));
  EXPECT_EQ(decode_error(with_info(info, info_hash_t{{}, sha256("other")})), resume_errc::info_hash_mismatch);
  EXPECT_EQ(decode_error(with_info(info, info_hash_t{sha1(info), sha256("other")})),
            resume_errc::info_hash_mismatch);
}

TEST(ResumeDataCorrupt, InfoMustHashToTheInfoHashAndParse) {
  std::string info = sample_info();
  EXPECT_FALSE(decode_error(with_info(info, v1_of(info))));
  EXPECT_EQ(decode_error(with_info(info, v1_of("other"))), resume_errc::info_hash_mismatch);
  std::string altered = info;
  altered[altered.size() - 2] = 'H';  // one piece hash byte changed
  EXPECT_EQ(decode_error(with_info(altered, v1_of(info))), resume_errc::info_hash_mismatch);
  // Hashes right but is not a usable info dictionary.
  std::string not_info = "d1:xi1ee";
  EXPECT_EQ(decode_error(with_info(not_info, v1_of(not_info))), resume_errc::bad_info);
  // An info that is not bencode at all makes the whole file invalid.
  EXPECT_EQ(decode_error(with_info("d3:abc", v1_of("d3:abc"))), resume_errc::bencode);
}

// --- files --------------------------------------------------------------------------------------

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

int count_entries(const fs::path& dir) {
  int n = 0;
  for ([[maybe_unused]] auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

TEST(AtomicWrite, CreatesThenReplacesAndLeavesNoTemporaryFile) {
  temp_dir dir;
  fs::path target = dir.path / "abc.resume";
  ASSERT_TRUE(write_file_atomically(target, "old contents"));
  EXPECT_EQ(slurp(target), "old contents");
  auto w = write_file_atomically(target, encode_resume_data(sample()));
  ASSERT_TRUE(w) << w.error().message();
  auto r = read_small_file(target);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*decode_resume_data(*r), sample());
  EXPECT_EQ(count_entries(dir.path), 1);
  EXPECT_EQ(fs::status(target).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
}

TEST(AtomicWrite, EmptyContentsAreWritten) {
  temp_dir dir;
  ASSERT_TRUE(write_file_atomically(dir.path / "e", ""));
  EXPECT_EQ(fs::file_size(dir.path / "e"), 0u);
}

// Runs `body` in a child process and returns its exit code (the child's failures are codes).
template <class Body>
int in_child(Body body) {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

TEST(AtomicWrite, FailureInTheMiddleOfTheWriteLeavesTheOldFileIntact) {
  temp_dir dir;
  fs::path target = dir.path / "abc.resume";
  ASSERT_TRUE(write_file_atomically(target, "old contents"));
  // A file size limit of 4 KiB makes the write of 64 KiB fail part way (EFBIG), as a full disk
  // would. In a child, so that the limit does not outlive the test.
  const std::string big(64 * 1024, 'n');
  int code = in_child([&] {
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit lim{4096, 4096};
    if (::setrlimit(RLIMIT_FSIZE, &lim) != 0) return 77;
    auto w = write_file_atomically(target, big);
    if (w) return 1;
    if (w.error().op != file_io_error::operation::write) return 2;
    if (w.error().ec != std::errc::file_too_large) return 3;
    return 0;
  });
  if (code == 77) GTEST_SKIP() << "cannot set RLIMIT_FSIZE";
  EXPECT_EQ(code, 0) << "1: no error, 2: wrong op, 3: wrong errno";
  EXPECT_EQ(slurp(target), "old contents");
  EXPECT_EQ(count_entries(dir.path), 1) << "temporary file left behind";
}

TEST(AtomicWrite, UnwritableDirectoryIsACreateErrorAndTheOldFileStays) {
  temp_dir dir;
  fs::path target = dir.path / "abc.resume";
  ASSERT_TRUE(write_file_atomically(target, "old contents"));
  ASSERT_EQ(::chmod(dir.path.c_str(), 0555), 0);
  // The tests run as root, which ignores permission bits: the child drops to "nobody" first.
  int code = in_child([&] {
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) return 77;
    auto w = write_file_atomically(target, "new contents");
    if (w) return 1;
    if (w.error().op != file_io_error::operation::create) return 2;
    if (w.error().ec != std::errc::permission_denied) return 3;
    if (w.error().path.rfind(target.string() + ".tmp-", 0) != 0) return 4;
    return 0;
  });
  ::chmod(dir.path.c_str(), 0755);
  if (code == 77) GTEST_SKIP() << "cannot drop privileges";
  EXPECT_EQ(code, 0) << "1: no error, 2: wrong op, 3: wrong errno, 4: wrong path";
  EXPECT_EQ(slurp(target), "old contents");
}

TEST(AtomicWrite, FailedRenameRemovesTheTemporaryFile) {
  temp_dir dir;
  fs::path target = dir.path / "taken";
  fs::create_directories(target / "inside");  // a non-empty directory cannot be renamed over
  auto w = write_file_atomically(target, "x");
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().op, file_io_error::operation::rename);
  EXPECT_EQ(w.error().path, target.string());
  EXPECT_EQ(count_entries(dir.path), 1);
  EXPECT_TRUE(fs::is_directory(target / "inside"));
}

TEST(AtomicWrite, MissingDirectoryIsAnError) {
  temp_dir dir;
  auto w = write_file_atomically(dir.path / "no/such/dir/f", "x");
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().op, file_io_error::operation::create);
  EXPECT_EQ(w.error().ec, std::errc::no_such_file_or_directory);
}

TEST(ReadSmallFile, MissingTooLargeAndNotARegularFile) {
  temp_dir dir;
  auto missing = read_small_file(dir.path / "none");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().op, file_io_error::operation::open);
  EXPECT_EQ(missing.error().ec, std::errc::no_such_file_or_directory);

  ASSERT_TRUE(write_file_atomically(dir.path / "big", std::string(1000, 'b')));
  auto big = read_small_file(dir.path / "big", 999);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().ec, resume_errc::too_large);
  EXPECT_EQ(read_small_file(dir.path / "big", 1000)->size(), 1000u);

  EXPECT_FALSE(read_small_file(dir.path));
}

// --- stamps and the trust rule ------------------------------------------------------------------

// Piece 0 = t/a [0,10) + padding [10,16) + t/b [16,32); piece 1 = t/b + t/c; piece 2 = t/c.
const std::vector<test::file_spec> three_files = {
    {"t/a", 10}, {"t/.pad/6", 6, true}, {"t/b", 20}, {"t/c", 30}};

class TrustedPieces : public ::testing::Test {
 protected:
  temp_dir dir;
  std::vector<std::uint8_t> content;
  std::shared_ptr<torrent_info> ti = test::make_torrent(three_files, 32, content);

  void SetUp() override {
    fs::create_directories(dir.path / "t");
    for (int f : {0, 2, 3}) {
      const auto& e = ti->files()[f];
      std::ofstream(dir.path / e.path, std::ios::binary)
          .write(reinterpret_cast<const char*>(content.data() + e.offset), e.size);
    }
  }

  // Resume data claiming every piece, with the stamps as the files are now.
  resume_data saved() {
    resume_data rd;
    rd.info_hash = ti->info_hash();
    rd.pieces = bitfield(ti->num_pieces(), true);
    rd.file_stamps = read_file_stamps(*ti, dir.path);
    return rd;
  }

  void set_mtime(const std::string& rel, std::int64_t sec, long nsec) {
    timespec ts[2] = {{0, UTIME_OMIT}, {static_cast<time_t>(sec), nsec}};
    ASSERT_EQ(::utimensat(AT_FDCWD, (dir.path / rel).c_str(), ts, 0), 0);
  }

  static std::vector<int> bits(const bitfield& b) {
    std::vector<int> out;
    for (int i = 0; i < b.size(); ++i)
      if (b.get(i)) out.push_back(i);
    return out;
  }
};

TEST_F(TrustedPieces, StampsReflectTheFilesOnDisk) {
  set_mtime("t/b", 1'600'000'000, 987'654'321);
  auto stamps = read_file_stamps(*ti, dir.path);
  ASSERT_EQ(stamps.size(), 4u);
  EXPECT_EQ(stamps[0].size, 10);
  EXPECT_EQ(stamps[1], (file_stamp{6, 0, 0, 0, 0, 0}));  // padding: never on disk
  struct stat st {};
  ASSERT_EQ(::stat((dir.path / "t/b").c_str(), &st), 0);
  EXPECT_EQ(stamps[2], (file_stamp{20, 1'600'000'000, 987'654'321, static_cast<std::int64_t>(st.st_ino),
                                   st.st_ctim.tv_sec, st.st_ctim.tv_nsec}));
  fs::remove(dir.path / "t/c");
  EXPECT_EQ(read_file_stamps(*ti, dir.path)[3].size, -1);
  EXPECT_EQ(read_file_stamps(*ti, dir.path / "nowhere")[0].size, -1);
}

TEST_F(TrustedPieces, UnchangedFilesTrustEveryClaimedPiece) {
  resume_data rd = saved();
  rd.pieces.clear(1);
  auto t = decide_trusted_pieces(*ti, rd, read_file_stamps(*ti, dir.path));
  EXPECT_EQ(bits(t.trusted), (std::vector<int>{0, 2}));
  EXPECT_TRUE(t.reverify.none());  // piece 1 was not claimed: in neither set
}

TEST_F(TrustedPieces, AChangedMtimeDistrustsEveryPieceTouchingTheFile) {
  resume_data rd = saved();
  set_mtime("t/c", rd.file_stamps[3].mtime_sec, (rd.file_stamps[3].mtime_nsec + 1) % 1'000'000'000);
  auto t = decide_trusted_pieces(*ti, rd, read_file_stamps(*ti, dir.path));
  EXPECT_EQ(bits(t.trusted), (std::vector<int>{0}));
  EXPECT_EQ(bits(t.reverify), (std::vector<int>{1, 2}));  // piece 1 spans t/b and t/c
}

TEST_F(TrustedPieces, AChangedSizeDistrustsThePiecesOfThatFile) {
  resume_data rd = saved();
  auto now = read_file_stamps(*ti, dir.path);
  now[0].size = 9;  // t/a truncated, same mtime
  auto t = decide_trusted_pieces(*ti, rd, now);
  EXPECT_EQ(bits(t.trusted), (std::vector<int>{1, 2}));
  EXPECT_EQ(bits(t.reverify), (std::vector<int>{0}));
}

TEST_F(TrustedPieces, AFileShorterThanTheClaimedPieceIsNotTrustedEvenIfUnchanged) {
  resume_data rd = saved();
  rd.file_stamps[3].size = 28;  // both agree on a t/c 2 bytes short: piece 2 is not there
  std::vector<file_stamp> now = rd.file_stamps;
  auto t = decide_trusted_pieces(*ti, rd, now);
  EXPECT_EQ(bits(t.trusted), (std::vector<int>{0, 1}));
  EXPECT_EQ(bits(t.reverify), (std::vector<int>{2}));
}

// Item 11 of issue 9: size and mtime can be matched by another file (cp -p, touch -r).
TEST_F(TrustedPieces, AFileReplacedByAnotherOfTheSameSizeAndMtimeIsNotTrusted) {
  resume_data rd = saved();
  const fs::path c = dir.path / "t/c";
  const fs::path other = dir.path / "other";
  std::ofstream(other, std::ios::binary) << std::string(30, 'x');  // same size, other bytes
  struct stat st {};
  ASSERT_EQ(::stat(c.c_str(), &st), 0);
  const struct timespec times[2] = {st.st_atim, st.st_mtim};  // touch -r t/c other
  ASSERT_EQ(::utimensat(AT_FDCWD, other.c_str(), times, 0), 0);
  fs::rename(other, c);
  auto now = read_file_stamps(*ti, dir.path);
  ASSERT_EQ(now[3].size, rd.file_stamps[3].size);
  ASSERT_EQ(now[3].mtime_sec, rd.file_stamps[3].mtime_sec);
  ASSERT_EQ(now[3].mtime_nsec, rd.file_stamps[3].mtime_nsec);
  auto t = decide_trusted_pieces(*ti, rd, now);
  EXPECT_EQ(bits(t.trusted), (std::vector<int>{0}));
  EXPECT_EQ(bits(t.reverify), (std::vector<int>{1, 2}));
}

TEST_F(TrustedPieces, AFileRewrittenInPlaceAndStampedBackIsNotTrusted) {
  resume_data rd = saved();
  const fs::path c = dir.path / "t/c";
  // The file system's clock must move past the recorded ctime first (it ticks every few ms), or
  // the rewrite could land on the same ctime; a scratch file shows when it has.
  const fs::path tick = dir.path / "tick";
  for (;;) {
    std::ofstream(tick) << 'x';
    struct stat ts {};
    ASSERT_EQ(::stat(tick.c_str(), &ts), 0);
    if (ts.st_ctim.tv_sec != rd.file_stamps[3].ctime_sec ||
        ts.st_ctim.tv_nsec != rd.file_stamps[3].ctime_nsec)
      break;
  }
  struct stat st {};
  ASSERT_EQ(::stat(c.c_str(), &st), 0);
  {
    std::fstream f(c, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(5);
    f.put('!');
  }
  const struct timespec times[2] = {st.st_atim, st.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, c.c_str(), times, 0), 0);
  auto now = read_file_stamps(*ti, dir.path);
  ASSERT_EQ(now[3].mtime_nsec, rd.file_stamps[3].mtime_nsec);
  ASSERT_EQ(now[3].inode, rd.file_stamps[3].inode);
  auto t = decide_trusted_pieces(*ti, rd, now);
  EXPECT_EQ(bits(t.reverify), (std::vector<int>{1, 2}));
}

TEST_F(TrustedPieces, MissingFilesAreNeverTrusted) {
  resume_data rd = saved();
  fs::remove(dir.path / "t/a");
  rd.file_stamps[0] = {-1, 0, 0, 0, 0, 0};  // recorded missing and missing now: still not trusted
  auto t = decide_trusted_pieces(*ti, rd, read_file_stamps(*ti, dir.path));
  EXPECT_EQ(bits(t.reverify), (std::vector<int>{0}));
}

TEST_F(TrustedPieces, NoUsableStampsMeansEveryClaimedPieceIsReverified) {
  resume_data rd = saved();
  rd.pieces.clear(2);
  auto now = read_file_stamps(*ti, dir.path);
  rd.file_stamps.clear();
  auto t = decide_trusted_pieces(*ti, rd, now);
  EXPECT_TRUE(t.trusted.none());
  EXPECT_EQ(bits(t.reverify), (std::vector<int>{0, 1}));
  rd = saved();
  now.pop_back();
  EXPECT_TRUE(decide_trusted_pieces(*ti, rd, now).trusted.none());
}

TEST_F(TrustedPieces, WrongPieceCountReverifiesEverything) {
  resume_data rd = saved();
  rd.pieces = bitfield(2, false);
  auto t = decide_trusted_pieces(*ti, rd, read_file_stamps(*ti, dir.path));
  EXPECT_TRUE(t.trusted.none());
  EXPECT_TRUE(t.reverify.all());
  EXPECT_EQ(t.reverify.size(), 3);
}

}  // namespace
}  // namespace tessera::detail
