// Stateful libFuzzer target for fetching a magnet torrent's metadata (BEP 9;
// torrent/metadata_fetch over core's metadata_assembler), driven as torrent_extensions drives it:
// peers announce a metadata size (the true one or another), leave, answer our requests with data
// (their own version of the metadata: the true bytes, the true bytes with one byte changed, or
// bytes of another size), reject them or let them time out, while time passes. Data messages go
// through make_metadata_data and parse_metadata_message, as on the wire. The input's first bytes
// choose the metadata's size and content and the fetch settings; each following event is one
// opcode byte and its arguments. A model records what each peer was asked and sent. Invariants:
//  - the fetch returns metadata only when its SHA-1 is the info-hash (then it is the true one);
//  - every request goes to the single source peer, which is connected, announced a valid size,
//    is not excluded and not put aside (reject or timeout) within the backoff; it names a piece
//    of the size being fetched, not asked for in the same call, and not outstanding with any
//    peer since it was asked (until data, reject, timeout, disconnect, a change to a source of
//    another size, or a failed hash ended that request); at most max_outstanding_per_peer are
//    outstanding per peer;
//  - the peers excluded are exactly those whose data was taken into an attempt that failed the
//    hash check, and only data we asked that peer for is taken;
//  - memory stays bounded: never more pieces than max_metadata_size holds;
//  - at the end, with every peer gone, two honest peers complete the fetch within a few rounds.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/ut_metadata.hpp"
#include "fuzz_support.hpp"
#include "tessera/hasher.hpp"
#include "torrent/metadata_fetch.hpp"

namespace td = tessera::detail;
using tessera::fuzz::byte_reader;
using clock_type = td::metadata_fetch::clock;

namespace {

constexpr int max_peers = 6;

char pattern_byte(std::int64_t i, std::uint8_t seed) { return static_cast<char>((i * 131 + seed) & 0xff); }

std::string pattern(std::int64_t begin, std::int64_t length, std::uint8_t seed) {
  std::string out(static_cast<std::size_t>(length), '\0');
  for (std::int64_t i = 0; i < length; ++i) out[static_cast<std::size_t>(i)] = pattern_byte(begin + i, seed);
  return out;
}

struct peer_model {
  bool connected = false;
  td::peer_key key = 0;
  std::int64_t size = 0;  // last valid size it announced (0: none: unknown to the fetch)
  // The metadata as this peer sends it: the true bytes (one of them changed at `corrupt_at` when
  // that is >= 0) when `size` is the true size, else `size` bytes of pattern(`seed`). Made on
  // demand: a liar may claim 16 MiB.
  std::int64_t corrupt_at = -1;
  std::uint8_t seed = 0;
  clock_type::time_point usable_after{};
};

struct outstanding {
  td::peer_key peer = 0;
  clock_type::time_point sent;
};

class harness {
 public:
  harness(std::string truth, td::metadata_fetch::settings s)
      : truth_(std::move(truth)), info_hash_(tessera::sha1(truth_)), settings_(s),
        fetch_(tessera::info_hash_t::from_v1(info_hash_), s) {}

  void run(byte_reader& in) {
    while (!in.empty() && !done_) {
      step(in);
      check_state();
    }
    if (!done_) drain();
  }

 private:
  peer_model* find(td::peer_key k) {
    for (auto& p : peers_) {
      if (p.connected && p.key == k) return &p;
    }
    return nullptr;
  }
  std::int64_t size_of(td::peer_key k) {
    auto* p = find(k);
    return p ? p->size : 0;
  }
  void put_aside(td::peer_key k) {
    if (auto* p = find(k); p && p->size > 0 && !excluded_.count(k)) p->usable_after = now_ + settings_.backoff;
    forget(k);
  }
  /// `k`'s requests end, and it is no longer the source.
  void forget(td::peer_key k) {
    std::erase_if(outstanding_, [k](const auto& kv) { return kv.second.peer == k; });
    if (source_ == k) source_.reset();
  }
  peer_model& some_peer(byte_reader& in) { return peers_[static_cast<std::size_t>(in.range(0, max_peers - 1))]; }

  void add_peer(peer_model& p, byte_reader& in) {
    std::int64_t size = 0;
    const std::uint8_t kind = in.u8();
    switch (kind % 8) {
      case 0: case 1: case 2: size = static_cast<std::int64_t>(truth_.size()); break;
      case 3: size = in.range(1, 3 * 16384 + 1); break;
      case 4: size = -static_cast<std::int64_t>(in.u8()); break;
      case 5:
        // One past the largest size allowed (ignored), or a size of up to 8 pieces. Not the
        // largest allowed (16 MiB) itself: each switch of source to such a peer zeroes a 16 MiB
        // buffer, and the fuzzer then spends most of its time doing that; the code path is the
        // same for every accepted size.
        size = kind == 5 ? td::max_metadata_size + 1 : in.range(1, 8 * 16384);
        break;
      default: size = static_cast<std::int64_t>(truth_.size()) + in.range(-2, 2); break;
    }
    if (!p.connected) p = peer_model{true, next_key_++, 0, -1, 0, {}};
    fetch_.add_peer(p.key, size);
    if (size < 1 || size > td::max_metadata_size || excluded_.count(p.key)) return;  // ignored
    p.size = size;
    p.corrupt_at = -1;
    if (size == static_cast<std::int64_t>(truth_.size())) {
      if (kind & 0x80) p.corrupt_at = in.u16() % size;  // a liar with the right size
    } else {
      p.seed = in.u8();
    }
  }

  /// Piece `piece` of the metadata as `p` sends it.
  std::string piece_of(const peer_model& p, std::int32_t piece) const {
    const std::int64_t begin = std::int64_t{piece} * td::metadata_piece_size;
    const std::int64_t length = std::min(td::metadata_piece_size, p.size - begin);
    if (p.size != static_cast<std::int64_t>(truth_.size())) return pattern(begin, length, p.seed);
    std::string out = truth_.substr(static_cast<std::size_t>(begin), static_cast<std::size_t>(length));
    if (p.corrupt_at >= begin && p.corrupt_at < begin + length) {
      auto& c = out[static_cast<std::size_t>(p.corrupt_at - begin)];
      c = static_cast<char>(c ^ 0x5a);
    }
    return out;
  }

  void step(byte_reader& in) {
    switch (in.range(0, 7)) {
      case 0:
      case 1:
        add_peer(some_peer(in), in);
        break;
      case 2: {
        auto& p = some_peer(in);
        if (!p.connected) break;
        fetch_.remove_peer(p.key);
        forget(p.key);
        p.connected = false;
        break;
      }
      case 3:
      case 4:
        requests();
        break;
      case 5:
        data(in);
        break;
      case 6: {  // reject
        auto& p = some_peer(in);
        if (!p.connected) break;
        const auto piece = piece_for(in, p.key);
        auto it = outstanding_.find(piece);
        const bool asked = it != outstanding_.end() && it->second.peer == p.key;
        fetch_.on_reject(p.key, piece, now_);
        if (asked) put_aside(p.key);
        break;
      }
      case 7:
        now_ += std::chrono::seconds(in.range(0, 90));
        break;
    }
  }

  /// A piece `k` was asked for (most of the time), or any piece number.
  std::int32_t piece_for(byte_reader& in, td::peer_key k) {
    std::vector<std::int32_t> mine;
    for (const auto& [piece, o] : outstanding_) {
      if (o.peer == k) mine.push_back(piece);
    }
    const std::uint8_t choice = in.u8();
    if (!mine.empty() && choice < 224) return mine[choice % mine.size()];
    return in.range(-1, 8);
  }

  void requests() {
    // Timeouts first, as the fetch does them.
    std::vector<td::peer_key> late;
    for (const auto& [piece, o] : outstanding_) {
      if (now_ - o.sent >= settings_.request_timeout) late.push_back(o.peer);
    }
    for (auto k : late) put_aside(k);

    const auto out = fetch_.next_requests(now_);
    const auto source = fetch_.source();
    if (source && source != source_ && size_of(*source) != asm_size_) {
      // A new source of another size restarts the attempt: earlier requests are forgotten.
      outstanding_.clear();
      contributors_.clear();
      asm_size_ = size_of(*source);
    }
    source_ = source;
    std::set<std::int32_t> seen;
    for (const auto& r : out) {
      FUZZ_CHECK(source && r.peer == *source);
      const auto* p = find(r.peer);
      FUZZ_CHECK(p != nullptr && p->size > 0 && !excluded_.count(r.peer) && p->usable_after <= now_);
      FUZZ_CHECK(r.piece >= 0 && r.piece < fetch_.piece_count() && r.piece < td::metadata_piece_count(asm_size_));
      FUZZ_CHECK(seen.insert(r.piece).second);
      FUZZ_CHECK(!outstanding_.count(r.piece));
      outstanding_[r.piece] = {r.peer, now_};
    }
    if (source) {
      const auto mine = std::count_if(outstanding_.begin(), outstanding_.end(),
                                      [&](const auto& kv) { return kv.second.peer == *source; });
      FUZZ_CHECK(mine <= settings_.max_outstanding_per_peer);
    }
  }

  void data(byte_reader& in) {
    auto& p = some_peer(in);
    if (!p.connected || p.size <= 0) return;
    const auto piece = piece_for(in, p.key);
    std::int64_t total = p.size;
    if (in.u8() >= 240) total = static_cast<std::int64_t>(truth_.size());  // a size it did not announce
    if (piece < 0 || std::int64_t{piece} * td::metadata_piece_size >= p.size) return;
    const std::string payload = td::make_metadata_data(piece, total, piece_of(p, piece));
    auto msg = td::parse_metadata_message(payload);
    if (!msg) return;  // the connection would drop a malformed message before the fetch sees it
    send(p.key, *msg);
  }

  void send(td::peer_key k, const td::metadata_message& msg) {
    auto it = outstanding_.find(msg.piece);
    const bool asked = it != outstanding_.end() && it->second.peer == k;
    if (asked) outstanding_.erase(it);
    auto r = fetch_.on_data(k, msg, now_);
    if (!r) {
      FUZZ_CHECK(asked);  // only data we asked for is looked at
      if (r.error() == td::make_error_code(td::extension_errc::hash_mismatch)) {
        contributors_.insert(k);
        excluded_.insert(contributors_.begin(), contributors_.end());
        contributors_.clear();
        outstanding_.clear();
        source_.reset();
      } else {
        put_aside(k);
      }
      return;
    }
    if (asked) contributors_.insert(k);
    if (!*r) return;
    FUZZ_CHECK(asked);
    FUZZ_CHECK(tessera::sha1(**r) == info_hash_);
    FUZZ_CHECK(**r == truth_);
    done_ = true;
  }

  void check_state() {
    FUZZ_CHECK(fetch_.excluded() == excluded_);
    FUZZ_CHECK(fetch_.piece_count() >= 0 && fetch_.piece_count() <= td::metadata_piece_count(td::max_metadata_size));
    FUZZ_CHECK(fetch_.pieces_received() >= 0 && fetch_.pieces_received() <= fetch_.piece_count());
    if (auto s = fetch_.source()) {
      FUZZ_CHECK(find(*s) != nullptr && !excluded_.count(*s));
    }
  }

  /// Every peer leaves; two honest ones arrive. The first may inherit pieces of a liar of the
  /// same size, fail the hash and be excluded with it; the second then starts from nothing.
  void drain() {
    for (auto& p : peers_) {
      if (!p.connected) continue;
      fetch_.remove_peer(p.key);
      forget(p.key);
      p.connected = false;
    }
    for (int i = 0; i < 2; ++i) {
      peers_[static_cast<std::size_t>(i)] =
          peer_model{true, next_key_++, static_cast<std::int64_t>(truth_.size()), -1, 0, {}};
      fetch_.add_peer(peers_[static_cast<std::size_t>(i)].key, static_cast<std::int64_t>(truth_.size()));
    }
    const int rounds = 2 * (td::metadata_piece_count(static_cast<std::int64_t>(truth_.size())) + 2);
    for (int round = 0; round < rounds && !done_; ++round) {
      now_ += std::chrono::seconds(1);
      requests();
      std::vector<std::pair<td::peer_key, std::int32_t>> asked;
      for (const auto& [piece, o] : outstanding_) asked.emplace_back(o.peer, piece);
      for (const auto& [k, piece] : asked) {
        if (done_) break;
        const auto* p = find(k);
        FUZZ_CHECK(p != nullptr);
        const std::int64_t begin = std::int64_t{piece} * td::metadata_piece_size;
        const auto slice = std::string_view(truth_).substr(static_cast<std::size_t>(begin), td::metadata_piece_size);
        const std::string payload = td::make_metadata_data(piece, static_cast<std::int64_t>(truth_.size()), slice);
        auto msg = td::parse_metadata_message(payload);  // views `payload`
        FUZZ_CHECK(msg.has_value());
        send(k, *msg);
      }
      check_state();
    }
    FUZZ_CHECK(done_);
  }

  std::string truth_;
  tessera::sha1_hash info_hash_;
  td::metadata_fetch::settings settings_;
  td::metadata_fetch fetch_;
  std::array<peer_model, max_peers> peers_{};
  td::peer_key next_key_ = 1;
  clock_type::time_point now_{};
  std::map<std::int32_t, outstanding> outstanding_;
  std::set<td::peer_key> contributors_;
  std::set<td::peer_key> excluded_;
  std::optional<td::peer_key> source_;  // the fetch's source as of its last change we saw
  std::int64_t asm_size_ = 0;
  bool done_ = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  byte_reader in(data, size);
  const std::int64_t length = in.range(1, 3 * 16384 + 100);
  const std::string truth = pattern(0, length, in.u8());
  td::metadata_fetch::settings s;
  s.max_outstanding_per_peer = in.range(1, 8);
  harness h(truth, s);
  h.run(in);
  return 0;
}
