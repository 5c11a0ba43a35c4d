#include "rpc/torrent_url.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <optional>

#include "discovery/http_fetch.hpp"

namespace tessera::rpc {

result<std::string, std::string> fetch_torrent_url(const std::string& url, const std::string& cookies,
                                                   std::chrono::seconds timeout) {
  boost::asio::io_context io;
  std::optional<result<detail::http_fetch_reply, detail::tracker_error>> outcome;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        outcome = co_await detail::http_fetch(url, timeout, detail::redirect_policy{}, std::nullopt,
                                              max_torrent_url_bytes, cookies);
      },
      boost::asio::detached);
  io.run();
  if (!outcome) return unexpected{"fetching " + url + ": interrupted"};
  if (!*outcome) {
    const auto& e = outcome->error();
    return unexpected{"fetching " + url + ": " + (e.message.empty() ? e.ec.message() : e.message)};
  }
  if ((*outcome)->status != 200) return unexpected{"fetching " + url + ": HTTP status " + std::to_string((*outcome)->status)};
  return std::move((*outcome)->body);
}

}  // namespace tessera::rpc
