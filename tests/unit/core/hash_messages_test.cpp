#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "core/hash_messages.hpp"
#include "core/hash_request_tracker.hpp"
#include "core/merkle.hpp"
#include "tessera/hasher.hpp"

namespace tessera::detail {
namespace {

std::vector<sha256_hash> leaves(std::int64_t n) {
  std::vector<sha256_hash> out;
  for (std::int64_t i = 0; i < n; ++i) out.push_back(sha256("block " + std::to_string(i)));
  return out;
}

hash_request req(const sha256_hash& root, int base, int index, int length, int proof) {
  return hash_request{root, base, index, length, proof};
}

std::span<const std::uint8_t> payload_of(const std::vector<std::uint8_t>& msg) {
  return std::span(msg).subspan(5);  // length prefix and id
}

TEST(MerkleProof, UnclesAreTheSiblingsAboveTheRequestedSubtree) {
  // 4 nodes of layer 0 from index 8: their subtree's top is (2, 2); proof layers 1..4 give
  // uncles at layers 2, 3, 4 (layer 1 is inside the range).
  const auto u = merkle::proof_uncles(0, 8, 4, 4);
  ASSERT_EQ(u.size(), 3u);
  EXPECT_EQ(u[0], (merkle::node_position{2, 3}));
  EXPECT_EQ(u[1], (merkle::node_position{3, 0}));
  EXPECT_EQ(u[2], (merkle::node_position{4, 1}));
  EXPECT_TRUE(merkle::proof_uncles(0, 8, 4, 1).empty());
  EXPECT_EQ(merkle::proof_uncles(0, 8, 4, 2).size(), 1u);
  EXPECT_EQ(merkle::tree_height(1), 0);
  EXPECT_EQ(merkle::tree_height(5), 3);
}

TEST(MerkleProof, TreeLayersPadAndMatchRoot) {
  const auto l = leaves(5);
  const merkle::tree_layers t(l, 0, 3);
  EXPECT_EQ(t.root(), merkle::root(l, 8));
  EXPECT_EQ(t.node({0, 4}), l[4]);
  EXPECT_EQ(t.node({0, 6}), merkle::pad_hash(0));
  EXPECT_EQ(t.node({1, 3}), merkle::pad_hash(1));
  EXPECT_EQ(t.node({1, 2}), merkle::parent(l[4], merkle::pad_hash(0)));
  EXPECT_THROW((void)t.node({0, 8}), std::out_of_range);
  EXPECT_THROW(merkle::tree_layers(l, 0, 2), std::invalid_argument);
}

TEST(HashMessages, RequestAndRejectRoundTrip) {
  const auto r = req(sha256("root"), 3, 512, 512, 7);
  std::vector<std::uint8_t> msg;
  write_hash_request(msg, r);
  ASSERT_EQ(msg.size(), 4u + 1 + 48);
  EXPECT_EQ(msg[3], 49);
  EXPECT_EQ(msg[4], hash_request_id);
  auto back = decode_hash_request(payload_of(msg));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, r);
  msg.clear();
  write_hash_reject(msg, r);
  EXPECT_EQ(msg[4], hash_reject_id);
  EXPECT_EQ(*decode_hash_request(payload_of(msg)), r);
}

TEST(HashMessages, DecodeRefusesBadFieldsAndLengths) {
  auto code = [](const hash_request& r) {
    std::vector<std::uint8_t> msg;
    write_hash_request(msg, r);
    auto d = decode_hash_request(payload_of(msg));
    return d ? std::error_code{} : d.error();
  };
  const auto root = sha256("r");
  EXPECT_EQ(code(req(root, 0, 0, 2, 0)), std::error_code{});
  EXPECT_EQ(code(req(root, 0, 0, 3, 0)), hash_errc::bad_request);       // not a power of two
  EXPECT_EQ(code(req(root, 0, 0, 1, 0)), hash_errc::bad_request);       // below two
  EXPECT_EQ(code(req(root, 0, 0, 16384, 0)), hash_errc::bad_request);   // above 8192
  EXPECT_EQ(code(req(root, 0, 6, 4, 0)), hash_errc::bad_request);       // index not a multiple
  EXPECT_EQ(code(req(root, -1, 0, 2, 0)), hash_errc::bad_request);
  EXPECT_EQ(code(req(root, 0, 0, 2, 50)), hash_errc::bad_request);
  EXPECT_EQ(code(req(root, 0, -4, 2, 0)), hash_errc::bad_request);
  std::vector<std::uint8_t> msg;
  write_hash_request(msg, req(root, 0, 0, 2, 0));
  EXPECT_EQ(decode_hash_request(std::span(msg).subspan(5, 47)).error(), hash_errc::bad_message_length);
  msg.push_back(0);
  EXPECT_EQ(decode_hash_request(std::span(msg).subspan(5)).error(), hash_errc::bad_message_length);
}

TEST(HashMessages, AnswerThenVerifyAgainstTheRoot) {
  const auto l = leaves(13);  // 16 leaves, height 4
  const merkle::tree_layers t(l, 0, 4);
  // Blocks 4..7 with proof up to the root: layers 2 (uncle 0..3) and 3 (uncle 8..15).
  const auto r = req(t.root(), 0, 4, 4, 3);
  auto hashes = answer_request(r, t);
  ASSERT_TRUE(hashes) << hashes.error().message();
  ASSERT_EQ(hashes->size(), 4u + 2);
  EXPECT_EQ(uncle_count(r), 2);

  std::vector<std::uint8_t> msg;
  write_hashes(msg, hashes_message{r, *hashes});
  EXPECT_EQ(msg[4], hashes_id);
  auto decoded = decode_hashes(payload_of(msg));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->request, r);
  auto v = verify_hashes(*decoded, 13, t.root());
  ASSERT_TRUE(v) << v.error().message();
  EXPECT_EQ(v->base, std::vector<sha256_hash>(l.begin() + 4, l.begin() + 8));
  ASSERT_EQ(v->uncles.size(), 2u);
  EXPECT_EQ(v->uncles[0].first, (merkle::node_position{2, 0}));
  EXPECT_EQ(v->uncles[0].second, t.node({2, 0}));
  EXPECT_EQ(v->uncles[1].first, (merkle::node_position{3, 1}));

  // The last range includes padding leaves; a request of the piece layer (layer 1).
  auto tail = answer_request(req(t.root(), 0, 12, 4, 3), t);
  ASSERT_TRUE(tail);
  EXPECT_EQ((*tail)[1], merkle::pad_hash(0));
  EXPECT_TRUE(verify_hashes(hashes_message{req(t.root(), 0, 12, 4, 3), *tail}, 13, t.root()));
  auto layer1 = answer_request(req(t.root(), 1, 0, 8, 2), t);
  ASSERT_TRUE(layer1);
  EXPECT_EQ(layer1->size(), 8u);
  EXPECT_TRUE(verify_hashes(hashes_message{req(t.root(), 1, 0, 8, 2), *layer1}, 13, t.root()));
}

TEST(HashMessages, TamperedHashesOrUnclesAreRefused) {
  const auto l = leaves(16);
  const merkle::tree_layers t(l, 0, 4);
  const auto r = req(t.root(), 0, 8, 2, 3);
  auto hashes = *answer_request(r, t);
  ASSERT_EQ(hashes.size(), 2u + 3);
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    auto bad = hashes;
    bad[i].bytes[0] ^= 1;
    auto v = verify_hashes(hashes_message{r, bad}, 16, t.root());
    ASSERT_FALSE(v) << i;
    EXPECT_EQ(v.error(), hash_errc::hash_mismatch) << i;
  }
  // Right hashes, wrong root; a wrong count.
  EXPECT_EQ(verify_hashes(hashes_message{r, hashes}, 16, sha256("x")).error(), hash_errc::hash_mismatch);
  hashes.pop_back();
  EXPECT_EQ(verify_hashes(hashes_message{r, hashes}, 16, t.root()).error(), hash_errc::bad_message_length);
}

TEST(HashMessages, ShortProofNeedsAVerifiedNode) {
  const auto l = leaves(16);
  const merkle::tree_layers t(l, 0, 4);
  // Proof layers 0: the top is the 2-leaf subtree at (1, 3), no uncles.
  const auto r = req(t.root(), 0, 6, 2, 0);
  const auto hashes = *answer_request(r, t);
  ASSERT_EQ(hashes.size(), 2u);
  EXPECT_EQ(verify_hashes(hashes_message{r, hashes}, 16, t.root()).error(), hash_errc::unverifiable);
  std::map<merkle::node_position, sha256_hash> known{{{1, 3}, t.node({1, 3})}};
  auto lookup = [&](merkle::node_position p) -> std::optional<sha256_hash> {
    auto it = known.find(p);
    return it == known.end() ? std::nullopt : std::optional(it->second);
  };
  EXPECT_TRUE(verify_hashes(hashes_message{r, hashes}, 16, t.root(), lookup));
  known[{1, 3}] = sha256("wrong");
  EXPECT_EQ(verify_hashes(hashes_message{r, hashes}, 16, t.root(), lookup).error(), hash_errc::hash_mismatch);
}

TEST(HashMessages, RequestsMustFitTheTree) {
  const auto root = sha256("r");
  EXPECT_EQ(check_request(req(root, 0, 0, 2, 0), 16), std::error_code{});
  EXPECT_EQ(check_request(req(root, 0, 0, 2, 3), 16), std::error_code{});    // uncles up to layer 3
  EXPECT_EQ(check_request(req(root, 0, 0, 2, 4), 16), hash_errc::out_of_range);  // the root has none
  EXPECT_EQ(check_request(req(root, 4, 0, 2, 0), 16), hash_errc::out_of_range);
  EXPECT_EQ(check_request(req(root, 0, 16, 2, 0), 16), hash_errc::out_of_range);
  EXPECT_EQ(check_request(req(root, 0, 0, 32, 0), 16), hash_errc::out_of_range);
  EXPECT_EQ(check_request(req(root, 0, 0, 2, 0), 1), hash_errc::out_of_range);   // one block: no tree
  // A seeder holding only the piece layer (layer 1) cannot answer for blocks.
  const auto l = leaves(8);
  const merkle::tree_layers from_pieces(merkle::parent_layer(l, 0), 1, 3);
  EXPECT_EQ(answer_request(req(from_pieces.root(), 0, 0, 2, 0), from_pieces).error(), hash_errc::unavailable);
  EXPECT_TRUE(answer_request(req(from_pieces.root(), 1, 0, 4, 1), from_pieces));
}

TEST(HashMessages, DecodeHashesNeedsExactlyTheImpliedCount) {
  const auto l = leaves(16);
  const merkle::tree_layers t(l, 0, 4);
  const auto r = req(t.root(), 0, 0, 4, 3);
  std::vector<std::uint8_t> msg;
  write_hashes(msg, hashes_message{r, *answer_request(r, t)});
  auto p = payload_of(msg);
  EXPECT_TRUE(decode_hashes(p));
  EXPECT_EQ(decode_hashes(p.first(p.size() - 32)).error(), hash_errc::bad_message_length);
  EXPECT_EQ(decode_hashes(p.first(p.size() - 1)).error(), hash_errc::bad_message_length);
  EXPECT_EQ(decode_hashes(p.first(10)).error(), hash_errc::bad_message_length);
}

TEST(HashRequestTracker, MatchesRepliesAndRefusesWhatWasNeverAsked) {
  const auto root = sha256("r");
  hash_request_tracker tracker(2);
  const auto a = req(root, 0, 0, 4, 2);
  const auto b = req(root, 0, 4, 4, 2);
  EXPECT_TRUE(tracker.add(a));
  EXPECT_FALSE(tracker.add(a));  // already outstanding
  EXPECT_TRUE(tracker.add(b));
  EXPECT_FALSE(tracker.add(req(root, 0, 8, 4, 2)));  // full
  EXPECT_EQ(tracker.on_hashes(req(root, 0, 8, 4, 2)), hash_errc::not_requested);  // never asked
  EXPECT_EQ(tracker.on_hashes(req(root, 0, 0, 4, 3)), hash_errc::not_requested);  // other proof layers
  EXPECT_EQ(tracker.on_hashes(a), std::error_code{});
  EXPECT_EQ(tracker.on_hashes(a), hash_errc::not_requested);  // answered once only
  EXPECT_EQ(tracker.on_reject(b), std::error_code{});
  EXPECT_EQ(tracker.size(), 0u);
}

}  // namespace
}  // namespace tessera::detail
