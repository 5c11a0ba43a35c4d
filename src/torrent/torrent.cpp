#include "torrent/torrent.hpp"

#include <algorithm>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "disk/file_ownership.hpp"
#include "swarm/endpoint_conversion.hpp"
#include "swarm/peer_error.hpp"
#include "torrent/host_counts.hpp"
#include "torrent/padding.hpp"

namespace tessera::detail {

namespace {

int blocks_of(const torrent_info& ti, int piece) {
  if (piece < 0 || piece >= ti.num_pieces()) return 1;
  return std::max(1, ti.blocks_in_piece(piece_index{piece}));
}

piece_picker make_picker(const torrent_info& ti) {
  int n = ti.num_pieces();
  return piece_picker(n, blocks_of(ti, 0), blocks_of(ti, n - 1));
}

// Our listen interface is a loopback address: peers we hear of on loopback are reachable and
// legitimate (a test swarm on 127.0.0.x), so the peer list accepts them (is_dialable_peer).
bool on_loopback(const session_settings& s) {
  auto a = outgoing_address(s);
  return a && is_loopback_address(*a);
}

// Answers a read of `length` bytes at `begin` of the window (or piece) in `piece`.
void answer_read(const std::vector<std::uint8_t>& piece, std::int32_t begin, std::int32_t length,
                 const peer_host::read_handler& done) {
  if (begin < 0 || length < 0 || std::int64_t{begin} + length > static_cast<std::int64_t>(piece.size())) {
    done(std::make_error_code(std::errc::invalid_argument), {});
    return;
  }
  done({}, std::span<const std::uint8_t>(piece.data() + begin, static_cast<std::size_t>(length)));
}

// Length of block `b` of a piece of `piece_size` bytes.
std::int32_t block_length(std::int32_t piece_size, block_index b) {
  std::int64_t begin = std::int64_t(b.value) * block_size;
  return static_cast<std::int32_t>(std::min<std::int64_t>(block_size, piece_size - begin));
}

}  // namespace

std::optional<boost::asio::ip::address> outgoing_address(const session_settings& s) {
  if (s.listen_interface.empty()) return std::nullopt;
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(s.listen_interface, ec);
  if (ec || a.is_unspecified()) return std::nullopt;
  return a;
}

torrent::torrent(torrent_context ctx, std::shared_ptr<const torrent_info> ti,
                 std::shared_ptr<storage> st, std::vector<endpoint> initial_peers,
                 torrent_limits limits)
    : ctx_(std::move(ctx)),
      ti_(std::move(ti)),
      storage_(std::move(st)),
      limits_(limits),
      picker_(make_picker(*ti_)),
      read_cache_(limits.max_read_cache_bytes),
      peers_(peer_list::options{.loopback_allowed = on_loopback(ctx_.settings)}) {
  for (const auto& ep : initial_peers) peers_.add(ep, peer_source::user);
  save_path_ = ctx_.save_path;
  paused_ = ctx_.start_paused;
  file_prios_ = ctx_.file_priorities;
  reset_pieces();  // also applies the priorities (a magnet's once its metadata arrived)
  if (!storage_) {  // a magnet link: the metadata comes from peers first
    has_metadata_ = false;
    metadata_fetch_ = std::make_unique<metadata_fetch>(ti_->info_hash());
    state_ = torrent_state::downloading_metadata;
  }
}

torrent::~torrent() = default;

void torrent::reset_pieces() {
  picker_ = make_picker(*ti_);
  done_bytes_ = 0;
  total_wanted_ = payload_size(*ti_);
  pad_in_piece_ = padding_per_piece(*ti_);
  file_pieces_left_.clear();
  smart_ban_.clear();  // the pieces are fetched afresh: no record refers to a live download
  parole_.clear();
  reset_v2_hashes();
  apply_priorities();  // the new picker takes the file priorities (no-op without storage)
}

std::int64_t torrent::wanted_bytes(piece_index p) const {
  std::int64_t size = ti_->piece_size(p);
  if (!pad_in_piece_.empty()) size -= pad_in_piece_[static_cast<std::size_t>(p.value)];
  return size;
}

void torrent::set_have(piece_index p) {
  if (picker_.have(p)) return;
  picker_.set_have(p);
  done_bytes_ += wanted_bytes(p);
}

// --- lifecycle -----------------------------------------------------------------------------

void torrent::start() {
  if (started_) return;
  started_ = true;
  set_running(!paused_);
  if (!has_metadata_) {
    if (!paused_) start_swarm();  // trackers, then peers, for the metadata
    return;
  }
  start_check();
}

void torrent::start_check() {
  pieces_checked_ = 0;  // a recheck counts from the start again
  set_state(torrent_state::checking);
  std::weak_ptr<torrent> weak = weak_from_this();
  ctx_.disk->async_check(
      storage_, ti_, ctx_.ex,
      [weak](int checked) {
        if (auto t = weak.lock()) t->pieces_checked_ = checked;
      },
      [weak](check_result r) {
        if (auto t = weak.lock()) t->on_checked(std::move(r));
      },
      resume_trust(), claim_files(), v2_hashes_.has_v2() ? v2_hashes_.snapshot() : nullptr);
}

std::function<std::optional<storage_error>(const bitfield&)> torrent::claim_files() {
  file_ownership* own = storage_ ? ownership_of(*storage_) : nullptr;
  if (!own) return {};
  // The files an earlier run recorded as its own (first check only: a recheck has no resume data).
  if (ctx_.resume) own->adopt_files(ctx_.resume->owned_files);
  std::vector<bool> wanted(ti_->files().size(), true);
  for (std::size_t i = 0; i < file_prios_.size() && i < wanted.size(); ++i)
    wanted[i] = file_prios_[i] != file_priority::skip;
  // Runs on the disk thread that ends the check: files of verified pieces become the torrent's,
  // and a file still to be written that is someone else's stops the torrent before any write.
  return [st = storage_, ti = ti_, wanted = std::move(wanted)](const bitfield& have) {
    return claim_checked_files(*st, *ti, have, wanted);
  };
}

void torrent::on_checked(check_result r) {
  if (stopped_ || state_ == torrent_state::error) return;
  if (r.error) {
    fail(*r.error);
    return;
  }
  for (int i = 0; i < r.have.size() && i < ti_->num_pieces(); ++i) {
    if (r.have.get(i)) set_have(piece_index{i});
  }
  pieces_checked_ = ti_->num_pieces();
  if (ctx_.emit) {
    ctx_.emit(events::torrent_checked{ti_->info_hash(), picker_.num_have(), ti_->num_pieces()});
  }
  if (picker_.is_complete()) {
    become_seed();
  } else {
    set_state(torrent_state::downloading);
    check_finished();  // every wanted piece may be on disk already
  }
  count_file_pieces();
  mark_resume_dirty();
  if (paused_) return;  // resume() starts the swarm
  start_swarm();
  // Connections made during the check (incoming, or kept from a magnet's metadata phase) were
  // sent no bitfield, or an empty one: they learn the checked pieces as `have`s (BEP 3 allows a
  // bitfield only right after the handshake). Then interest and requests can start.
  std::vector<std::shared_ptr<peer_connection>> open;
  for (auto& [k, c] : conns_) {
    if (c.counted) open.push_back(c.conn);
  }
  for (auto& c : open) {
    for (int i = 0; i < ti_->num_pieces() && !c->is_closed(); ++i) {
      if (picker_.have(piece_index{i})) c->send_have(piece_index{i});
    }
    if (!c->is_closed()) c->update_interest();
  }
}

void torrent::start_swarm() {
  start_announcing();
  connect_candidates();
}

void torrent::start_announcing() {
  if (!announcers_.empty() || ti_->trackers().empty()) return;
  // One announcer per swarm (BEP 52): a hybrid announces its v1 hash and its truncated v2 hash
  // to every tracker, so that v1-only peers and peers that know only the v2 hash both find it.
  // Both carry the same `key` (as libtorrent's do), so a tracker can tell it is one client.
  const auto swarms = swarm_hashes(ti_->info_hash());
  const std::uint32_t key = std::uniform_int_distribution<std::uint32_t>(1)(choker_rng_);
  for (std::size_t i = 0; i < swarms.size(); ++i) {
    announcers_.push_back(std::make_shared<announcer>(ctx_.ex, ctx_.udp, ti_->trackers(),
                                                      announcer_callbacks(swarms[i], i == 0, key)));
  }
  for (auto& a : announcers_) a->start();
  start_scraping();
}

announcer::callbacks torrent::announcer_callbacks(swarm_hash swarm, bool primary, std::uint32_t key) {
  std::weak_ptr<torrent> weak = weak_from_this();
  announcer::callbacks cb;
  cb.make_request = [weak, swarm, key]() {
    announce_request req;
    auto t = weak.lock();
    if (!t) return req;
    req.info_hash = swarm.hash;  // the 20 bytes of this swarm (BEP 3, BEP 52)
    req.key = key;
    req.pid = t->ctx_.pid;
    req.port = t->ctx_.settings.listen_port;
    // Both swarms of a hybrid get the torrent's whole counters (libtorrent 2.0 does the same).
    req.uploaded = t->total_uploaded();
    req.downloaded = t->downloaded_;
    // Without metadata the size is unknown; 0 would claim we are a seed.
    // BEP 3 `left`: what we still mean to download (skipped files excluded).
    if (t->has_metadata_) {
      torrent_status wanted;
      t->fill_wanted_status(wanted);
      req.left = wanted.total_wanted - wanted.total_wanted_done;
    } else {
      req.left = block_size;
    }
    req.numwant = t->ctx_.settings.numwant;
    req.local_address = outgoing_address(t->ctx_.settings);
    return req;
  };
  cb.on_peers = [weak, swarm](const std::vector<boost::asio::ip::tcp::endpoint>& eps) {
    if (auto t = weak.lock()) t->add_peers(eps, peer_source::tracker, swarm.swarm);
  };
  cb.on_all_failed = [weak, primary](const tracker_error& e) {
    auto t = weak.lock();
    if (!t || t->stopped_) return;
    t->tracker_message_ = e.message;
    // The swarms share their trackers: one event per round, from the primary swarm's announcer.
    if (!primary) return;
    int connected = 0;
    for (const auto& [k, c] : t->conns_) connected += c.counted ? 1 : 0;
    if (connected == 0 && t->ctx_.emit) {
      t->ctx_.emit(events::tracker_error{t->ti_->info_hash(), e.message});
    }
  };
  cb.on_reply = [weak](const std::string& url, const announce_response& r) {
    auto t = weak.lock();
    if (!t) return;
    t->tracker_message_ = r.warning.empty() ? "" : url + ": " + r.warning;
    auto& ts = t->tracker_status_[url];
    ++ts.announces;
    ts.failures = 0;
    ts.last_announce = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    ts.peers = static_cast<int>(r.peers.size());
    ts.seeders = r.complete >= 0 ? std::optional<int>(static_cast<int>(r.complete)) : std::nullopt;
    ts.leechers = r.incomplete >= 0 ? std::optional<int>(static_cast<int>(r.incomplete)) : std::nullopt;
    ts.message = r.warning;
    if (t->ctx_.emit) t->ctx_.emit(events::tracker_reply{t->ti_->info_hash(), url, ts.peers});
    if (t->scraper_) t->scraper_->announced();
  };
  cb.on_error = [weak](const std::string& url, const tracker_error& e) {
    auto t = weak.lock();
    if (!t) return;
    t->tracker_message_ = url + ": " + e.message;
    auto& ts = t->tracker_status_[url];
    ++ts.failures;
    ts.message = e.message;
    ts.last_announce = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  };
  return cb;
}

boost::asio::awaitable<void> torrent::stop() {
  if (stopped_) co_return;
  stopped_ = true;
  if (rename_pending_) {  // never started: tell its caller
    auto done = std::move(rename_pending_->done);
    rename_pending_.reset();
    done(std::make_error_code(std::errc::operation_canceled));
  }
  set_running(false);
  auto self = shared_from_this();  // keep alive across the awaits
  close_all_connections(std::make_error_code(std::errc::operation_canceled));
  read_cache_.clear();
  scraper_.reset();
  if (!announcers_.empty()) {
    // Every swarm's `stopped` at once, all within stop_announce_timeout.
    auto announcers = std::move(announcers_);
    announcers_.clear();
    auto pending = std::make_shared<int>(static_cast<int>(announcers.size()));
    auto done = std::make_shared<boost::asio::steady_timer>(ctx_.ex, std::chrono::steady_clock::time_point::max());
    for (auto& a : announcers) {
      boost::asio::co_spawn(
          ctx_.ex,
          [a, pending, done, t = ctx_.settings.stop_announce_timeout]() -> boost::asio::awaitable<void> {
            co_await a->stop(t);
            if (--*pending == 0) done->cancel();
          },
          boost::asio::detached);
    }
    // Each stop() is bounded by the timeout, so this wait is too.
    if (*pending > 0) co_await done->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }
  if (state_ != torrent_state::error) co_await save_resume_now();
  if (storage_) storage_->close_all();  // null: a magnet stopped before its metadata arrived
}

void torrent::fail(const storage_error& e) { fail(e.message()); }

void torrent::fail(const std::string& message) {
  if (state_ == torrent_state::error) return;
  set_state(torrent_state::error);
  set_running(false);
  error_ = message;
  spdlog::error("torrent {}: {}", ti_->name(), error_);
  close_all_connections(std::make_error_code(std::errc::io_error));
  stop_announcing();
  if (ctx_.emit) ctx_.emit(events::torrent_error{ti_->info_hash(), error_});
}

void torrent::become_seed() {
  set_state(torrent_state::seeding);
  mark_resume_dirty();
  save_resume();  // the finished state is worth keeping at once
  if (!finished_emitted_) {
    finished_emitted_ = true;
    if (ctx_.emit) ctx_.emit(events::torrent_finished{ti_->info_hash()});
  }
  // Seeds have nothing for us and want nothing from us.
  std::vector<std::shared_ptr<peer_connection>> seeds;
  for (auto& [k, c] : conns_) {
    if (c.conn->handshake_done() && c.conn->is_seed()) seeds.push_back(c.conn);
  }
  for (auto& c : seeds) drop_if_both_seeds(*c);
  // The choker ranks by upload rate from now on.
  post_rechoke();
}

void torrent::drop_if_both_seeds(peer_connection& c) {
  if (state_ != torrent_state::seeding || !c.is_seed() || c.is_closed()) return;
  // A seed stays a seed: never dial it again while we seed (again after a recheck or an
  // unskipped file makes us download).
  if (auto it = conns_.find(c.key()); it != conns_.end()) it->second.seed = true;
  c.close(peer_errc::both_seeds);
}

// --- tick, peers ---------------------------------------------------------------------------

void torrent::tick() {
  if (!started_ || stopped_) return;
  ++ticks_;
  std::int64_t up = total_uploaded();
  if (up > upload_sampled_) upload_rate_.add(up - upload_sampled_, rate_meter::clock::now());
  upload_sampled_ = up;
  release_stuck_pieces();
  run_pending_disk_work();
  connect_candidates();
  if (metadata_fetch_) request_metadata();  // time-outs hand requests to other peers
  tick_hashes();
  tick_web_seeds();
  if (std::chrono::steady_clock::now() >= next_pex_) {
    next_pex_ = std::chrono::steady_clock::now() + ctx_.settings.pex_interval;  // BEP 11: once a minute
    send_pex_all();
  }
  choker_settings cs;
  // With the session's choker, the session's own timer runs the rounds.
  if (!ctx_.request_rechoke && rate_meter::clock::now() - last_rechoke_ >= cs.rechoke_interval) rechoke();
}

bool torrent::choke_snapshot(torrent_choke_input& out) const {
  if (stopped_ || state_ == torrent_state::error || state_ == torrent_state::checking ||
      state_ == torrent_state::downloading_metadata) {
    return false;
  }
  out.torrent = ctx_.serial;
  out.seeding = state_ == torrent_state::seeding;
  out.peers.clear();
  out.peers.reserve(conns_.size());
  for (const auto& [k, c] : conns_) {
    if (!c.counted || c.conn->is_closed() || !c.conn->handshake_done()) continue;
    const auto st = c.conn->stats();
    choker_peer p;
    p.key = k;
    p.peer_interested = c.conn->peer_interested();
    p.download_rate = st.download_rate;
    p.upload_rate = st.upload_rate;
    p.connected_at = c.conn->connected_at();
    p.snubbed = c.conn->is_snubbed();
    p.is_seed = c.conn->is_seed();
    p.am_choking = c.conn->am_choking();
    out.peers.push_back(p);
  }
  return true;
}

void torrent::apply_choke(const torrent_choke_output& decision) {
  // choke()/unchoke() only queue messages: they never call back into the torrent.
  for (peer_key k : decision.to_choke) {
    if (auto it = conns_.find(k); it != conns_.end()) it->second.conn->choke();
  }
  for (peer_key k : decision.to_unchoke) {
    if (auto it = conns_.find(k); it != conns_.end()) it->second.conn->unchoke();
  }
}

void torrent::rechoke() {
  if (ctx_.request_rechoke) {  // the session's choker decides for every torrent at once
    ctx_.request_rechoke();
    return;
  }
  torrent_choke_input in;
  if (!choke_snapshot(in)) return;
  const auto now = std::chrono::steady_clock::now();
  last_rechoke_ = now;
  choker_settings cs;
  cs.regular_slots = unchoke_slots();
  const auto mode = in.seeding ? choker_mode::seeding : choker_mode::leeching;
  auto r = run_choker(in.peers, mode, now, cs, choker_state_, choker_rng_);
  choker_state_ = std::move(r.state);
  apply_choke({in.torrent, std::move(r.to_choke), std::move(r.to_unchoke)});
}

void torrent::post_rechoke() {
  if (rechoke_posted_ || stopped_) return;
  rechoke_posted_ = true;
  std::weak_ptr<torrent> weak = weak_from_this();
  boost::asio::post(ctx_.ex, [weak] {
    auto t = weak.lock();
    if (!t) return;
    t->rechoke_posted_ = false;
    t->rechoke();
  });
}

void torrent::on_peer_interest(peer_connection& c, bool interested) {
  if (stopped_) return;
  if (interested) {
    if (!c.am_choking()) return;
    // A free slot (regular or optimistic) should not wait for the next 10 s round.
    int unchoked = 0;
    for (const auto& [k, e] : conns_) unchoked += (e.counted && !e.conn->am_choking()) ? 1 : 0;
    if (ctx_.request_rechoke || unchoked < unchoke_slots() + 1) post_rechoke();
  } else if (!c.am_choking()) {
    post_rechoke();  // its slot is free for an interested peer
  }
}

// Requests are served from read windows (read_cache.hpp): the first request of a window reads
// all of it (one disk job) and later ones, from this peer or others, are answered from the cache.
// When reads in flight fill the cache's budget, the request reads just its own bytes: memory
// stays bounded by the budget plus one block per read in flight (peer_connection_settings::
// max_reads_in_flight per peer), whatever the peers ask for.
void torrent::read_block(piece_index p, std::int32_t begin, std::int32_t length, read_handler done) {
  if (const auto w = read_window_for(ti_->piece_size(p), begin, length, limits_.read_windows)) {
    if (auto buf = read_cache_.find(p, *w)) {
      boost::asio::post(ctx_.ex, [buf = std::move(buf), at = begin - w->start, length, done = std::move(done)] {
        answer_read(*buf, at, length, done);
      });
      return;
    }
    read_waiter waiter{begin, length, std::move(done)};
    switch (read_cache_.wait(p, *w, std::move(waiter))) {
      case piece_read_cache::wait_result::joined:
        return;
      case piece_read_cache::wait_result::start_read: {
        note_upload_read_bytes();
        std::weak_ptr<torrent> weak = weak_from_this();
        ctx_.disk->async_read(storage_, ti_, p, w->start, w->length, ctx_.ex,
                              [weak, p, w = *w](result<std::vector<std::uint8_t>, storage_error> r) {
                                if (auto t = weak.lock()) t->on_window_read(p, w, std::move(r));
                              });
        return;
      }
      case piece_read_cache::wait_result::over_budget:
        done = std::move(waiter.done);  // not taken: read the block alone below
        break;
    }
  }
  ++block_reads_;
  block_read_bytes_ += length;
  note_upload_read_bytes();
  std::weak_ptr<torrent> weak = weak_from_this();
  ctx_.disk->async_read(storage_, ti_, p, begin, length, ctx_.ex,
                        [weak, length, done = std::move(done)](result<std::vector<std::uint8_t>, storage_error> r) {
                          if (auto t = weak.lock()) t->block_read_bytes_ -= length;
                          if (!r) {
                            done(r.error().ec ? r.error().ec : std::make_error_code(std::errc::io_error), {});
                            return;
                          }
                          done({}, std::span<const std::uint8_t>(*r));
                        });
}

void torrent::on_window_read(piece_index p, read_window w,
                             result<std::vector<std::uint8_t>, storage_error> r) {
  if (!r) {
    const std::error_code ec = r.error().ec ? r.error().ec : std::make_error_code(std::errc::io_error);
    for (auto& waiter : read_cache_.complete(p, w, nullptr)) waiter.done(ec, {});
    return;
  }
  auto buf = std::make_shared<const std::vector<std::uint8_t>>(std::move(*r));
  // The waiters are moved out first: answering one may queue further reads on the cache.
  for (auto& waiter : read_cache_.complete(p, w, buf)) {
    answer_read(*buf, waiter.begin - w.start, waiter.length, waiter.done);
  }
}

void torrent::note_upload_read_bytes() {
  peak_upload_read_bytes_ = std::max(peak_upload_read_bytes_, read_cache_.bytes() + block_read_bytes_);
}

void torrent::attach_incoming(peer_stream stream, const wire::handshake& h) {
  boost::system::error_code ec;
  const endpoint remote = stream.remote_endpoint(ec);
  auto refuse = [&stream](const char* why) {
    spdlog::debug("incoming peer refused: {}", why);
    stream.close();
  };
  if (ec) return refuse("socket already closed");
  // Accepted while the data is being checked too (a magnet's connections live through the check
  // as well): the peer learns our pieces through `have`s once the check ends (on_checked). A
  // refused peer would only come back after its back-off, typically 30 s or more.
  if (stopped_ || paused_ || state_ == torrent_state::error) return refuse("torrent not running");
  if (static_cast<int>(conns_.size()) >= connection_limit()) {
    return refuse("torrent connection limit");
  }
  if (ctx_.budget && ctx_.budget->open >= ctx_.budget->max) return refuse("session connection limit");
  if (peers_.is_banned(remote.address())) return refuse("banned address");
  // One connection opened by each host per torrent (libtorrent's default), so that one host
  // cannot fill the torrent's slots: a second one from the host goes at once. Our own connection
  // to the host does not refuse this one: when both sides dial at once, closing either here could
  // meet the other side closing the other (libtorrent decides by listen ports or by peer ids,
  // depending on its settings, and sends a new peer id on every connection). So the two sides'
  // duplicate rules settle it (ours: on_handshake, for a matching peer id), and a host holds at
  // most one connection it opened and one we opened.
  if (!ctx_.settings.allow_multiple_connections_per_ip && connections_with(remote.address(), true) > 0) {
    return refuse("the address has a connection open already");
  }
  if (ctx_.budget && !ctx_.budget->host_has_room(remote.address())) {
    return refuse("session connections per address or subnet");
  }
  peer_key key = next_key_++;
  auto conn = std::make_shared<peer_connection>(ctx_.ex, *this, key, ti_->info_hash(), remote,
                                               connection_settings());
  connection_entry e;
  e.conn = conn;
  e.remote = remote;
  e.incoming = true;
  conns_[key] = std::move(e);
  key_addresses_[key] = remote.address();
  if (ctx_.budget) ++ctx_.budget->open;
  conn->start_incoming(std::move(stream), h);
}

void torrent::release_stuck_pieces() {
  if (state_ != torrent_state::downloading) return;
  const std::int64_t budget = std::max<std::int64_t>(limits_.max_assembling_bytes, 2 * ti_->piece_length());
  if (std::int64_t(buffers_.num_active()) * ti_->piece_length() < budget) return;
  // At the memory cap, a partly received piece that no connected peer has blocks new pieces
  // forever: give its blocks up (they count as wasted) so the slot serves a piece we can get.
  bool released = false;
  for (piece_index p : buffers_.idle_pieces()) {
    if (picker_.availability(p) > 0) continue;
    picker_.piece_failed(p);
    buffers_.discard(p);
    wasted_ += ti_->piece_size(p);
    released = true;
  }
  if (released) request_more_all();
}

void torrent::add_peers(const std::vector<endpoint>& eps, peer_source source, swarm_set swarm) {
  for (const auto& ep : eps) peers_.add(ep, source, swarm);
  connect_candidates();
}

void torrent::connect_candidates() {
  if (stopped_ || paused_ || state_ == torrent_state::error || state_ == torrent_state::checking) return;
  // A seed dials too: tracker peers may be leechers that cannot reach us (peers that turn out to
  // be seeds are dropped after their bitfield).
  auto now = peer_list::clock::now();
  // Bound the attempts per tick so a huge peer list does not stall the network thread.
  for (int attempts = 0; attempts < 20; ++attempts) {
    if (static_cast<int>(conns_.size()) >= connection_limit()) break;
    if (ctx_.budget && ctx_.budget->open >= ctx_.budget->max) break;
    auto ep = peers_.next_candidate(now, state_ == torrent_state::seeding);
    if (!ep) break;
    // The host has a connection already (another port of it, or it dialled us), or its address or
    // subnet has its share of the session: not dialled now, and not counted as a failed attempt.
    if ((!ctx_.settings.allow_multiple_connections_per_ip && connections_with(ep->address(), false) > 0) ||
        (ctx_.budget && !ctx_.budget->host_has_room(ep->address()))) {
      peers_.defer(*ep, now);
      continue;
    }
    peer_key key = next_key_++;
    auto pcs = connection_settings();
    // The hash of the swarm the address came from (BEP 52): a peer found only under a hybrid's
    // v2 hash may not know its v1 hash.
    pcs.outgoing_info_hash = handshake_hash(ti_->info_hash(), peers_.found_in(*ep));
    // MSE/PE: `enabled` starts with MSE unless this address is known to want plaintext (its
    // last MSE attempt was dropped, or plaintext worked).
    const auto mode = ctx_.settings.encryption;
    pcs.encryption = outgoing_for(mode);
    if (mode == encryption_mode::enabled && peers_.dial_plaintext(*ep)) pcs.encryption = outgoing_for(encryption_mode::disabled);
    // uTP (BEP 29) where the peer advertised it or it worked before, or after TCP failed with it
    // (peer_list::dial_utp); TCP otherwise.
    if (ctx_.utp_for && peers_.dial_utp(*ep)) pcs.utp = ctx_.utp_for(ep->address());
    auto conn = std::make_shared<peer_connection>(ctx_.ex, *this, key, ti_->info_hash(), *ep, pcs);
    connection_entry e;
    e.conn = conn;
    e.remote = *ep;
    conns_[key] = std::move(e);
    key_addresses_[key] = ep->address();
    if (ctx_.budget) ++ctx_.budget->open;
    conn->start_outgoing();
  }
}

int torrent::connections_with(const boost::asio::ip::address& a, bool incoming_only) const {
  const auto host = host_address(a);
  int n = 0;
  for (const auto& [k, c] : conns_) {
    if (host_address(c.remote.address()) == host && (c.incoming || !incoming_only)) ++n;
  }
  return n;
}

peer_connection_settings torrent::connection_settings() const {
  peer_connection_settings pcs;
  pcs.bind_address = outgoing_address(ctx_.settings);
  pcs.tos = ctx_.settings.peer_tos;
  pcs.download_bandwidth = {ctx_.bandwidth.download_manager, download_limit_, ctx_.bandwidth.download, bandwidth_share_};
  pcs.upload_bandwidth = {ctx_.bandwidth.upload_manager, upload_limit_, ctx_.bandwidth.upload, bandwidth_share_};
  return pcs;
}

void torrent::close_all_connections(std::error_code reason) {
  close_web_seeds();
  std::vector<std::shared_ptr<peer_connection>> all;
  all.reserve(conns_.size());
  for (auto& [k, c] : conns_) all.push_back(c.conn);
  for (auto& c : all) c->close(reason);
}

void torrent::request_more_all() {
  // Posted and coalesced: callers are often inside a connection's callback.
  if (request_more_posted_) return;
  request_more_posted_ = true;
  std::weak_ptr<torrent> weak = weak_from_this();
  boost::asio::post(ctx_.ex, [weak] {
    auto t = weak.lock();
    if (!t) return;
    t->request_more_posted_ = false;
    if (t->stopped_ || t->state_ != torrent_state::downloading) return;
    std::vector<std::shared_ptr<peer_connection>> all;
    for (auto& [k, c] : t->conns_) {
      if (c.counted) all.push_back(c.conn);
    }
    for (auto& c : all) {
      if (!c->is_closed()) c->request_more();
    }
    for (auto& w : t->web_seeds_) w->wake();
  });
}

std::int64_t torrent::total_uploaded() const {
  std::int64_t sum = closed_uploaded_;
  for (const auto& [k, c] : conns_) sum += c.conn->stats().uploaded;
  return sum;
}

// --- peer_host -----------------------------------------------------------------------------

bool torrent::on_handshake(peer_connection& c, const wire::handshake& h) {
  auto it = conns_.find(c.key());
  if (it == conns_.end() || stopped_ || state_ == torrent_state::error) return false;
  if (h.id == ctx_.pid) {  // we connected to ourselves
    it->second.retry = false;
    if (it->second.incoming) {
      // Our own outgoing connection is the other end: never dial that address again (it would
      // otherwise only see the close, not the handshake, and retry).
      for (auto& [k, other] : conns_) {
        if (!other.incoming && other.conn->local_endpoint() == it->second.remote) other.retry = false;
      }
    }
    return false;
  }
  for (auto& [k, other] : conns_) {
    if (k == c.key() || !other.counted || other.conn->remote_peer_id() != h.id) continue;
    // The same peer twice: another address, or both sides dialled each other at once (after a
    // PEX message that told each about the other). Both sides must keep the same one, or each
    // drops the one the other kept: keep the connection dialled by the greater peer id, as
    // libtorrent does (bt_peer_connection: "the peer with greatest peer-id is the one allowed to
    // initiate connections"). BEP 3 names no rule; with the reverse one each side closed the
    // connection the other kept.
    const auto initiator = [&](bool incoming) -> const peer_id& { return incoming ? h.id : ctx_.pid; };
    const bool new_incoming = it->second.incoming;
    if (new_incoming != other.incoming && initiator(other.incoming) < initiator(new_incoming)) {
      other.retry = false;
      auto old = other.conn;
      old->close(peer_errc::duplicate);
      break;  // `other` may be gone now; the new connection is kept
    }
    it->second.retry = false;
    return false;
  }
  it = conns_.find(c.key());
  if (it == conns_.end()) return false;
  // The session's per-host caps, after the duplicate rule, so that of two connections between
  // the same two peers the one kept is counted.
  const auto addr = it->second.remote.address();
  if (ctx_.budget && !ctx_.budget->host_has_room(addr)) {
    spdlog::debug("torrent {}: {} refused: the session's connections per address or subnet are taken",
                  ti_->name(), endpoint_to_string(it->second.remote));
    return false;
  }
  it->second.counted = true;
  if (ctx_.budget) ctx_.budget->established.add(addr);
  if (ctx_.emit) {
    // The connection records the peer id after this call returns: read the client name later.
    std::weak_ptr<torrent> weak = weak_from_this();
    std::weak_ptr<peer_connection> wc = it->second.conn;
    std::string ep = endpoint_to_string(it->second.remote);
    boost::asio::post(ctx_.ex, [weak, wc, ep] {
      auto t = weak.lock();
      auto conn = wc.lock();
      if (!t || !conn || conn->is_closed() || !t->ctx_.emit) return;
      t->ctx_.emit(events::peer_connected{t->ti_->info_hash(), ep, conn->client_name()});
    });
  }
  return true;
}

void torrent::on_peer_has(peer_connection& c, const bitfield& whole_set) {
  auto it = conns_.find(c.key());
  if (it == conns_.end()) return;
  if (it->second.availability) {
    // A second full set (e.g. have-all after bitfield): replace the first.
    picker_.remove_peer(c.pieces());
  }
  picker_.add_peer(whole_set);
  it->second.availability = true;
  drop_if_both_seeds(c);
}

void torrent::on_peer_have(peer_connection& c, piece_index p) {
  auto it = conns_.find(c.key());
  if (it == conns_.end() || p.value < 0 || p.value >= ti_->num_pieces()) return;
  picker_.add_have(p);
  it->second.availability = true;
  drop_if_both_seeds(c);
}

bool torrent::is_interesting(const bitfield& peer_has) const {
  if (state_ != torrent_state::downloading) return false;
  return picker_.is_interesting(peer_has);
}

void torrent::pick_blocks(peer_connection& c, int max, std::vector<block_address>& out) {
  pick_for(c.key(), c.pieces(), max, out);
}

void torrent::pick_blocks_in(peer_connection& c, std::span<const piece_index> pieces, int max,
                             std::vector<block_address>& out) {
  // Sequential mode (streaming) wants pieces in order: an allowed-fast or suggested piece further
  // on would be fetched ahead of its turn, so neither is preferred.
  if (picker_.sequential()) return;
  const auto& has = c.pieces();
  bitfield within(has.size());
  for (const piece_index p : pieces) {
    if (p.value >= 0 && p.value < has.size() && has.get(p.value)) within.set(p.value);
  }
  if (within.none()) return;
  pick_for(c.key(), within, max, out);
}

void torrent::pick_for(peer_key key, const bitfield& has, int max, std::vector<block_address>& out) {
  if (stopped_ || state_ != torrent_state::downloading || max <= 0) return;
  // Back-pressure: the disk is behind; request_more_all() resumes when a write completes.
  if (buffers_.bytes_at_disk() >= std::max<std::int64_t>(limits_.max_disk_queue_bytes, 2 * ti_->piece_length())) {
    return;
  }
  // Memory bound: start no new piece once the active pieces would take more than
  // max_assembling_bytes; blocks of active pieces are always fine. This holds in endgame too:
  // endgame only duplicates requests of pieces that are active already.
  const std::int64_t budget = std::max<std::int64_t>(limits_.max_assembling_bytes, 2 * ti_->piece_length());
  const std::int64_t budget_pieces = budget / std::max<std::int64_t>(1, ti_->piece_length());
  // Ask the picker for no more than can be kept, so it does not start (and we abort) many pieces.
  const std::int64_t room_new = std::max<std::int64_t>(0, budget_pieces - buffers_.num_active());
  std::int64_t allowance =
      room_new * picker_.blocks_in_piece(piece_index{0}) +
      buffers_.unrequested_bound([this](piece_index p) { return picker_.blocks_in_piece(p); });
  // In endgame (known before picking) the picker only duplicates requests of active pieces.
  if (picker_.in_endgame()) allowance = max;
  max = static_cast<int>(std::min<std::int64_t>(max, allowance));
  if (max <= 0) return;
  std::size_t first = out.size();
  if (parole_.empty() && v2_pickable_.empty()) {
    picker_.pick(has, max, key, out);
  } else {
    bitfield visible = pickable_of(has);
    parole_.hide_owned_by_others(visible, key);  // a paroled piece another peer owns is not this peer's to fetch
    picker_.pick(visible, max, key, out);
  }
  std::size_t kept = first;
  for (std::size_t i = first; i < out.size(); ++i) {
    block_address b = out[i];
    bool over = std::int64_t(buffers_.num_active()) >= budget_pieces;
    if (over && !buffers_.is_active(b.piece)) {
      picker_.abort_request(b, key);
      continue;
    }
    buffers_.request_sent(b.piece);
    parole_.claim(b.piece, key);
    out[kept++] = b;
  }
  out.resize(kept);
}

void torrent::on_block(peer_connection& c, block_address b, std::span<const std::uint8_t> data) {
  receive_block(c.key(), b, data);
}

void torrent::receive_block(peer_key key, block_address b, std::span<const std::uint8_t> data) {
  const auto size = static_cast<std::int64_t>(data.size());
  downloaded_ += size;
  download_rate_.add(size, rate_meter::clock::now());
  buffers_.request_ended(b.piece);
  if (stopped_ || state_ != torrent_state::downloading || b.piece.value < 0 ||
      b.piece.value >= ti_->num_pieces()) {
    wasted_ += size;
    return;
  }
  const std::int32_t psize = ti_->piece_size(b.piece);
  if (!piece_hash_known(b.piece)) {  // unrequested: nothing to verify it against yet
    wasted_ += size;
    return;
  }
  if (b.block.value < 0 || b.block.value >= picker_.blocks_in_piece(b.piece) ||
      size != block_length(psize, b.block)) {
    wasted_ += size;
    picker_.abort_request(b, key);
    return;
  }
  scratch_keys_.clear();
  if (!picker_.mark_received(b, key, &scratch_keys_)) {
    wasted_ += size;  // duplicate (endgame) or a piece we have
    return;
  }
  // Endgame: other peers asked for the same block; cancel their requests.
  std::vector<peer_key> others = scratch_keys_;
  for (peer_key k : others) {
    auto it = conns_.find(k);
    if (it == conns_.end()) continue;
    it->second.conn->cancel_request(b);
    buffers_.request_ended(b.piece);
  }
  if (!buffers_.store(b.piece, psize, b.block.value * block_size, data, key)) {
    wasted_ += size;
    picker_.abort_request(b, key);
    return;
  }
  peak_buffered_ = std::max(peak_buffered_, buffers_.bytes_in_memory() + buffers_.bytes_at_disk());
  if (picker_.all_blocks_received(b.piece)) hash_piece(b.piece);
}

void torrent::hash_piece(piece_index p) {
  std::vector<std::uint8_t> data = buffers_.take_for_hash(p);
  std::weak_ptr<torrent> weak = weak_from_this();
  // A piece that failed before comes back with its block hashes for the smart ban.
  ctx_.disk->async_hash_and_write(
      storage_, ti_, p, std::move(data), ctx_.ex,
      [weak](piece_write_result r) {
        if (auto t = weak.lock()) t->on_piece_written(std::move(r));
      },
      smart_ban_.has_records(p), v2_hashes_.piece_check(p));
}

void torrent::on_piece_written(piece_write_result r) {
  std::vector<peer_key> block_from = buffers_.finish_hash(r.piece);
  buffers_.recycle(std::move(r.buffer));
  if (stopped_ || state_ == torrent_state::error) return;
  if (r.error) {
    fail(*r.error);
    return;
  }
  if (!r.hash_passed) {
    on_hash_failed(r.piece, block_from, r.block_hashes);
    if (!r.v2_block_hashes.empty()) start_block_blame(r.piece, block_from, std::move(r.v2_block_hashes));
    forget_gone_senders(block_from);
    request_more_all();
    return;
  }
  if (smart_ban_.has_records(r.piece) || parole_.contains(r.piece)) {
    on_hash_passed_after_failure(r.piece, r.block_hashes);
  }
  forget_gone_senders(block_from);
  picker_.piece_passed(r.piece);
  done_bytes_ += wanted_bytes(r.piece);
  mark_resume_dirty();
  std::vector<std::shared_ptr<peer_connection>> all;
  for (auto& [k, c] : conns_) {
    if (c.counted) all.push_back(c.conn);
  }
  for (auto& c : all) {
    if (c->is_closed()) continue;
    c->send_have(r.piece);
    c->update_interest();
  }
  if (ctx_.emit) ctx_.emit(events::piece_verified{ti_->info_hash(), r.piece});
  note_file_pieces(r.piece);
  if (picker_.is_complete()) {
    become_seed();
    for (auto& a : announcers_) a->completed();
  } else {
    check_finished();
    request_more_all();  // the disk queue shrank: resume picking
  }
}

// Hash failures (smart_ban.hpp, parole.hpp). Every block of a piece from one peer: that peer sent
// the bad data, banned at once (libtorrent does the same). Blocks from several peers: any may have
// lied, so nobody is punished yet; each sender's block hashes are kept, the piece is downloaded
// again from one peer, and when it passes, the senders whose blocks differ from the verified ones
// are banned at once (a differing block is proof, no strike count needed). An honest peer's
// blocks always match, so no number of failures caused by others gets it banned.
void torrent::on_hash_failed(piece_index p, const std::vector<peer_key>& block_from,
                             const std::vector<sha1_hash>& block_hashes) {
  picker_.piece_failed(p);
  web_seeds_hash_failed(block_from);
  wasted_ += ti_->piece_size(p);
  failed_bytes_ += ti_->piece_size(p);
  std::vector<std::optional<boost::asio::ip::address>> senders(block_from.size());
  std::vector<std::pair<boost::asio::ip::address, int>> counts;  // distinct senders, blocks each
  bool every_block_known = true;
  for (std::size_t i = 0; i < block_from.size(); ++i) {
    auto ait = block_from[i] != 0 ? key_addresses_.find(block_from[i]) : key_addresses_.end();
    if (ait == key_addresses_.end()) {
      every_block_known = false;
      continue;
    }
    senders[i] = ait->second;
    auto c = std::find_if(counts.begin(), counts.end(), [&](const auto& e) { return e.first == ait->second; });
    if (c == counts.end()) {
      counts.emplace_back(ait->second, 1);
    } else {
      ++c->second;
    }
  }
  std::string who;
  for (const auto& [addr, n] : counts) {
    who += (who.empty() ? "" : ", ") + addr.to_string() + " x" + std::to_string(n);
  }
  spdlog::warn("torrent {}: piece {} failed the hash check (blocks from {})", ti_->name(), p.value,
               who.empty() ? "unknown peers" : who);
  if (counts.size() == 1 && every_block_known) {
    ban_peer(counts.front().first,
             "sent every block of piece " + std::to_string(p.value) + ", which failed the hash check");
  } else {
    for (const auto& liar : smart_ban_.on_piece_failed(p, block_hashes, senders)) {
      ban_peer(liar, "sent two different versions of a block of piece " + std::to_string(p.value));
    }
  }
  parole_.add(p);
}

void torrent::forget_gone_senders(const std::vector<peer_key>& block_from) {
  for (peer_key k : block_from) {
    if (k != 0 && !conns_.count(k) && !buffers_.references(k)) key_addresses_.erase(k);
  }
}

void torrent::on_hash_passed_after_failure(piece_index p, const std::vector<sha1_hash>& block_hashes) {
  parole_.remove(p);
  if (block_hashes.empty()) {  // records made while this download's hash job was queued
    smart_ban_.on_piece_passed(p, {});
    return;
  }
  for (const auto& liar : smart_ban_.on_piece_passed(p, block_hashes)) {
    ban_peer(liar, "sent a block of piece " + std::to_string(p.value) +
                       " that differs from the verified piece");
  }
}

void torrent::ban_peer(const boost::asio::ip::address& addr, const std::string& why) {
  if (peers_.is_banned(addr)) return;
  spdlog::warn("torrent {}: banning {}: {}", ti_->name(), addr.to_string(), why);
  peers_.ban(addr);
  std::vector<std::shared_ptr<peer_connection>> victims;
  for (auto& [key, c] : conns_) {
    if (peers_.is_banned(c.remote.address())) victims.push_back(c.conn);
  }
  for (auto& v : victims) v->close(std::make_error_code(std::errc::permission_denied));
}

void torrent::on_request_aborted(peer_connection& c, block_address b) { abort_block(c.key(), b); }

void torrent::abort_block(peer_key key, block_address b) {
  picker_.abort_request(b, key);
  buffers_.request_ended(b.piece);
  // The owner of a paroled piece stopped serving it: another peer may take it over.
  if (parole_.release(b.piece, key)) request_more_all();
}

void torrent::on_disconnect(peer_connection& c, std::error_code reason) {
  auto it = conns_.find(c.key());
  if (it == conns_.end()) return;
  connection_entry e = std::move(it->second);
  conns_.erase(it);
  if (ctx_.budget && ctx_.budget->open > 0) --ctx_.budget->open;
  if (ctx_.budget && e.counted) ctx_.budget->established.remove(e.remote.address());
  picker_.abort_all(c.key());
  parole_.release_all(c.key());
  if (e.availability) picker_.remove_peer(c.pieces());
  if (metadata_fetch_) {
    metadata_fetch_->remove_peer(c.key());
    if (!stopped_) request_metadata();
  }
  closed_uploaded_ += c.stats().uploaded;
  if (!buffers_.references(c.key())) key_addresses_.erase(c.key());
  if (!e.incoming) {
    const auto now = peer_list::clock::now();
    // MSE fallback (encryption `enabled`, libtorrent's behaviour): a peer that dropped the
    // connection during an MSE attempt is dialled again at once in plaintext; one that dropped a
    // plaintext attempt gets MSE next time; what got through is remembered.
    const bool dropped = c.transport_connected() && !e.counted && e.retry;
    const bool fallback = ctx_.settings.encryption == encryption_mode::enabled;
    if (fallback && (e.counted || dropped)) peers_.note_encryption(e.remote, c.used_mse(), e.counted);
    if (dropped && c.used_mse() && ctx_.settings.encryption == encryption_mode::forced) {
      spdlog::info("peer {}: dropped our encrypted handshake; encryption is forced, no plaintext retry",
                   endpoint_to_string(e.remote));
    }
    // The other transport (libtorrent's policy): a TCP attempt that failed or was dropped
    // before the BitTorrent handshake is tried over uTP once (after the plaintext retry, when
    // MSE fallback applies), and a failed uTP attempt over TCP.
    const bool mse_retry = fallback && dropped && c.used_mse();
    const bool utp = c.transport() == peer_transport::utp;
    const bool other_transport = !e.counted && e.retry && !mse_retry && !stopped_ && ctx_.utp_for &&
                                 ctx_.utp_for(e.remote.address()) != nullptr &&
                                 peers_.note_transport(e.remote, utp, false);
    if (e.counted && ctx_.utp_for) peers_.note_transport(e.remote, utp, true);
    if (other_transport || mse_retry) {
      if (other_transport) {
        spdlog::debug("peer {}: {} failed before the handshake, trying {}", endpoint_to_string(e.remote),
                      utp ? "uTP" : "TCP", utp ? "TCP" : "uTP");
      } else {
        spdlog::debug("peer {}: dropped our MSE handshake, retrying in plaintext", endpoint_to_string(e.remote));
      }
      peers_.retry_now(e.remote, now);
      // Dialled again now rather than at the next tick (posted: the caller may be iterating
      // the connections).
      boost::asio::post(ctx_.ex, [weak = weak_from_this()] {
        if (auto t = weak.lock()) t->connect_candidates();
      });
    } else {
      peers_.on_closed(e.remote, e.counted, e.retry, now);
    }
    if (e.seed) peers_.mark_seed(e.remote);
  }
  if (!c.am_choking() && !stopped_) post_rechoke();  // its upload slot is free
  if (e.counted && ctx_.emit) {
    ctx_.emit(events::peer_disconnected{ti_->info_hash(), endpoint_to_string(e.remote), reason.message()});
  }
  // The connection's own coroutines may still be running this call: release our reference later.
  boost::asio::post(ctx_.ex, [conn = std::move(e.conn)] {});
  if (!stopped_ && state_ == torrent_state::downloading) request_more_all();
}

// --- status --------------------------------------------------------------------------------

torrent_status torrent::status() const {
  torrent_status s;
  s.state = paused_ ? torrent_state::paused : state_;
  s.is_paused = paused_;
  s.save_path = save_path_;
  s.info_hash = ti_->info_hash();
  s.name = ti_->name();
  s.total_size = total_wanted_;
  s.total_done = done_bytes_;
  s.total_downloaded = downloaded_;
  s.total_uploaded = total_uploaded();
  s.total_wasted = wasted_;
  const auto now = rate_meter::clock::now();
  s.download_rate = download_rate_.rate(now);
  s.upload_rate = upload_rate_.rate(now);
  s.num_pieces = ti_->num_pieces();
  s.pieces_done = picker_.num_have();
  s.pieces_checked = pieces_checked_;
  for (const auto& [k, c] : conns_) {
    if (!c.counted) continue;
    ++s.num_peers;
    if (c.conn->is_seed()) ++s.num_seeds;
    const auto st = c.conn->stats();
    if (st.download_rate > 0) ++s.peers_sending_to_us;
    if (st.upload_rate > 0) ++s.peers_getting_from_us;
  }
  s.web_seeds = web_seed_statuses();
  s.total_failed_bytes = failed_bytes_;
  if (s.state == torrent_state::checking && s.num_pieces > 0)
    s.checking_progress = std::min(1.0, double(pieces_checked_) / double(s.num_pieces));
  s.num_known_peers = peers_.num_known();
  s.error = error_;
  s.tracker_message = tracker_message_;
  fill_wanted_status(s);
  return s;
}

}  // namespace tessera::detail
