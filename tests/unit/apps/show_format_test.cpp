#include "show_format.hpp"

#include <gtest/gtest.h>

#include "../core/v2_torrents.hpp"
#include "tessera/torrent_info.hpp"

using namespace tessera;
using namespace tessera::cli;

namespace {

torrent_info parsed(const std::string& bytes) {
  auto r = parse_torrent(bytes);
  EXPECT_TRUE(r) << r.error().message();
  return r ? *r : torrent_info{};
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST(ShowFormat, V2OnlyPrintsTheV2HashRootsAndLayers) {
  const torrent_info ti = parsed(test_v2::v2_multi.bytes);
  const std::string text = describe_torrent(ti);
  EXPECT_TRUE(has(text, "version:     v2 (BEP 52)\n")) << text;
  EXPECT_TRUE(has(text, std::string("info-hash v2: ") + test_v2::v2_multi.v2_hex + "\n")) << text;
  EXPECT_FALSE(has(text, "info-hash:   ")) << text;  // no v1 hash
  EXPECT_TRUE(has(text, "piece layers: present\n")) << text;
  EXPECT_TRUE(has(text, "multi/.pad/9152  (padding)\n")) << text;
  for (const auto& f : ti.files()) {
    if (!f.pad && f.size > 0) {
      EXPECT_TRUE(has(text, "pieces root " + f.pieces_root.to_hex() + "\n")) << f.path;
    }
  }
  EXPECT_TRUE(has(text, "pieces:      10 x 16.0 KiB\n")) << text;
}

TEST(ShowFormat, HybridPrintsBothHashes) {
  const std::string text = describe_torrent(parsed(test_v2::hybrid_multi.bytes));
  EXPECT_TRUE(has(text, "version:     hybrid (v1 + v2, BEP 52)\n")) << text;
  EXPECT_TRUE(has(text, std::string("info-hash:   ") + test_v2::hybrid_multi.v1_hex + "\n")) << text;
  EXPECT_TRUE(has(text, std::string("info-hash v2: ") + test_v2::hybrid_multi.v2_hex + "\n")) << text;
}

TEST(ShowFormat, PieceLayersAbsentFromABareInfoDictionary) {
  auto r = parse_info_dictionary(parsed(test_v2::v2_multi.bytes).info_bytes());
  ASSERT_TRUE(r);
  EXPECT_TRUE(has(describe_torrent(*r), "piece layers: absent (to be fetched from peers)\n"));
}

TEST(ShowFormat, V1HasNoV2Lines) {
  const std::string v1 = "d4:infod6:lengthi3e4:name1:x12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee";
  const std::string text = describe_torrent(parsed(v1));
  EXPECT_TRUE(has(text, "version:     v1\n")) << text;
  EXPECT_TRUE(has(text, "info-hash:   ")) << text;
  EXPECT_FALSE(has(text, "v2")) << text;
  EXPECT_FALSE(has(text, "pieces root")) << text;
  EXPECT_FALSE(has(text, "piece layers")) << text;
}
