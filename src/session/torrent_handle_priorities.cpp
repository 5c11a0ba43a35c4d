// torrent_handle: file and piece priorities, sequential download, first and last pieces first.
// Each call runs on the network thread (session_impl::with_torrent) and fails with
// std::errc::no_such_process once the torrent or the session is gone.
#include "session/session_impl.hpp"
#include "tessera/session.hpp"
#include "torrent/torrent.hpp"

namespace tessera {

namespace {

std::error_code gone() { return std::make_error_code(std::errc::no_such_process); }

}  // namespace

result<bool> torrent_handle::set_file_priority(file_index file, file_priority priority) const {
  auto s = session_.lock();
  if (!s) return unexpected{gone()};
  return s->with_torrent(torrent_, [file, priority](detail::torrent& t) -> result<bool> {
    return t.set_file_priority(file, priority);
  });
}

result<std::vector<file_priority>> torrent_handle::file_priorities() const {
  auto s = session_.lock();
  if (!s) return unexpected{gone()};
  return s->with_torrent(torrent_, [](detail::torrent& t) -> result<std::vector<file_priority>> {
    return t.file_priorities();
  });
}

result<bool> torrent_handle::set_piece_priority(piece_index piece, int priority) const {
  auto s = session_.lock();
  if (!s) return unexpected{gone()};
  return s->with_torrent(torrent_, [piece, priority](detail::torrent& t) -> result<bool> {
    return t.set_piece_priority(piece, priority);
  });
}

result<bool> torrent_handle::set_sequential_download(bool on) const {
  auto s = session_.lock();
  if (!s) return unexpected{gone()};
  return s->with_torrent(torrent_, [on](detail::torrent& t) -> result<bool> {
    t.set_sequential_download(on);
    return true;
  });
}

result<bool> torrent_handle::set_first_last_pieces_first(bool on) const {
  auto s = session_.lock();
  if (!s) return unexpected{gone()};
  return s->with_torrent(torrent_, [on](detail::torrent& t) -> result<bool> {
    t.set_first_last_pieces_first(on);
    return true;
  });
}

}  // namespace tessera
