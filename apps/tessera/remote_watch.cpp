// `tessera watch`: the daemon's event stream over HTTP or HTTPS, read as it comes, with Beast on a
// private io_context; reconnects every 2 s until a signal, --count, or an error trying again
// cannot cure.
#include <signal.h>

#include <cstdio>
#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "commands.hpp"
#include "format.hpp"
#include "remote_verbs.hpp"
#include "discovery/http_tls.hpp"
#include "rpc/base64_text.hpp"
#include "sse_reader.hpp"
#include "watch_format.hpp"

namespace tessera::cli {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
/// The wait between two attempts to (re)connect.
constexpr std::chrono::seconds retry_delay{2};
/// The daemon pings an idle stream every 15 s: this long without a byte means it is gone.
constexpr std::chrono::seconds idle_limit{45};
/// The event stream's path on the daemon, whatever its RPC path.
constexpr std::string_view events_target = "/tessera/events";

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

std::string io_message(const boost::system::error_code& ec) {
  if (ec == beast::error::timeout) return "timed out";
  return ec.message();
}

/// How one attempt ended.
struct attempt {
  enum kind_t {
    ended,      ///< connected, then the stream ended: try again
    unreached,  ///< no stream (network error, 5xx): try again
    challenge,  ///< 401 asking for the credentials not sent yet: try again at once with them
    fatal,      ///< trying again cannot help (or a malformed stream): exit 1
    done,       ///< --count reached, or a signal: exit
  } kind = ended;
  std::string message;
};

class watcher {
 public:
  watcher(const rpc_options& options, rpc_url url, bool json, std::int64_t count)
      : options_(options), url_(std::move(url)), json_(json), count_(count) {
    if (!options_.credentials && url_.user) {
      options_.credentials = rpc_credentials{*url_.user, url_.password.value_or(""), true};
    }
    send_credentials_ = options_.credentials && options_.credentials->up_front;
  }

  int run() {
    asio::signal_set signals(io_, SIGINT, SIGTERM);
    signals.async_wait([this](boost::system::error_code ec, int sig) {
      if (ec) return;
      exit_code_ = sig == SIGINT ? exit_interrupted : exit_ok;
      stop_current();
    });
    asio::co_spawn(io_, loop(), [this, &signals](std::exception_ptr e) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          error_ = std::string("the event stream failed: ") + ex.what();
        }
      }
      signals.cancel();
    });
    io_.run();
    if (!error_.empty()) return fail(error_);
    return exit_code_.value_or(exit_ok);
  }

 private:
  /// Closes the stream being read (if any) and stops waiting: the loop then ends.
  void stop_current() {
    retry_.cancel();
    if (close_current_) close_current_();
  }

  asio::awaitable<void> loop() {
    bool connected_once = false;
    std::string last_problem;
    while (!exit_code_) {
      connected_ = false;
      attempt a = co_await connect_and_read();
      if (exit_code_) break;
      if (a.kind == attempt::done) break;
      if (a.kind == attempt::fatal) {
        error_ = a.message;
        break;
      }
      if (a.kind == attempt::challenge) continue;
      if (connected_) {
        connected_once = true;
        last_problem.clear();
        std::fprintf(stderr, "tessera: the event stream ended (%s); reconnecting every %llds (Ctrl+C stops)\n",
                     printable(a.message).c_str(), static_cast<long long>(retry_delay.count()));
      } else if (a.message != last_problem) {
        std::fprintf(stderr, "tessera: %s%s; trying again every %llds (Ctrl+C stops)\n",
                     connected_once ? "cannot reconnect: " : "", printable(a.message).c_str(),
                     static_cast<long long>(retry_delay.count()));
        last_problem = a.message;
      }
      std::fflush(stderr);
      retry_.expires_after(retry_delay);
      co_await retry_.async_wait(use_tuple);
    }
  }

  asio::awaitable<attempt> connect_and_read() {
    auto ex = co_await asio::this_coro::executor;
    const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
    std::vector<tcp::endpoint> endpoints;
    boost::system::error_code literal_ec;
    const auto literal = asio::ip::make_address(url_.host, literal_ec);
    if (!literal_ec) {
      endpoints.emplace_back(literal, url_.port);
    } else {
      tcp::resolver resolver(ex);
      close_current_ = [&resolver] { resolver.cancel(); };
      asio::steady_timer watchdog(ex, deadline);
      watchdog.async_wait([&resolver](boost::system::error_code ec) {
        if (!ec) resolver.cancel();
      });
      auto [rec, results] = co_await resolver.async_resolve(url_.host, std::to_string(url_.port), use_tuple);
      watchdog.cancel();
      close_current_ = nullptr;
      if (exit_code_) co_return attempt{attempt::done, {}};
      if (rec) co_return attempt{attempt::unreached, "resolving " + url_.host + ": " + io_message(rec)};
      for (const auto& entry : results) endpoints.push_back(entry.endpoint());
    }
    const std::string where = url_.host_header;

    if (!url_.tls) {
      beast::tcp_stream stream(ex);
      close_current_ = [&stream] { stream.close(); };
      stream.expires_at(deadline);
      auto [cec, ep] = co_await stream.async_connect(endpoints, use_tuple);
      attempt a{attempt::unreached, "connecting to " + where + ": " + io_message(cec)};
      if (!cec) a = co_await read_stream(stream, deadline);
      close_current_ = nullptr;
      co_return exit_code_ ? attempt{attempt::done, {}} : a;
    }
    if (!tls_) tls_.emplace(detail::make_tls_client_context());
    asio::ssl::stream<beast::tcp_stream> stream(ex, *tls_);
    detail::prepare_tls_client(stream, url_.host);
    close_current_ = [&stream] { beast::get_lowest_layer(stream).close(); };
    beast::get_lowest_layer(stream).expires_at(deadline);
    attempt a;
    auto [cec, ep] = co_await beast::get_lowest_layer(stream).async_connect(endpoints, use_tuple);
    if (cec) {
      a = {attempt::unreached, "connecting to " + where + ": " + io_message(cec)};
    } else {
      auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::client, use_tuple);
      if (hec) {
        a = {attempt::unreached, "TLS handshake with " + where + ": " + io_message(hec)};
      } else {
        a = co_await read_stream(stream, deadline);
      }
    }
    close_current_ = nullptr;
    co_return exit_code_ ? attempt{attempt::done, {}} : a;
  }

  /// Sends the request on a connected stream and prints its events until it ends.
  template <class Stream>
  asio::awaitable<attempt> read_stream(Stream& stream, std::chrono::steady_clock::time_point deadline) {
    auto& lowest = beast::get_lowest_layer(stream);
    http::request<http::empty_body> request{http::verb::get, events_target, 11};
    request.set(http::field::host, url_.host_header);
    request.set(http::field::user_agent, "tessera/0.1");
    request.set(http::field::accept, "text/event-stream");
    request.set(http::field::cache_control, "no-cache");
    if (send_credentials_ && options_.credentials) {
      request.set(http::field::authorization,
                  "Basic " + rpc::detail::base64_encode(options_.credentials->user + ":" + options_.credentials->password));
    }
    lowest.expires_at(deadline);
    auto [wec, wn] = co_await http::async_write(stream, request, use_tuple);
    if (wec) co_return attempt{attempt::unreached, "sending the request: " + io_message(wec)};

    beast::flat_buffer buffer;
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(boost::none);  // the stream has no end; sse_reader bounds each line
    auto [hec, hn] = co_await http::async_read_header(stream, buffer, parser, use_tuple);
    if (hec) co_return attempt{attempt::unreached, "reading the reply: " + io_message(hec)};
    const auto& head = parser.get();
    const unsigned status = head.result_int();
    const std::string where = url_.host_header + std::string(events_target);
    if (status == 401) {
      const auto challenge = head.find(http::field::www_authenticate);
      const bool basic = challenge != head.end() && starts_with_ci(challenge->value(), "basic");
      if (options_.credentials && !send_credentials_ && basic) {
        send_credentials_ = true;
        co_return attempt{attempt::challenge, {}};
      }
      if (!options_.credentials) {
        co_return attempt{attempt::fatal, where + ": 401 Unauthorized: the daemon wants a user and password "
                                                  "(--auth USER:PASS, TESSERA_AUTH or ~/.netrc)"};
      }
      co_return attempt{attempt::fatal, where + ": 401 Unauthorized: user or password refused"};
    }
    if (status == 403) {
      co_return attempt{attempt::fatal, where + ": 403 Forbidden: the daemon refuses this client (its RPC "
                                                "whitelist, or too many failed logins)"};
    }
    if (status == 404) {
      co_return attempt{attempt::fatal, where + ": 404 Not Found: this daemon has no event stream (tessera "
                                                "daemon has one; transmission-daemon has none)"};
    }
    if (status == 421) {
      co_return attempt{attempt::fatal, where + ": 421 Misdirected Request: the daemon does not accept the host "
                                                "name '" + url_.host + "' (its host whitelist)"};
    }
    if (status != 200) {
      const std::string text = where + ": HTTP " + std::to_string(status) + " " + std::string(head.reason());
      co_return attempt{status >= 500 ? attempt::unreached : attempt::fatal, text};
    }
    const auto type = head.find(http::field::content_type);
    if (type == head.end() || !starts_with_ci(type->value(), "text/event-stream")) {
      co_return attempt{attempt::fatal, where + ": the reply is not an event stream"};
    }
    connected_ = true;

    sse_reader reader;
    std::vector<char> chunk(64 * 1024);
    while (!parser.is_done()) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      lowest.expires_after(idle_limit);
      auto [ec, n] = co_await http::async_read_some(stream, buffer, parser, use_tuple);
      if (ec == http::error::need_buffer) ec = {};
      const std::size_t got = chunk.size() - parser.get().body().size;
      auto events = reader.feed(std::string_view(chunk.data(), got));
      if (!events) co_return attempt{attempt::fatal, where + ": " + events.error()};
      for (const auto& e : *events) {
        auto text = json_ ? watch_json_line(e) : printer_.line(e, std::time(nullptr));
        if (!text) co_return attempt{attempt::fatal, where + ": " + text.error()};
        std::printf("%s\n", text->c_str());
        std::fflush(stdout);
        if (count_ > 0 && ++printed_ >= count_) {
          exit_code_ = exit_ok;
          co_return attempt{attempt::done, {}};
        }
      }
      if (ec == beast::error::timeout) {
        co_return attempt{attempt::ended, "nothing received for " + std::to_string(idle_limit.count()) + " s"};
      }
      if (ec) co_return attempt{attempt::ended, io_message(ec)};
    }
    co_return attempt{attempt::ended, "the daemon closed it"};
  }

  asio::io_context io_;
  rpc_options options_;
  rpc_url url_;
  bool json_ = false;
  std::int64_t count_ = 0;
  std::int64_t printed_ = 0;
  bool send_credentials_ = false;
  bool connected_ = false;  ///< the current attempt got a stream
  std::optional<asio::ssl::context> tls_;
  watch_printer printer_;  ///< kept across reconnections: it knows the torrents' names
  asio::steady_timer retry_{io_};
  std::function<void()> close_current_;  ///< closes what the current attempt waits on
  std::optional<int> exit_code_;
  std::string error_;
};

}  // namespace

int run_watch(remote_context& ctx, const watch_options& opts) {
  if (opts.count < 0) return fail("--count: expected a number of events, 0 or more");
  auto url = parse_rpc_url(ctx.connection().url);
  if (!url) return fail("--rpc: " + url.error());
  watcher w(ctx.connection(), std::move(*url), ctx.json(), opts.count);
  return w.run();
}

}  // namespace tessera::cli
