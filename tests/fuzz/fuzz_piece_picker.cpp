// Stateful libFuzzer target for the piece picker (core/piece_picker), driven the way a torrent
// drives it: peers join with a bitfield (or as seeds), send `have`s, replace their bitfield and
// leave; we pick blocks for them, receive blocks (requested or not), abort requests, pass or
// fail whole pieces, mark pieces had, change priorities and the sequential mode. The input's
// first bytes choose the torrent's shape, every following event is one opcode byte and its
// arguments. A model beside the picker records what the picker was told and handed out; after
// every event the picker must agree with it:
//  - availability of each piece = the number of connected peers whose bitfield has it;
//  - have / num_have / is_complete / is_finished / num_wanted_missing / all_blocks_received /
//    num_partial / is_interesting / in_endgame as the model computes them;
//  - a picked block lies inside the torrent, in a piece the peer has, of priority > 0, that we
//    do not have, is not received, not picked twice in one call, never requested twice by the
//    same peer, and requested by another peer only in endgame;
//  - a pick returns fewer blocks than asked only when the peer has nothing more we could ask
//    it for; partial pieces are continued before new ones are opened, and new ones are opened
//    by priority, then rarest first (or lowest index first in sequential mode);
//  - mark_received accepts exactly the blocks that are wanted, and names every other peer that
//    had the block requested.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <set>
#include <vector>

#include "core/bitfield.hpp"
#include "core/piece_picker.hpp"
#include "fuzz_support.hpp"

namespace td = tessera::detail;
using tessera::block_index;
using tessera::piece_index;
using tessera::fuzz::byte_reader;

namespace {

constexpr int max_peers = 6;

struct block_model {
  std::vector<td::peer_key> requesters;  // every peer that has it requested (first one first)
  bool received = false;
  bool none() const { return !received && requesters.empty(); }
  bool requested_by(td::peer_key k) const {
    return std::find(requesters.begin(), requesters.end(), k) != requesters.end();
  }
};

struct peer_model {
  bool connected = false;
  td::peer_key key = 0;
  td::bitfield bits;
};

class harness {
 public:
  harness(int pieces, int per_piece, int in_last, std::uint64_t seed)
      : n_(pieces), per_piece_(per_piece), in_last_(in_last), picker_(pieces, per_piece, in_last, seed),
        have_(static_cast<std::size_t>(pieces), false), prio_(static_cast<std::size_t>(pieces), 4) {
    for (int p = 0; p < n_; ++p) blocks_.emplace_back(static_cast<std::size_t>(blocks_in(p)));
  }

  void run(byte_reader& in) {
    while (!in.empty()) {
      step(in);
      check_state();
    }
  }

 private:
  int blocks_in(int p) const { return p == n_ - 1 ? in_last_ : per_piece_; }
  bool valid(int p) const { return p >= 0 && p < n_; }
  // The model after a piece was verified (`has`) or dropped: no block of it is asked or held.
  void model_piece(int p, bool has) {
    have_[static_cast<std::size_t>(p)] = has;
    for (auto& b : blocks_[static_cast<std::size_t>(p)]) b = block_model{};
  }
  block_model& block(int p, int b) { return blocks_[static_cast<std::size_t>(p)][static_cast<std::size_t>(b)]; }
  bool partial(int p) const {
    if (have_[static_cast<std::size_t>(p)]) return false;
    const auto& bl = blocks_[static_cast<std::size_t>(p)];
    return std::any_of(bl.begin(), bl.end(), [](const block_model& b) { return !b.none(); });
  }
  bool fresh(int p) const { return !have_[static_cast<std::size_t>(p)] && !partial(p); }
  bool wanted(int p) const { return prio_[static_cast<std::size_t>(p)] > 0; }
  int availability(int p) const {
    int a = 0;
    for (const auto& peer : peers_) a += peer.connected && peer.bits.get(p) ? 1 : 0;
    return a;
  }
  bool finished() const {
    for (int p = 0; p < n_; ++p) {
      if (wanted(p) && !have_[static_cast<std::size_t>(p)]) return false;
    }
    return true;
  }
  bool endgame() const {
    if (finished()) return false;
    for (int p = 0; p < n_; ++p) {
      if (!wanted(p) || have_[static_cast<std::size_t>(p)]) continue;
      if (fresh(p)) {
        if (availability(p) > 0) return false;
        continue;
      }
      const auto& bl = blocks_[static_cast<std::size_t>(p)];
      if (std::any_of(bl.begin(), bl.end(), [](const block_model& b) { return b.none(); })) return false;
    }
    return true;
  }
  void forget_requests(int p) {
    for (auto& b : blocks_[static_cast<std::size_t>(p)]) b.requesters.clear();
  }
  void drop_requests_of(td::peer_key k) {
    for (auto& piece : blocks_) {
      for (auto& b : piece) std::erase(b.requesters, k);
    }
  }

  /// A piece index, now and then just outside the torrent (the picker must ignore those).
  int any_piece(byte_reader& in) { return in.range(-1, n_); }
  int some_piece(byte_reader& in) { return in.range(0, std::max(n_ - 1, 0)); }
  peer_model& some_peer(byte_reader& in) { return peers_[static_cast<std::size_t>(in.range(0, max_peers - 1))]; }

  td::bitfield read_bits(byte_reader& in) {
    td::bitfield bits(n_);
    switch (in.range(0, 3)) {
      case 0: bits.set_all(); break;  // a seed
      case 1: break;                  // nothing yet
      default:
        for (int p = 0; p < n_; p += 8) {
          const std::uint8_t byte = in.u8();
          for (int i = 0; i < 8 && p + i < n_; ++i) {
            if (byte & (0x80 >> i)) bits.set(p + i);
          }
        }
    }
    return bits;
  }

  void step(byte_reader& in) {
    switch (in.range(0, 13)) {
      case 0: {  // a peer joins with its bitfield
        auto& peer = some_peer(in);
        if (peer.connected) break;
        peer = {true, next_key_++, read_bits(in)};
        picker_.add_peer(peer.bits);
        break;
      }
      case 1: {  // a peer leaves: its requests end, its pieces no longer count
        auto& peer = some_peer(in);
        if (!peer.connected) break;
        picker_.abort_all(peer.key);
        drop_requests_of(peer.key);
        picker_.remove_peer(peer.bits);
        peer.connected = false;
        break;
      }
      case 2: {  // `have` (peer_connection drops a repeated one)
        auto& peer = some_peer(in);
        const int p = some_piece(in);
        if (!peer.connected || !valid(p) || peer.bits.get(p)) break;
        peer.bits.set(p);
        picker_.add_have(piece_index{p});
        break;
      }
      case 3: {  // a second, larger set (have-all after a bitfield): replaces the first
        auto& peer = some_peer(in);
        if (!peer.connected) break;
        td::bitfield next = read_bits(in);
        for (int p = 0; p < n_; ++p) {
          if (peer.bits.get(p)) next.set(p);
        }
        picker_.remove_peer(peer.bits);
        picker_.add_peer(next);
        peer.bits = next;
        break;
      }
      case 4:
      case 5:
        pick(in);
        break;
      case 6:
        receive(in);
        break;
      case 7: {  // one request ends without data (reject, timeout)
        auto& peer = some_peer(in);
        if (!peer.connected) break;
        const auto b = requested_or_any(in, peer.key);
        picker_.abort_request(b, peer.key);
        if (valid(b.piece.value) && b.block.value >= 0 && b.block.value < blocks_in(b.piece.value)) {
          std::erase(block(b.piece.value, b.block.value).requesters, peer.key);
        }
        break;
      }
      case 8: {  // choked without the fast extension: every request of the peer ends
        auto& peer = some_peer(in);
        if (!peer.connected) break;
        picker_.abort_all(peer.key);
        drop_requests_of(peer.key);
        break;
      }
      case 9: {  // the hash of a whole piece was checked
        std::vector<int> complete;
        for (int p = 0; p < n_; ++p) {
          if (!have_[static_cast<std::size_t>(p)] && picker_.all_blocks_received(piece_index{p})) complete.push_back(p);
        }
        if (complete.empty()) break;
        const int p = complete[in.u8() % complete.size()];
        const bool passed = in.flag();  // `p` is not had yet: a failure leaves it so
        if (passed) {
          picker_.piece_passed(piece_index{p});
        } else {
          picker_.piece_failed(piece_index{p});
        }
        model_piece(p, passed);
        break;
      }
      case 10: {  // the start-up check or a recheck found a piece
        const int p = any_piece(in);
        picker_.set_have(piece_index{p});
        if (valid(p)) model_piece(p, true);
        break;
      }
      case 11: {
        const int p = any_piece(in);
        const int q = in.range(-1, 8);
        picker_.set_priority(piece_index{p}, q);
        if (valid(p)) prio_[static_cast<std::size_t>(p)] = std::clamp(q, 0, 7);
        break;
      }
      case 12:
        picker_.set_sequential(in.flag());
        break;
      case 13: {  // a recheck failed a piece we had (torrent_control drops partial pieces so)
        const int p = any_piece(in);
        picker_.piece_failed(piece_index{p});
        if (valid(p)) model_piece(p, false);
        break;
      }
    }
  }

  /// One of the blocks `key` has requested (most events act on those), or any block address.
  td::block_address requested_or_any(byte_reader& in, td::peer_key key) {
    std::vector<td::block_address> mine;
    for (int p = 0; p < n_; ++p) {
      for (int b = 0; b < blocks_in(p); ++b) {
        if (block(p, b).requested_by(key)) mine.push_back({piece_index{p}, block_index{b}});
      }
    }
    const std::uint8_t choice = in.u8();
    if (!mine.empty() && choice < 224) return mine[choice % mine.size()];
    return {piece_index{any_piece(in)}, block_index{in.range(-1, per_piece_)}};
  }

  void receive(byte_reader& in) {
    auto& peer = some_peer(in);
    if (!peer.connected) return;
    const auto b = requested_or_any(in, peer.key);
    std::vector<td::peer_key> others{12345};  // cleared by the picker
    const bool accepted = picker_.mark_received(b, peer.key, &others);
    const int p = b.piece.value;
    const int blk = b.block.value;
    const bool in_range = valid(p) && blk >= 0 && blk < blocks_in(p);
    const bool expected = in_range && !have_[static_cast<std::size_t>(p)] && !block(p, blk).received;
    FUZZ_CHECK(accepted == expected);
    if (!accepted) {
      FUZZ_CHECK(others.empty());
      return;
    }
    auto& bm = block(p, blk);
    std::vector<td::peer_key> want;
    for (auto k : bm.requesters) {
      if (k != peer.key) want.push_back(k);
    }
    std::sort(want.begin(), want.end());
    std::sort(others.begin(), others.end());
    FUZZ_CHECK(others == want);
    bm.requesters.clear();
    bm.received = true;
  }

  void pick(byte_reader& in) {
    auto& peer = some_peer(in);
    if (!peer.connected) return;
    const int max = in.range(1, 12);
    // Before the pick: which pieces are fresh, which partial pieces the peer could continue.
    std::vector<int> fresh_before, continuable_before;
    std::vector<int> avail_before(static_cast<std::size_t>(n_));
    for (int p = 0; p < n_; ++p) {
      avail_before[static_cast<std::size_t>(p)] = availability(p);
      if (!peer.bits.get(p) || !wanted(p)) continue;
      if (fresh(p)) fresh_before.push_back(p);
      if (partial(p)) continuable_before.push_back(p);
    }

    std::vector<td::block_address> out;
    picker_.pick(peer.bits, max, peer.key, out);
    FUZZ_CHECK(static_cast<int>(out.size()) <= max);
    bool duplicate = false;
    std::set<std::pair<int, int>> seen;
    std::set<int> opened;
    for (const auto& b : out) {
      const int p = b.piece.value;
      const int blk = b.block.value;
      FUZZ_CHECK(valid(p) && blk >= 0 && blk < blocks_in(p));
      FUZZ_CHECK(peer.bits.get(p) && wanted(p) && !have_[static_cast<std::size_t>(p)]);
      FUZZ_CHECK(seen.insert({p, blk}).second);
      auto& bm = block(p, blk);
      FUZZ_CHECK(!bm.received && !bm.requested_by(peer.key));
      if (!bm.requesters.empty()) duplicate = true;
      if (std::find(fresh_before.begin(), fresh_before.end(), p) != fresh_before.end()) opened.insert(p);
    }
    for (const auto& b : out) block(b.piece.value, b.block.value).requesters.push_back(peer.key);
    if (duplicate) FUZZ_CHECK(picker_.in_endgame() && endgame());

    // Asked for fewer than `max`: nothing is left that this peer could be asked for.
    if (static_cast<int>(out.size()) < max) {
      const bool dup_ok = endgame();
      for (int p = 0; p < n_; ++p) {
        if (!peer.bits.get(p) || !wanted(p) || have_[static_cast<std::size_t>(p)]) continue;
        for (int blk = 0; blk < blocks_in(p); ++blk) {
          const auto& bm = block(p, blk);
          FUZZ_CHECK(!bm.none());
          if (dup_ok) FUZZ_CHECK(bm.received || bm.requested_by(peer.key));
        }
      }
    }
    // Partial pieces first: a new piece is opened only once the peer's partial ones are fully
    // requested.
    if (!opened.empty()) {
      for (int p : continuable_before) {
        for (const auto& bm : blocks_[static_cast<std::size_t>(p)]) FUZZ_CHECK(!bm.none());
      }
    }
    // New pieces by priority, then rarest first (sequential: lowest index first).
    for (int o : opened) {
      for (int s : fresh_before) {
        if (opened.count(s)) continue;
        const int qo = prio_[static_cast<std::size_t>(o)];
        const int qs = prio_[static_cast<std::size_t>(s)];
        FUZZ_CHECK(qs <= qo);
        if (qs < qo) continue;
        if (picker_.sequential()) {
          FUZZ_CHECK(s > o);
        } else {
          FUZZ_CHECK(avail_before[static_cast<std::size_t>(s)] >= avail_before[static_cast<std::size_t>(o)]);
        }
      }
    }
  }

  void check_state() {
    int have_count = 0;
    int wanted_missing = 0;
    int partials = 0;
    for (int p = 0; p < n_; ++p) {
      const piece_index pi{p};
      const bool had = have_[static_cast<std::size_t>(p)];
      FUZZ_CHECK(picker_.availability(pi) == availability(p));
      FUZZ_CHECK(picker_.have(pi) == had);
      FUZZ_CHECK(picker_.have_pieces().get(p) == had);
      FUZZ_CHECK(picker_.priority(pi) == prio_[static_cast<std::size_t>(p)]);
      FUZZ_CHECK(picker_.blocks_in_piece(pi) == blocks_in(p));
      const auto& bl = blocks_[static_cast<std::size_t>(p)];
      const bool all_received = std::all_of(bl.begin(), bl.end(), [](const block_model& b) { return b.received; });
      FUZZ_CHECK(picker_.all_blocks_received(pi) == (had || all_received));
      have_count += had ? 1 : 0;
      wanted_missing += wanted(p) && !had ? 1 : 0;
      partials += partial(p) ? 1 : 0;
    }
    FUZZ_CHECK(picker_.num_pieces() == n_);
    FUZZ_CHECK(picker_.num_have() == have_count);
    FUZZ_CHECK(picker_.is_complete() == (have_count == n_));
    FUZZ_CHECK(picker_.num_wanted_missing() == wanted_missing);
    FUZZ_CHECK(picker_.is_finished() == (wanted_missing == 0));
    FUZZ_CHECK(picker_.num_partial() == partials);
    FUZZ_CHECK(picker_.in_endgame() == endgame());
    for (const auto& peer : peers_) {
      if (!peer.connected) continue;
      bool interesting = false;
      for (int p = 0; p < n_ && !interesting; ++p) {
        interesting = peer.bits.get(p) && wanted(p) && !have_[static_cast<std::size_t>(p)];
      }
      FUZZ_CHECK(picker_.is_interesting(peer.bits) == interesting);
    }
  }

  int n_;
  int per_piece_;
  int in_last_;
  td::piece_picker picker_;
  std::vector<bool> have_;
  std::vector<int> prio_;
  std::vector<std::vector<block_model>> blocks_;
  std::array<peer_model, max_peers> peers_{};
  td::peer_key next_key_ = 1;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  byte_reader in(data, size);
  const int pieces = in.range(0, 40);
  const int per_piece = in.range(1, 6);
  const int in_last = in.range(1, per_piece);
  const std::uint64_t seed = in.u8();
  harness h(pieces, per_piece, in_last, seed);
  h.run(in);
  return 0;
}
