// torrent_handle: a weak reference to a torrent; every call goes through the session's network
// thread and fails with std::errc::no_such_process once the torrent or the session is gone.
#include "session/session_impl.hpp"
#include "tessera/session.hpp"

namespace tessera {

result<torrent_status> torrent_handle::status() const {
  auto s = session_.lock();
  if (!s) return unexpected{std::make_error_code(std::errc::no_such_process)};
  return s->status(torrent_);
}

bool torrent_handle::is_valid() const {
  auto s = session_.lock();
  return s && s->is_valid(torrent_);
}

}  // namespace tessera
