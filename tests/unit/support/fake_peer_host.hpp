// A fake peer_host for peer_connection tests and the peer_connection fuzz target: it records
// every call, hands out blocks from `available`, serves uploads from a fixed byte pattern of the
// torrent offset (completions posted to an io_context), and can throw from a chosen callback.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "core/torrent_info_builder.hpp"
#include "swarm/peer_connection.hpp"

namespace tessera::test {

using namespace tessera::detail;
namespace asio = boost::asio;

inline constexpr int piece_length = 2 * block_size;
inline constexpr int num_pieces = 5;
inline constexpr std::int64_t total_size = std::int64_t{piece_length} * (num_pieces - 1) + 20000;

inline peer_id id_of(std::string_view s) {
  peer_id id;
  for (std::size_t i = 0; i < id.bytes.size() && i < s.size(); ++i) id.bytes[i] = s[i];
  return id;
}

inline torrent_info make_info() {
  tessera::detail::torrent_info_builder ti;
  ti.info_hash.v1 = *sha1_hash::from_bytes("info-hash-of-test-01");  // 20 bytes
  ti.name = "test";
  ti.piece_length = piece_length;
  ti.piece_hashes.resize(num_pieces);
  ti.files.push_back({"test", total_size, 0});
  ti.total_size = total_size;
  return std::move(ti).build();
}

/// Records every call; hands out blocks from `available` in order.
struct fake_host final : peer_host {
  torrent_info ti = make_info();
  peer_id ours = id_of("-TS0001-ourpeeridxyz");
  bitfield our_bits{num_pieces};
  bool accept = true;

  std::deque<block_address> available;
  std::vector<wire::handshake> handshakes;
  std::vector<bitfield> has_calls;
  std::vector<piece_index> haves;
  std::vector<block_address> picked;
  std::vector<std::pair<block_address, std::vector<std::uint8_t>>> blocks;
  std::vector<block_address> aborted;
  std::vector<std::error_code> disconnects;
  int calls_after_disconnect = 0;
  std::int64_t bytes_received = 0;
  bool keep_blocks = true;  // false: only count bytes (throughput test)

  /// Called first by every callback: counts calls after on_disconnect, and throws when the
  /// callback is `throw_from` (a host with a broken invariant, for the connection's tests).
  void note(const char* call = "") {
    if (!disconnects.empty()) ++calls_after_disconnect;
    if (throw_from != nullptr && std::string_view(call) == throw_from) {
      ++thrown;
      throw std::runtime_error(std::string("fake_host throws from ") + call);
    }
  }
  const char* throw_from = nullptr;  // a callback name, e.g. "on_peer_have"
  int thrown = 0;
  void make_all_available() {
    for (int p = 0; p < ti.num_pieces(); ++p) {
      for (int b = 0; b < ti.blocks_in_piece(piece_index{p}); ++b) {
        available.push_back({piece_index{p}, block_index{b}});
      }
    }
  }

  const torrent_info& info() const override { return ti; }
  const peer_id& our_peer_id() const override { return ours; }
  const bitfield& our_pieces() const override { return our_bits; }
  bool on_handshake(peer_connection&, const wire::handshake& h) override {
    note("on_handshake");
    handshakes.push_back(h);
    return accept;
  }
  void on_peer_has(peer_connection&, const bitfield& whole_set) override {
    note("on_peer_has");
    has_calls.push_back(whole_set);
  }
  void on_peer_have(peer_connection&, piece_index p) override {
    note("on_peer_have");
    haves.push_back(p);
  }
  bool is_interesting(const bitfield& peer_has) const override {
    for (int i = 0; i < peer_has.size(); ++i) {
      if (peer_has.get(i) && !our_bits.get(i)) return true;
    }
    return false;
  }
  void pick_blocks(peer_connection&, int max, std::vector<block_address>& out) override {
    note("pick_blocks");
    for (int i = 0; i < max && !available.empty(); ++i) {
      out.push_back(available.front());
      picked.push_back(available.front());
      available.pop_front();
    }
  }
  /// The available blocks of `pieces` (BEP 6 allowed-fast or suggested pieces), in order.
  void pick_blocks_in(peer_connection&, std::span<const piece_index> pieces, int max,
                      std::vector<block_address>& out) override {
    note("pick_blocks_in");
    for (auto it = available.begin(); it != available.end() && max > 0;) {
      if (std::find(pieces.begin(), pieces.end(), it->piece) == pieces.end()) {
        ++it;
        continue;
      }
      out.push_back(*it);
      picked.push_back(*it);
      it = available.erase(it);
      --max;
    }
  }
  void on_block(peer_connection&, block_address b, std::span<const std::uint8_t> data) override {
    note("on_block");
    bytes_received += static_cast<std::int64_t>(data.size());
    if (!keep_blocks) return;
    blocks.emplace_back(b, std::vector<std::uint8_t>(data.begin(), data.end()));
  }
  void on_request_aborted(peer_connection&, block_address b) override {
    note("on_request_aborted");
    aborted.push_back(b);
    available.push_front(b);
  }
  void on_disconnect(peer_connection&, std::error_code reason) override {
    note("on_disconnect");
    disconnects.push_back(reason);
  }

  // --- upload side: the torrent's bytes are a fixed pattern of their offset ---
  asio::io_context* ioc = nullptr;  // set by the fixture: read completions are posted there
  bool hold_reads = false;          // true: completions wait for release_reads()
  std::vector<wire::request> reads;
  std::vector<std::pair<wire::request, read_handler>> held;
  std::vector<bool> interest_calls;

  static std::uint8_t byte_at(std::int64_t offset) { return static_cast<std::uint8_t>(offset * 131 + 7); }
  std::vector<std::uint8_t> data_of(const wire::request& r) const {
    std::vector<std::uint8_t> out(static_cast<std::size_t>(r.length));
    const std::int64_t base = std::int64_t{r.piece.value} * ti.piece_length() + r.begin;
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = byte_at(base + static_cast<std::int64_t>(i));
    return out;
  }
  void read_block(piece_index p, std::int32_t begin, std::int32_t length, read_handler done) override {
    note("read_block");
    const wire::request r{p, begin, length};
    reads.push_back(r);
    if (hold_reads) {
      held.emplace_back(r, std::move(done));
      return;
    }
    asio::post(*ioc, [done = std::move(done), data = data_of(r)]() mutable { done({}, std::move(data)); });
  }
  /// Completes the held reads, the last one held first when `newest_first`.
  void release_reads(bool newest_first = false) {
    auto all = std::move(held);
    held.clear();
    if (newest_first) std::reverse(all.begin(), all.end());
    for (auto& [r, done] : all) {
      asio::post(*ioc, [done = std::move(done), data = data_of(r)]() mutable { done({}, std::move(data)); });
    }
  }
  void on_peer_interest(peer_connection&, bool interested) override {
    note("on_peer_interest");
    interest_calls.push_back(interested);
  }

  // --- extension protocol ---
  bool metadata_mode = false;      // true: behave like a magnet torrent without metadata yet
  std::string served_metadata;     // what ut_metadata requests are answered from
  bool pex = true;
  std::vector<extension_handshake> ext_handshakes;
  std::vector<std::tuple<metadata_msg_type, std::int32_t, std::string>> metadata_msgs;
  std::vector<pex_message> pex_msgs;

  bool has_metadata() const override { return !metadata_mode; }
  std::string_view metadata() const override { return served_metadata; }
  bool pex_enabled() const override { return pex; }
  std::uint16_t listen_port() const override { return 6881; }
  void on_extension_handshake(peer_connection&, const extension_handshake& h) override {
    note("on_extension_handshake");
    ext_handshakes.push_back(h);
  }
  void on_metadata_message(peer_connection&, const metadata_message& m) override {
    note("on_metadata_message");
    metadata_msgs.emplace_back(m.type, m.piece, std::string(m.data));
  }
  void on_pex(peer_connection&, const pex_message& m) override {
    note("on_pex");
    pex_msgs.push_back(m);
  }

  // --- BEP 52 hash messages: requests held until answered by the test ---
  std::vector<std::pair<hash_request, hashes_handler>> hash_requests;
  std::vector<hashes_message> hashes_received;
  std::vector<std::pair<hash_request, std::error_code>> hash_failures;
  void on_hash_request(peer_connection&, const hash_request& r, hashes_handler done) override {
    note("on_hash_request");
    hash_requests.emplace_back(r, std::move(done));
  }
  void on_hashes(peer_connection&, const hashes_message& m) override {
    note("on_hashes");
    hashes_received.push_back(m);
  }
  void on_hash_request_failed(peer_connection&, const hash_request& r, std::error_code reason) override {
    note("on_hash_request_failed");
    hash_failures.emplace_back(r, reason);
  }
};

}  // namespace tessera::test
