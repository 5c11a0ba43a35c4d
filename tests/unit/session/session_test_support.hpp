// Helpers shared by the session-level tests (several sessions in one process on 127.0.0.x).
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/bencode.hpp"
#include "fake_peers.hpp"
#include "tessera/session.hpp"

namespace tessera::test {

/// Polls `h` every 20 ms until `pred(status)` holds, the handle fails, or `limit` passes; returns
/// the last status (or the handle's error).
template <class Pred>
result<torrent_status> wait_for_status(const torrent_handle& h, Pred pred,
                                       std::chrono::seconds limit = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    auto s = h.status();
    if (!s || pred(*s) || std::chrono::steady_clock::now() > deadline) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

/// Polls `pred()` every 20 ms until it holds or `limit` passes; its last answer.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

/// True once a torrent has nothing left to download or has failed: the end of a transfer test.
inline bool is_settled(const torrent_status& s) {
  return s.state == torrent_state::seeding || s.state == torrent_state::error;
}

/// A session listening on `address` only (an OS-chosen port unless given), with no DHT and no
/// LSD (nothing leaves loopback), and a short stop. Encryption `disabled` (plaintext dialling):
/// the fake peers here speak plaintext only and the tests count their connections, which an MSE
/// attempt and its plaintext retry would double; MSE is covered by ListenerEncryption,
/// swarm's PeerConnection MSE tests and interop/test_encryption.
inline session_settings loopback_settings(const char* address, std::uint16_t port = 0) {
  session_settings s;
  s.encryption = encryption_mode::disabled;
  s.stop_announce_timeout = std::chrono::seconds(1);
  s.listen_interface = address;
  s.listen_port = port;
  s.enable_dht = false;
  s.enable_lsd = false;
  return s;
}

/// Writes the torrent's files (padding excluded) under `dir`, as a finished download would.
inline void write_payload(const test_torrent& t, const std::filesystem::path& dir) {
  for (const auto& f : t.ti->files()) {
    if (f.pad) continue;
    std::filesystem::create_directories((dir / f.path).parent_path());
    std::ofstream out(dir / f.path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(t.payload.data() + f.offset), f.size);
  }
}

/// Adds `p` to `ses`; a failure is a test failure (and an empty handle, which fails every call).
inline torrent_handle add_checked(session& ses, add_torrent_params p) {
  auto h = ses.add_torrent(std::move(p));
  EXPECT_TRUE(h) << (h ? "" : h.error().message());
  return h ? *h : torrent_handle{};
}

/// Adds `t` saved under `dir`, dialling `peers` ("address:port").
inline torrent_handle add_test_torrent(session& ses, const test_torrent& t, const std::filesystem::path& dir,
                                       std::vector<std::string> peers = {}) {
  add_torrent_params p;
  p.ti = t.ti;
  p.save_path = dir;
  p.peers = std::move(peers);
  return add_checked(ses, std::move(p));
}

/// session::remove_torrent, then waits (at most `limit`) for the background part to end: the
/// torrent_removed event, seen through a per-torrent handler set on `h` (replacing any). Its
/// data_deleted; the removal's error; or std::errc::timed_out when the event did not come.
inline result<bool> remove_and_wait(session& ses, const torrent_handle& h, remove_flags flags = remove_flags::keep_data,
                                    std::chrono::seconds limit = std::chrono::seconds(30)) {
  struct seen {
    std::mutex m;
    std::condition_variable cv;
    std::optional<bool> deleted;
  };
  auto state = std::make_shared<seen>();
  (void)h.set_event_handler([state](const event& e) {
    if (const auto* r = std::get_if<events::torrent_removed>(&e)) {
      std::lock_guard lock(state->m);
      state->deleted = r->data_deleted;
      state->cv.notify_all();
    }
  });
  auto r = ses.remove_torrent(h, flags);
  if (!r) return r;
  std::unique_lock lock(state->m);
  if (!state->cv.wait_for(lock, limit, [&] { return state->deleted.has_value(); }))
    return unexpected{std::make_error_code(std::errc::timed_out)};
  return *state->deleted;
}

/// "address:port", as add_torrent_params::peers and torrent_handle::connect_peer take it.
inline std::string endpoint_of(const char* address, std::uint16_t port) {
  return std::string(address) + ":" + std::to_string(port);
}

/// make_torrent's torrent (no padding) with a real bencoded info dictionary: info_bytes and an
/// info-hash that is its SHA-1, as a magnet link needs (the metadata is served from info_bytes).
/// `is_private` sets `private=1` (BEP 27).
inline test_torrent make_real_torrent(std::uint32_t seed, std::int64_t piece_length = default_piece_length,
                                      std::int64_t first_size = 100000, std::int64_t last_size = 300000,
                                      bool is_private = false) {
  test_torrent t = make_torrent(seed, piece_length, first_size, last_size);
  detail::bdict info;
  info["name"] = t.ti->name();
  info["piece length"] = t.ti->piece_length();
  std::string pieces;
  for (const auto& h : t.ti->piece_hashes()) pieces.append(reinterpret_cast<const char*>(h.bytes.data()), h.bytes.size());
  info["pieces"] = pieces;
  if (is_private) info["private"] = 1;
  detail::blist files;
  for (const auto& f : t.ti->files()) {
    detail::bdict fd;
    fd["length"] = f.size;
    detail::blist path;
    auto rel = std::filesystem::path(f.path).lexically_relative(t.ti->name());
    for (const auto& part : rel) path.emplace_back(part.string());
    fd["path"] = std::move(path);
    files.emplace_back(std::move(fd));
  }
  info["files"] = std::move(files);
  detail::bdict top;
  top["info"] = std::move(info);
  auto parsed = parse_torrent(std::string_view(detail::bencode(detail::bvalue(std::move(top)))));
  if (!parsed) throw std::runtime_error("make_real_torrent: " + parsed.error().message());
  t.ti = std::make_shared<torrent_info>(std::move(*parsed));
  return t;
}

}  // namespace tessera::test
