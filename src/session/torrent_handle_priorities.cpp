// torrent_handle: file and piece priorities, sequential download, first and last pieces first.
// Each call runs on the network thread (session_impl::with_torrent) and fails with
// std::errc::no_such_process once the torrent or the session is gone.
#include "session/session_impl.hpp"
#include "tessera/session.hpp"
#include "torrent/torrent.hpp"

namespace tessera {

result<bool> torrent_handle::set_file_priority(file_index file, file_priority priority) const {
  return detail::session_impl::call(*this, [file, priority](detail::torrent& t) -> result<bool> {
    return t.set_file_priority(file, priority);
  });
}

result<std::vector<file_priority>> torrent_handle::file_priorities() const {
  return detail::session_impl::call(*this, [](detail::torrent& t) -> result<std::vector<file_priority>> {
    return t.file_priorities();
  });
}

result<bool> torrent_handle::set_piece_priority(piece_index piece, int priority) const {
  return detail::session_impl::call(*this, [piece, priority](detail::torrent& t) -> result<bool> {
    return t.set_piece_priority(piece, priority);
  });
}

result<bool> torrent_handle::set_sequential_download(bool on) const {
  return detail::session_impl::call(*this, [on](detail::torrent& t) -> result<bool> {
    t.set_sequential_download(on);
    return true;
  });
}

result<bool> torrent_handle::set_first_last_pieces_first(bool on) const {
  return detail::session_impl::call(*this, [on](detail::torrent& t) -> result<bool> {
    t.set_first_last_pieces_first(on);
    return true;
  });
}

}  // namespace tessera
