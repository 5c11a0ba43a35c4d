#include "core/v2_hash_store.hpp"

#include <algorithm>
#include <atomic>

#include "core/piece_layers.hpp"

namespace tessera::detail {

namespace {

/// The file among `files` (sorted by first_piece, disjoint) that holds piece `p`, or files.size().
std::size_t find_file(std::span<const v2_file_place> files, piece_index p) {
  auto it = std::upper_bound(files.begin(), files.end(), p.value,
                             [](std::int32_t v, const v2_file_place& f) { return v < f.first_piece.value; });
  if (it == files.begin()) return files.size();
  --it;
  if (p.value >= it->first_piece.value + it->num_pieces) return files.size();
  return static_cast<std::size_t>(it - files.begin());
}

/// The check of piece `p` of `f` (which holds it) from the file's layer state.
std::optional<v2_piece_check> check_in(const v2_file_place& f, const v2_layer_state& layer,
                                       std::int64_t piece_length, piece_index p) {
  const std::int64_t in_file = p.value - f.first_piece.value;
  v2_piece_check c;
  c.file_bytes = static_cast<std::int32_t>(std::min(piece_length, f.size - in_file * piece_length));
  if (f.num_pieces == 1) {
    c.target = v2_piece_target{f.pieces_root, true};
    return c;
  }
  const auto i = static_cast<std::size_t>(in_file);
  if (i >= layer.hashes.size() || !layer.known[i]) return std::nullopt;
  c.target = v2_piece_target{layer.hashes[i], false};
  return c;
}

}  // namespace

std::optional<v2_piece_check> v2_piece_targets::check(piece_index p) const {
  const std::size_t i = find_file(files_, p);
  if (i == files_.size()) return std::nullopt;
  return check_in(files_[i], *layers_[root_of_file_[i]], piece_length_, p);
}

v2_hash_store::v2_hash_store(const torrent_info& ti) : piece_length_(ti.piece_length()) {
  if (ti.piece_length() < block_size) return;
  piece_layer_ = merkle::log2_exact(merkle::next_power_of_two(ti.piece_length() / block_size));
  for (std::size_t i = 0; i < ti.files().size(); ++i) {
    const file_entry& fe = ti.files()[i];
    if (fe.pad || fe.size <= 0 || fe.pieces_root.is_zero() || fe.offset % ti.piece_length() != 0) continue;
    v2_file_place f;
    f.file = file_index{static_cast<std::int32_t>(i)};
    f.pieces_root = fe.pieces_root;
    f.size = fe.size;
    f.first_piece = piece_index{static_cast<std::int32_t>(fe.offset / ti.piece_length())};
    f.num_pieces = static_cast<std::int32_t>(file_piece_count(fe.size, ti.piece_length()));
    f.num_blocks = (fe.size + block_size - 1) / block_size;
    std::size_t r = root_index(fe.pieces_root);
    if (r == npos) {
      r = roots_.size();
      root_entry e;
      e.root = fe.pieces_root;
      e.num_pieces = f.num_pieces;
      e.num_blocks = f.num_blocks;
      e.layer = std::make_shared<v2_layer_state>();
      if (f.num_pieces > 1) {
        auto it = ti.piece_layers().find(fe.pieces_root);
        if (it != ti.piece_layers().end() && static_cast<std::int64_t>(it->second.size()) == f.num_pieces) {
          e.layer->hashes = it->second;
          e.layer->known.assign(it->second.size(), true);
          e.layer->known_count = f.num_pieces;
          e.layer->from_torrent = true;
        } else {
          e.layer->hashes.assign(static_cast<std::size_t>(f.num_pieces), sha256_hash{});
          e.layer->known.assign(static_cast<std::size_t>(f.num_pieces), false);
          ++incomplete_roots_;
        }
      }
      roots_.push_back(std::move(e));
      by_root_.emplace(fe.pieces_root, r);
    }
    files_.push_back(f);
    root_of_file_.push_back(r);
  }
}

std::size_t v2_hash_store::root_index(const sha256_hash& root) const {
  auto it = by_root_.find(root);
  return it == by_root_.end() ? npos : it->second;
}

const v2_file_place* v2_hash_store::file_of_piece(piece_index p) const {
  const std::size_t i = find_file(files_, p);
  return i == files_.size() ? nullptr : &files_[i];
}

const v2_file_place* v2_hash_store::file_by_root(const sha256_hash& root) const {
  const std::size_t r = root_index(root);
  if (r == npos) return nullptr;
  for (std::size_t i = 0; i < files_.size(); ++i)
    if (root_of_file_[i] == r) return &files_[i];
  return nullptr;
}

std::optional<v2_piece_check> v2_hash_store::piece_check(piece_index p) const {
  const std::size_t i = find_file(files_, p);
  if (i == files_.size()) return std::nullopt;
  return check_in(files_[i], *roots_[root_of_file_[i]].layer, piece_length_, p);
}

bool v2_hash_store::has_target(piece_index p) const { return piece_check(p).has_value(); }

std::shared_ptr<const v2_piece_targets> v2_hash_store::snapshot() const {
  auto s = std::make_shared<v2_piece_targets>();
  s->piece_length_ = piece_length_;
  s->files_ = files_;
  s->root_of_file_ = root_of_file_;
  s->layers_.reserve(roots_.size());
  for (const auto& e : roots_) s->layers_.push_back(e.layer);
  return s;
}

v2_layer_state& v2_hash_store::writable_layer(root_entry& e) {
  // A snapshot may hold the state on another thread: give it a copy of its own to keep.
  if (e.layer.use_count() > 1) {
    e.layer = std::make_shared<v2_layer_state>(*e.layer);
  } else {
    // The last snapshot was released (an acq_rel decrement) on another thread: its reads happen
    // before the writes that follow.
    std::atomic_thread_fence(std::memory_order_acquire);
  }
  return *e.layer;
}

std::vector<piece_index> v2_hash_store::pieces_of(std::size_t root, std::int64_t first,
                                                  std::int64_t last) const {
  std::vector<piece_index> out;
  for (std::size_t i = 0; i < files_.size(); ++i) {
    if (root_of_file_[i] != root) continue;
    for (std::int64_t k = first; k < last; ++k)
      out.push_back(piece_index{static_cast<std::int32_t>(files_[i].first_piece.value + k)});
  }
  std::sort(out.begin(), out.end(), [](piece_index a, piece_index b) { return a.value < b.value; });
  return out;
}

std::vector<piece_index> v2_hash_store::add_piece_layer(const sha256_hash& root, std::int64_t first,
                                                        std::span<const sha256_hash> hashes) {
  const std::size_t r = root_index(root);
  if (r == npos || first < 0) return {};
  root_entry& e = roots_[r];
  if (e.num_pieces <= 1 || e.layer->complete()) return {};
  const std::int64_t end = std::min<std::int64_t>(e.num_pieces, first + static_cast<std::int64_t>(hashes.size()));
  if (first >= end) return {};
  std::vector<std::int64_t> fresh;
  v2_layer_state* layer = nullptr;
  for (std::int64_t k = first; k < end; ++k) {
    const auto i = static_cast<std::size_t>(k);
    if (e.layer->known[i]) continue;
    if (!layer) layer = &writable_layer(e);
    layer->hashes[i] = hashes[static_cast<std::size_t>(k - first)];
    layer->known[i] = true;
    ++layer->known_count;
    fresh.push_back(k);
  }
  if (layer && layer->complete()) --incomplete_roots_;
  std::vector<piece_index> out;
  for (std::int64_t k : fresh) {
    auto part = pieces_of(r, k, k + 1);
    out.insert(out.end(), part.begin(), part.end());
  }
  std::sort(out.begin(), out.end(), [](piece_index a, piece_index b) { return a.value < b.value; });
  return out;
}

result<std::vector<piece_index>> v2_hash_store::set_piece_layer(const sha256_hash& root,
                                                                std::span<const sha256_hash> layer) {
  const std::size_t r = root_index(root);
  if (r == npos || roots_[r].num_pieces <= 1 ||
      static_cast<std::int64_t>(layer.size()) != roots_[r].num_pieces) {
    return unexpected{std::make_error_code(std::errc::invalid_argument)};
  }
  if (merkle::piece_layer_root(layer, piece_length_) != root) {
    return unexpected{make_error_code(metainfo_errc::piece_layer_mismatch)};
  }
  return add_piece_layer(root, 0, layer);
}

void v2_hash_store::add_verified_nodes(const sha256_hash& root,
                                       std::span<const std::pair<merkle::node_position, sha256_hash>> nodes) {
  const std::size_t r = root_index(root);
  if (r == npos) return;
  auto& extra = roots_[r].extra;
  for (const auto& [pos, h] : nodes) {
    if (extra.size() >= max_extra_nodes) break;
    extra.emplace(pos, h);
  }
}

void v2_hash_store::add_block_hashes(piece_index p, std::span<const sha256_hash> blocks) {
  const auto c = file_of_piece(p);
  if (!c) return;
  const std::int64_t in_file = p.value - c->first_piece.value;
  const std::int64_t bytes = std::min(piece_length_, c->size - in_file * piece_length_);
  if (static_cast<std::int64_t>(blocks.size()) != (bytes + block_size - 1) / block_size) return;
  blocks_[p.value].assign(blocks.begin(), blocks.end());
}

std::span<const sha256_hash> v2_hash_store::block_hashes(piece_index p) const {
  auto it = blocks_.find(p.value);
  if (it == blocks_.end()) return {};
  return it->second;
}

std::optional<std::span<const sha256_hash>> v2_hash_store::piece_layer(const sha256_hash& root) const {
  const std::size_t r = root_index(root);
  if (r == npos || roots_[r].num_pieces <= 1 || !roots_[r].layer->complete()) return std::nullopt;
  return std::span<const sha256_hash>(roots_[r].layer->hashes);
}

std::optional<sha256_hash> v2_hash_store::verified_node(const sha256_hash& root,
                                                        merkle::node_position pos) const {
  const std::size_t r = root_index(root);
  if (r == npos) return std::nullopt;
  const root_entry& e = roots_[r];
  const int height = merkle::tree_height(e.num_blocks);
  if (pos.layer < 0 || pos.layer > height || pos.index < 0) return std::nullopt;
  if (pos.index >= (std::int64_t{1} << (height - pos.layer))) return std::nullopt;
  if (pos.layer == height) return e.root;
  // Nodes of this layer that cover file data: ceil(blocks / 2^layer); the others are padding.
  const std::int64_t span = std::int64_t{1} << pos.layer;
  if (pos.index >= (e.num_blocks + span - 1) / span) return merkle::pad_hash(pos.layer);
  if (auto it = e.extra.find(pos); it != e.extra.end()) return it->second;
  if (e.num_pieces > 1 && pos.layer == piece_layer_) {
    const auto i = static_cast<std::size_t>(pos.index);
    if (e.layer->known[i]) return e.layer->hashes[i];
    return std::nullopt;
  }
  if (pos.layer > piece_layer_) {
    if (const merkle::tree_layers* t = tree(root)) return t->node(pos);
    return std::nullopt;
  }
  if (pos.layer == 0) {
    const std::int64_t per_piece = piece_length_ / block_size;
    for (std::size_t i = 0; i < files_.size(); ++i) {
      if (root_of_file_[i] != r) continue;
      const piece_index p{static_cast<std::int32_t>(files_[i].first_piece.value + pos.index / per_piece)};
      auto blocks = block_hashes(p);
      const auto b = static_cast<std::size_t>(pos.index % per_piece);
      if (b < blocks.size()) return blocks[b];
    }
  }
  return std::nullopt;
}

verified_node_lookup v2_hash_store::node_lookup(const sha256_hash& root) const {
  return [this, root](merkle::node_position pos) { return verified_node(root, pos); };
}

const merkle::tree_layers* v2_hash_store::tree(const sha256_hash& root) const {
  const std::size_t r = root_index(root);
  if (r == npos) return nullptr;
  const root_entry& e = roots_[r];
  if (e.tree) return e.tree.get();
  const int height = merkle::tree_height(e.num_blocks);
  if (e.num_pieces <= 1) {
    const sha256_hash top[1] = {e.root};
    e.tree = std::make_unique<merkle::tree_layers>(top, height, height);
  } else if (e.layer->complete()) {
    e.tree = std::make_unique<merkle::tree_layers>(e.layer->hashes, piece_layer_, height);
  }
  return e.tree.get();
}

std::map<sha256_hash, std::vector<sha256_hash>> v2_hash_store::layers_to_save() const {
  std::map<sha256_hash, std::vector<sha256_hash>> out;
  for (const auto& e : roots_) {
    if (e.num_pieces > 1 && e.layer->complete() && !e.layer->from_torrent) out.emplace(e.root, e.layer->hashes);
  }
  return out;
}

}  // namespace tessera::detail
