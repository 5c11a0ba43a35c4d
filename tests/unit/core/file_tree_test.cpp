#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/bencode.hpp"
#include "core/file_tree.hpp"
#include "tessera/hasher.hpp"
#include "tessera/torrent_info.hpp"

namespace tessera::detail {
namespace {

bvalue file(std::int64_t length, std::string_view root = {}, std::string_view attr = {}) {
  bdict props;
  props["length"] = length;
  if (!root.empty()) props["pieces root"] = std::string(root);
  if (!attr.empty()) props["attr"] = std::string(attr);
  bdict node;
  node[""] = bvalue(std::move(props));
  return bvalue(std::move(node));
}

const std::string root_a = sha256("a").to_bytes();
const std::string root_b = sha256("b").to_bytes();

std::error_code error_of(const bvalue& tree) {
  auto r = parse_file_tree(tree, 1000);
  return r ? std::error_code{} : r.error();
}

TEST(FileTree, FlattensInKeyOrderWithRootsAndAttributes) {
  bdict dir2;
  dir2["fileB.txt"] = file(5, root_b, "x");
  dir2["fileA.txt"] = file(1024, root_a);
  bdict dir1;
  dir1["dir2"] = bvalue(std::move(dir2));
  dir1["empty"] = file(0);
  bdict top;
  top["dir1"] = bvalue(std::move(dir1));
  top["a.bin"] = file(7, root_b);

  auto r = parse_file_tree(bvalue(std::move(top)), 1000);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ((*r)[0].path, "a.bin");
  EXPECT_EQ((*r)[1].path, "dir1/dir2/fileA.txt");
  EXPECT_EQ((*r)[1].length, 1024);
  EXPECT_EQ((*r)[1].pieces_root.to_bytes(), root_a);
  EXPECT_EQ((*r)[2].path, "dir1/dir2/fileB.txt");
  EXPECT_EQ((*r)[2].attr, "x");
  EXPECT_EQ((*r)[3].path, "dir1/empty");
  EXPECT_EQ((*r)[3].length, 0);
  EXPECT_TRUE((*r)[3].pieces_root.is_zero());
}

TEST(FileTree, ParsesTheBepExampleFromBencode) {
  // BEP 52's example, its "5:length" corrected to "6:length".
  auto v = bdecode("d4:dir1d4:dir2d9:fileA.txtd0:d6:lengthi1024e11:pieces root32:" + std::string(32, 'a') + "eeeee");
  ASSERT_TRUE(v) << v.error().message();
  auto r = parse_file_tree(*v, 10);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].path, "dir1/dir2/fileA.txt");
  EXPECT_EQ((*r)[0].pieces_root.to_bytes(), std::string(32, 'a'));
}

TEST(FileTree, RefusesTraversalAndUnsafeComponents) {
  for (const std::string& bad : std::vector<std::string>{"..", ".", "a/b", std::string("a\0b", 3), "a\\b"}) {
    bdict top;
    top[bad] = file(1, root_a);
    EXPECT_EQ(error_of(bvalue(std::move(top))), metainfo_errc::bad_path) << bad;
  }
  bdict inner;
  inner[".."] = file(1, root_a);
  bdict top;
  top["dir"] = bvalue(std::move(inner));
  EXPECT_EQ(error_of(bvalue(std::move(top))), metainfo_errc::bad_path);
}

TEST(FileTree, SanitisesControlCharactersAndFindsTheCollisionsItMakes) {
  bdict top;
  top["a\x01"] = file(1, root_a);
  auto r = parse_file_tree(bvalue(top), 10);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].path, "a_");
  top["a\x02"] = file(1, root_b);
  EXPECT_EQ(error_of(bvalue(std::move(top))), metainfo_errc::duplicate_path);
}

TEST(FileTree, PiecesRootRequiredForNonEmptyFilesAndThirtyTwoBytes) {
  bdict top;
  top["f"] = file(1);
  EXPECT_EQ(error_of(bvalue(top)), metainfo_errc::bad_pieces_root);
  top["f"] = file(1, std::string(31, 'r'));
  EXPECT_EQ(error_of(bvalue(top)), metainfo_errc::bad_pieces_root);
  top["f"] = file(1, std::string(33, 'r'));
  EXPECT_EQ(error_of(bvalue(top)), metainfo_errc::bad_pieces_root);
  top["f"] = file(0);
  EXPECT_EQ(error_of(bvalue(top)), std::error_code{});
}

TEST(FileTree, LengthMustBeANonNegativeIntegerAndTheTotalMustFit) {
  bdict top;
  top["f"] = file(-1, root_a);
  EXPECT_EQ(error_of(bvalue(top)), metainfo_errc::bad_length);
  bdict props;
  props["length"] = "12";
  bdict node;
  node[""] = bvalue(props);
  top["f"] = bvalue(node);
  EXPECT_EQ(error_of(bvalue(top)), metainfo_errc::bad_length);
  top["f"] = file(INT64_MAX, root_a);
  top["g"] = file(1, root_b);
  EXPECT_EQ(error_of(bvalue(top)), metainfo_errc::bad_length);
}

TEST(FileTree, ShapeErrors) {
  EXPECT_EQ(error_of(bvalue("not a dict")), metainfo_errc::bad_file_tree);
  EXPECT_EQ(error_of(bvalue(bdict{})), metainfo_errc::bad_file_tree);  // no file at all
  // The root itself a file.
  EXPECT_EQ(error_of(file(1, root_a)), metainfo_errc::bad_file_tree);
  // A node both a file and a folder.
  bdict both = file(1, root_a).as_dict();
  both["child"] = file(1, root_b);
  bdict top;
  top["x"] = bvalue(std::move(both));
  EXPECT_EQ(error_of(bvalue(top)), metainfo_errc::bad_file_tree);
  // A child that is not a dictionary, a "" entry without a length.
  top["x"] = bvalue(5);
  EXPECT_EQ(error_of(bvalue(top)), metainfo_errc::bad_file_tree);
  bdict no_length;
  no_length[""] = bvalue(bdict{});
  top["x"] = bvalue(std::move(no_length));
  EXPECT_EQ(error_of(bvalue(top)), metainfo_errc::bad_file_tree);
}

TEST(FileTree, DepthAndPathLengthLimits) {
  auto chain = [](std::size_t depth, std::size_t name_len) {
    bvalue node = file(1, root_a);
    for (std::size_t i = 1; i < depth; ++i) {
      bdict d;
      d[std::string(name_len, 'd')] = std::move(node);
      node = bvalue(std::move(d));
    }
    bdict top;
    top[std::string(name_len, 'd')] = std::move(node);
    return bvalue(std::move(top));
  };
  EXPECT_EQ(error_of(chain(max_path_components, 1)), std::error_code{});
  EXPECT_EQ(error_of(chain(max_path_components + 1, 1)), metainfo_errc::path_too_deep);
  EXPECT_EQ(error_of(chain(20, 200)), std::error_code{});  // 20 * 201 - 1 = 4019 bytes
  EXPECT_EQ(error_of(chain(21, 200)), metainfo_errc::path_too_long);
}

TEST(FileTree, FileCountIsBounded) {
  bdict top;
  top["a"] = file(1, root_a);
  top["b"] = file(1, root_b);
  auto r = parse_file_tree(bvalue(top), 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), metainfo_errc::bad_file_tree);
}

}  // namespace
}  // namespace tessera::detail
