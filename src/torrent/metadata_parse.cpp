#include "torrent/metadata_parse.hpp"

#include <mutex>

#include <boost/asio/post.hpp>

namespace tessera::detail {

namespace {

std::mutex g_hook_mutex;
std::function<void()> g_hook;  // guarded by g_hook_mutex

void run_hook() {
  std::function<void()> hook;
  {
    std::lock_guard lock(g_hook_mutex);
    hook = g_hook;
  }
  if (hook) hook();
}

}  // namespace

void async_parse_metadata(disk_io& disk, std::string info_bytes, boost::asio::any_io_executor ex,
                          std::function<void(result<torrent_info>)> done) {
  disk.async_run([bytes = std::move(info_bytes), ex = std::move(ex), done = std::move(done)]() mutable {
    run_hook();
    auto parsed = parse_info_dictionary(bytes);
    boost::asio::post(ex, [done = std::move(done), parsed = std::move(parsed)]() mutable {
      done(std::move(parsed));
    });
  });
}

void set_metadata_parse_hook_for_testing(std::function<void()> hook) {
  std::lock_guard lock(g_hook_mutex);
  g_hook = std::move(hook);
}

}  // namespace tessera::detail
