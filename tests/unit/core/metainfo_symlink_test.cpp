// BEP 47 symlink files in parse_torrent: `attr` 'l' with `symlink path`.
#include <gtest/gtest.h>

#include "core/bencode.hpp"
#include "tessera/torrent_info.hpp"

namespace tessera {
namespace {

using detail::bdict;
using detail::blist;
using detail::bvalue;

std::string pieces(std::size_t n) { return std::string(20 * n, 'a'); }

bdict data_file(std::int64_t length, blist path, std::string attr = {}) {
  bdict f;
  f["length"] = length;
  f["path"] = std::move(path);
  if (!attr.empty()) f["attr"] = std::move(attr);
  return f;
}

bdict link_file(blist path, blist target, bool with_length = true) {
  bdict f;
  if (with_length) f["length"] = std::int64_t{0};
  f["path"] = std::move(path);
  f["attr"] = "l";
  f["symlink path"] = std::move(target);
  return f;
}

result<torrent_info> parse(blist files, std::int64_t total = 100) {
  bdict info;
  info["name"] = "folder";
  info["piece length"] = 16384;
  info["pieces"] = pieces(static_cast<std::size_t>((total + 16383) / 16384));
  info["files"] = std::move(files);
  bdict top;
  top["info"] = std::move(info);
  return parse_torrent(detail::bencode(bvalue(std::move(top))));
}

// As libtorrent 2.0 writes them: the components of the link's text, from the link's folder.
TEST(MetainfoSymlink, ResolvesTheTargetFromTheLinksFolder) {
  auto r = parse({data_file(100, {"bin", "tool"}, "x"), link_file({"links", "tool"}, {"..", "bin", ".", "tool"}),
                  link_file({"latest"}, {"bin"}, false), link_file({"links", "same"}, {"tool"})});
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->files().size(), 4u);
  EXPECT_TRUE(r->files()[0].executable);
  EXPECT_FALSE(r->files()[0].symlink);
  EXPECT_TRUE(r->files()[0].symlink_target.empty());
  EXPECT_TRUE(r->files()[1].symlink);
  EXPECT_EQ(r->files()[1].path, "folder/links/tool");
  EXPECT_EQ(r->files()[1].symlink_target, "bin/tool");
  EXPECT_EQ(r->files()[1].size, 0);
  EXPECT_TRUE(r->files()[2].symlink);  // `length` left out: 0 (BEP 47)
  EXPECT_EQ(r->files()[2].symlink_target, "bin");
  EXPECT_EQ(r->files()[3].symlink_target, "links/tool");
  EXPECT_EQ(r->total_size(), 100);
}

TEST(MetainfoSymlink, TargetComponentsAreSanitisedLikePaths) {
  auto r = parse({data_file(100, {"a"}), link_file({"l"}, {"b\x1b[2J"})});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->files()[1].symlink_target, "b_[2J");
}

TEST(MetainfoSymlink, EscapingOrBrokenTargetsAreRefused) {
  const blist bad_targets[] = {
      {"..", "etc", "passwd"}, {"a", "..", "..", "x"}, {"."}, {"a", ".."}, {""}, {"/etc/passwd"}, {"a/../../b"},
      {"a\\b"}, {std::string("a\0b", 3)}, {},
  };
  for (const auto& t : bad_targets) {
    auto r = parse({data_file(100, {"a"}), link_file({"l"}, t)});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), metainfo_errc::bad_path);
  }
  // From a deeper folder, one ".." too many.
  auto deep = parse({data_file(100, {"a"}), link_file({"d", "e", "l"}, {"..", "..", "..", "x"})});
  ASSERT_FALSE(deep);
  EXPECT_EQ(deep.error(), metainfo_errc::bad_path);
  EXPECT_TRUE(parse({data_file(100, {"a"}), link_file({"d", "e", "l"}, {"..", "..", "a"})}));
  // Not a list, or a list holding a non-string.
  bdict f = link_file({"l"}, {});
  f["symlink path"] = "a";
  EXPECT_EQ(parse({data_file(100, {"a"}), f}).error(), metainfo_errc::bad_path);
  EXPECT_EQ(parse({data_file(100, {"a"}), link_file({"l"}, {std::int64_t{1}})}).error(), metainfo_errc::bad_path);
  EXPECT_EQ(parse({data_file(100, {"a"}), link_file({"l"}, blist(max_path_components + 1, bvalue("a")))}).error(),
            metainfo_errc::path_too_deep);
}

TEST(MetainfoSymlink, ALinkWithDataIsRefused) {
  bdict f = link_file({"l"}, {"a"});
  f["length"] = std::int64_t{10};
  auto r = parse({data_file(100, {"a"}), f}, 110);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), metainfo_errc::bad_length);
}

TEST(MetainfoSymlink, ALinkTakesPartInTheCollisionCheck) {
  auto r = parse({data_file(100, {"a"}), link_file({"a"}, {"b"})});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), metainfo_errc::duplicate_path);
}

TEST(MetainfoSymlink, PaddingAndSingleFileTorrentsHaveNoLinks) {
  bdict pad = link_file({".pad", "1"}, {"a"});
  pad["attr"] = "pl";
  auto r = parse({data_file(100, {"a"}), pad});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(r->files()[1].pad);
  EXPECT_FALSE(r->files()[1].symlink);

  bdict info;
  info["name"] = "file.bin";
  info["piece length"] = 16384;
  info["length"] = std::int64_t{100};
  info["attr"] = "lx";
  info["symlink path"] = blist{bvalue("x")};
  info["pieces"] = pieces(1);
  bdict top;
  top["info"] = std::move(info);
  auto single = parse_torrent(detail::bencode(bvalue(std::move(top))));
  ASSERT_TRUE(single) << single.error().message();
  EXPECT_FALSE(single->files()[0].symlink);
  EXPECT_TRUE(single->files()[0].executable);
}

}  // namespace
}  // namespace tessera
