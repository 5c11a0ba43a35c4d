// A torrent's own rate limits (see torrent.hpp and swarm/bandwidth.hpp). Its connections pass
// download_limit_ / upload_limit_ and the session's channels; the session's managers change the
// rates, so waiting connections are served (woken) at once when a limit is raised or removed.
#include "torrent/torrent.hpp"

namespace tessera::detail {

void torrent::set_download_limit(std::int64_t bytes_per_second) {
  if (ctx_.bandwidth.download_manager) {
    ctx_.bandwidth.download_manager->set_rate(*download_limit_, bytes_per_second);
  }
}

void torrent::set_upload_limit(std::int64_t bytes_per_second) {
  if (ctx_.bandwidth.upload_manager) {
    ctx_.bandwidth.upload_manager->set_rate(*upload_limit_, bytes_per_second);
  }
}

}  // namespace tessera::detail
