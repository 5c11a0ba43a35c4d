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

namespace {

/// Serves both managers' queues now: a waiter whose path changed (a channel no longer applies, a
/// new weight) gets its grant without waiting for the next round.
void serve_now(const session_bandwidth& b) {
  if (b.download_manager) b.download_manager->serve();
  if (b.upload_manager) b.upload_manager->serve();
}

}  // namespace

void torrent::set_honors_session_limits(bool honors) {
  if (bandwidth_share_->honors_session == honors) return;
  bandwidth_share_->honors_session = honors;
  serve_now(ctx_.bandwidth);
}

void torrent::set_bandwidth_priority(int priority) {
  const int w = bandwidth_share::weight_of(priority);
  if (bandwidth_share_->weight == w) return;
  bandwidth_share_->weight = w;
  serve_now(ctx_.bandwidth);
}

}  // namespace tessera::detail
