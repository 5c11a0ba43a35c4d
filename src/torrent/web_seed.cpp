// A BEP 19 web seed's download loop and its HTTP exchanges (see web_seed.hpp). One keep-alive
// connection to the current origin, one request at a time; the body is read in chunks of at most
// 64 KiB straight into the run's buffer, each read bounded by the stall timeout and, when a
// download limit applies, by the bandwidth granted.
#include "torrent/web_seed.hpp"

#include <algorithm>
#include <cstring>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <spdlog/spdlog.h>

#include "core/web_seed_reply.hpp"
#include "discovery/http_tls.hpp"
#include "discovery/http_url.hpp"
#include "discovery/resolve.hpp"

namespace tessera::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

class web_seed_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tessera.web_seed"; }
  std::string message(int ev) const override {
    switch (static_cast<web_seed_errc>(ev)) {
      case web_seed_errc::bad_url: return "not an http or https URL";
      case web_seed_errc::http_status: return "unexpected HTTP status";
      case web_seed_errc::unavailable: return "service unavailable";
      case web_seed_errc::bad_length: return "reply length is not the range asked for";
      case web_seed_errc::short_body: return "reply body shorter than the range";
      case web_seed_errc::long_body: return "reply body longer than the range";
      case web_seed_errc::stalled: return "no data for too long";
      case web_seed_errc::too_many_redirects: return "too many redirects";
      case web_seed_errc::hash_failed: return "pieces from it failed their hash check";
      case web_seed_errc::connect_failed: return "could not connect";
      case web_seed_errc::not_found: return "file not found on the server";
    }
    return "unknown web seed error";
  }
};

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::int64_t chunk_bytes = 64 << 10;

}  // namespace

const std::error_category& web_seed_category() noexcept {
  static const web_seed_category_impl c;
  return c;
}

/// The keep-alive connection to one origin (scheme, host, port).
struct web_seed::connection {
  std::string origin;
  std::optional<beast::tcp_stream> plain;
  std::unique_ptr<asio::ssl::context> tls_ctx;
  std::unique_ptr<asio::ssl::stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;

  beast::tcp_stream& lowest() { return plain ? *plain : beast::get_lowest_layer(*tls); }
  void close() {
    boost::system::error_code ignored;
    if (plain) plain->socket().close(ignored);
    if (tls) beast::get_lowest_layer(*tls).socket().close(ignored);
  }
};

web_seed::web_seed(asio::any_io_executor ex, std::string url, std::shared_ptr<const torrent_info> ti,
                   std::weak_ptr<web_seed_host> host, peer_key key, bandwidth_path download, web_seed_config cfg)
    : ex_(ex), url_(std::move(url)), ti_(std::move(ti)), host_(std::move(host)), key_(key),
      download_path_(std::move(download)), cfg_(cfg), wake_(ex) {}

web_seed::~web_seed() = default;

void web_seed::start() {
  if (started_ || closed_) return;
  started_ = true;
  bw_ = std::make_unique<bandwidth_request>(ex_, download_path_);
  asio::co_spawn(ex_, [self = shared_from_this()]() { return self->run(); }, asio::detached);
}

void web_seed::close() {
  if (closed_) return;
  closed_ = true;
  wake_.cancel();
  if (bw_) bw_->cancel();
  if (conn_) conn_->close();
}

void web_seed::wake() {
  if (state_ == web_seed_state::idle) wake_.cancel();
}

void web_seed::on_hash_failed() {
  if (++hash_failures_ >= cfg_.max_hash_failures && state_ != web_seed_state::dropped) {
    error_ = make_error_code(web_seed_errc::hash_failed).message();
    spdlog::warn("web seed {}: dropped: {}", url_, error_);
    state_ = web_seed_state::dropped;
    close();
  }
}

web_seed_status web_seed::status() const {
  web_seed_status s;
  s.url = url_;
  s.state = state_;
  s.download_rate = rate_.rate(rate_meter::clock::now());
  s.total_downloaded = rate_.total();
  s.failures = failures_;
  s.error = error_;
  return s;
}

void web_seed::abort_all(std::vector<block_address>& blocks) {
  if (auto h = host_.lock()) {
    for (const auto& b : blocks) h->web_seed_abort(key_, b);
  }
  blocks.clear();
}

void web_seed::fail(std::error_code ec, const std::string& what) {
  ++failures_;
  // A file the server does not have will not appear by retrying (libtorrent drops such a seed too).
  if (ec == web_seed_errc::not_found) failures_ = std::max(failures_, cfg_.max_failures);
  error_ = what.empty() ? ec.message() : ec.message() + ": " + what;
  spdlog::info("web seed {}: request failed ({} in a row): {}", url_, failures_, error_);
  if (conn_) {
    conn_->close();
    conn_.reset();
  }
  if (failures_ >= cfg_.max_failures) {
    spdlog::warn("web seed {}: dropped after {} failed requests: {}", url_, failures_, error_);
    state_ = web_seed_state::dropped;
    closed_ = true;
  }
}

asio::awaitable<void> web_seed::run() {
  auto self = shared_from_this();
  std::vector<block_address> blocks;
  std::vector<std::uint8_t> buf;
  const std::int64_t piece_length = ti_->piece_length();
  while (!closed_) {
    if (failures_ > 0) {
      state_ = web_seed_state::backing_off;
      auto wait = cfg_.retry_base * (std::int64_t{1} << std::min(failures_ - 1, 20));
      if (retry_after_) wait = *retry_after_;
      wait = std::min(wait, cfg_.retry_max);
      retry_after_.reset();
      wake_.expires_after(wait);
      co_await wake_.async_wait(use_tuple);
      if (closed_) break;
      // Woken early (wake() is for idle seeds only, but a close() cancels too): go on anyway.
    }
    blocks.clear();
    if (auto h = host_.lock()) {
      h->web_seed_pick(key_, static_cast<int>(cfg_.max_request_bytes / block_size), blocks);
    } else {
      break;
    }
    if (blocks.empty()) {
      state_ = web_seed_state::idle;
      wake_.expires_after(std::chrono::seconds(1));  // also polled: budgets free up silently
      co_await wake_.async_wait(use_tuple);
      continue;
    }
    state_ = web_seed_state::downloading;
    std::sort(blocks.begin(), blocks.end(), [](const block_address& a, const block_address& b) {
      return a.piece.value != b.piece.value ? a.piece.value < b.piece.value : a.block.value < b.block.value;
    });
    // Runs of blocks contiguous in the byte stream, each fetched with one request per file.
    std::size_t i = 0;
    bool failed = false;
    while (i < blocks.size() && !closed_) {
      auto offset_of = [&](const block_address& b) {
        return std::int64_t(b.piece.value) * piece_length + std::int64_t(b.block.value) * block_size;
      };
      auto length_of = [&](const block_address& b) {
        const std::int64_t begin = std::int64_t(b.block.value) * block_size;
        return std::min<std::int64_t>(block_size, ti_->piece_size(b.piece) - begin);
      };
      std::size_t j = i + 1;
      std::int64_t end = offset_of(blocks[i]) + length_of(blocks[i]);
      while (j < blocks.size() && offset_of(blocks[j]) == end) {
        end += length_of(blocks[j]);
        ++j;
      }
      const std::int64_t start = offset_of(blocks[i]);
      buf.assign(static_cast<std::size_t>(end - start), 0);
      auto parts = map_web_seed_range(url_, ti_->multi_file(), ti_->name(), ti_->files(), ti_->total_size(), start, end - start);
      std::error_code ec = parts ? co_await fetch_run(*parts, buf) : make_error_code(web_seed_errc::bad_length);
      if (closed_) break;
      if (ec) {
        failed = true;
        break;
      }
      failures_ = 0;
      auto h = host_.lock();
      if (!h) break;
      for (std::size_t k = i; k < j; ++k) {
        const std::int64_t off = offset_of(blocks[k]) - start;
        h->web_seed_block(key_, blocks[k], std::span<const std::uint8_t>(buf).subspan(
                                                   static_cast<std::size_t>(off), static_cast<std::size_t>(length_of(blocks[k]))));
      }
      i = j;
    }
    // Blocks not delivered (a failure, or a close) go back to the picker.
    std::vector<block_address> rest(blocks.begin() + static_cast<std::ptrdiff_t>(std::min(i, blocks.size())), blocks.end());
    abort_all(rest);
    (void)failed;
  }
  if (state_ != web_seed_state::dropped) state_ = web_seed_state::idle;
  if (conn_) conn_->close();
}

asio::awaitable<std::error_code> web_seed::fetch_run(const std::vector<web_seed_part>& parts, std::span<std::uint8_t> out) {
  std::size_t pos = 0;
  for (const auto& part : parts) {
    auto dst = out.subspan(pos, static_cast<std::size_t>(part.length));
    pos += dst.size();
    if (part.zeros) {
      std::fill(dst.begin(), dst.end(), std::uint8_t{0});
      continue;
    }
    if (auto ec = co_await fetch_part(part, dst)) co_return ec;
  }
  co_return std::error_code{};
}

namespace {

/// Sends one ranged GET and reads the reply into `out` (see web_seed::fetch_part). Returns the
/// error, or a redirect target in `location`; `reusable` says whether the connection may carry
/// the next request.
template <class Stream>
asio::awaitable<std::error_code> exchange(Stream& stream, beast::tcp_stream& lowest, beast::flat_buffer& buffer,
                                          const http_url& u, const web_seed_part& part,
                                          std::span<std::uint8_t> out, const web_seed_config& cfg,
                                          bandwidth_request& bw, rate_meter& rate, std::string& location,
                                          bool& reusable, std::optional<std::chrono::milliseconds>& retry_after,
                                          std::string& detail) {
  reusable = false;
  http::request<http::empty_body> req{http::verb::get, u.target, 11};
  req.set(http::field::host, u.host_header);
  req.set(http::field::user_agent, "tessera/0.1");
  req.set(http::field::accept_encoding, "identity");
  req.set(http::field::range, "bytes=" + std::to_string(part.file_offset) + "-" +
                                  std::to_string(part.file_offset + part.length - 1));
  req.keep_alive(true);
  lowest.expires_after(cfg.stall_timeout);
  auto [wec, wn] = co_await http::async_write(stream, req, use_tuple);
  if (wec) {
    detail = wec.message();
    co_return wec == beast::error::timeout ? make_error_code(web_seed_errc::stalled) : std::error_code(wec);
  }
  http::response_parser<http::buffer_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(cfg.max_header_bytes));
  parser.body_limit(boost::none);
  lowest.expires_after(cfg.stall_timeout);
  auto [hec, hn] = co_await http::async_read_header(stream, buffer, parser, use_tuple);
  if (hec) {
    detail = hec.message();
    co_return hec == beast::error::timeout ? make_error_code(web_seed_errc::stalled) : std::error_code(hec);
  }
  const auto& res = parser.get();
  const unsigned status = res.result_int();
  web_seed_reply_head head;
  head.status = status;
  if (const auto cl = parser.content_length()) head.content_length = *cl;
  const auto header = [&res](http::field f) -> std::optional<std::string_view> {
    auto it = res.find(f);
    if (it == res.end()) return std::nullopt;
    return std::string_view(it->value().data(), it->value().size());
  };
  head.content_range = header(http::field::content_range);
  head.location = header(http::field::location);
  head.retry_after = header(http::field::retry_after);
  const web_seed_ask ask{part.file_offset, part.length, part.file_size};
  auto plan = plan_web_seed_reply(head, ask);
  detail = std::move(plan.detail);
  switch (plan.verdict) {
    case web_seed_verdict::body: break;
    case web_seed_verdict::redirect:
      location = std::move(plan.location);
      co_return std::error_code{};
    case web_seed_verdict::unavailable:
      if (plan.retry_after) retry_after = std::chrono::duration_cast<std::chrono::milliseconds>(*plan.retry_after);
      co_return make_error_code(web_seed_errc::unavailable);
    case web_seed_verdict::not_found: co_return make_error_code(web_seed_errc::not_found);
    case web_seed_verdict::bad_length: co_return make_error_code(web_seed_errc::bad_length);
    case web_seed_verdict::bad_status: co_return make_error_code(web_seed_errc::http_status);
  }
  std::int64_t skip = plan.skip;  // bytes of the body before the range
  std::vector<std::uint8_t> scratch;
  std::int64_t got = 0;
  // The stall clock runs from the last body byte, not from the last read: reads that bring only
  // framing (chunk sizes, extensions) do not keep a request alive.
  auto last_progress = std::chrono::steady_clock::now();
  while (got < part.length) {
    if (parser.is_done()) {
      detail = std::to_string(got) + " of " + std::to_string(part.length) + " bytes";
      co_return make_error_code(web_seed_errc::short_body);
    }
    std::int64_t want = web_seed_next_read(skip, got, part.length, chunk_bytes);
    if (!bw.unlimited()) {
      // Time spent waiting for our own rate limit is not the server's stall.
      const auto asked = std::chrono::steady_clock::now();
      want = co_await bw.acquire(want);
      if (want <= 0) co_return make_error_code(std::errc::operation_canceled);
      last_progress += std::chrono::steady_clock::now() - asked;
    }
    std::uint8_t* dst = nullptr;
    if (skip > 0) {
      scratch.resize(static_cast<std::size_t>(want));
      dst = scratch.data();
    } else {
      dst = out.data() + got;
    }
    parser.get().body().data = dst;
    parser.get().body().size = static_cast<std::size_t>(want);
    const auto quiet = std::chrono::steady_clock::now() - last_progress;
    if (quiet >= cfg.stall_timeout) co_return make_error_code(web_seed_errc::stalled);
    lowest.expires_after(cfg.stall_timeout - quiet);
    auto [rec, rn] = co_await http::async_read_some(stream, buffer, parser, use_tuple);
    if (rec == http::error::need_buffer) rec = {};
    const auto n = static_cast<std::int64_t>(want - static_cast<std::int64_t>(parser.get().body().size));
    if (rec && !(rec == http::error::end_of_stream && n > 0)) {
      if (rec == beast::error::timeout) co_return make_error_code(web_seed_errc::stalled);
      if (rec == http::error::partial_message || rec == http::error::end_of_stream || rec == asio::error::eof) {
        detail = std::to_string(got + n) + " of " + std::to_string(part.length) + " bytes";
        co_return make_error_code(web_seed_errc::short_body);
      }
      detail = rec.message();
      co_return std::error_code(rec);
    }
    if (n > 0) last_progress = std::chrono::steady_clock::now();
    rate.add(n, rate_meter::clock::now());
    if (skip > 0) {
      skip -= n;
    } else {
      got += n;
    }
  }
  if (!parser.is_done()) {
    if (status == 200) co_return std::error_code{};  // the rest of the file is not read: no reuse
    // A 206 whose body goes on past the range: read one more byte to tell a long body from the
    // end of a message that has not been seen yet (chunked encoding's last chunk).
    std::uint8_t extra = 0;
    parser.get().body().data = &extra;
    parser.get().body().size = 1;
    lowest.expires_after(cfg.stall_timeout);
    auto [rec, rn] = co_await http::async_read(stream, buffer, parser, use_tuple);
    if (parser.get().body().size == 0) co_return make_error_code(web_seed_errc::long_body);
    if (rec && rec != http::error::need_buffer) co_return std::error_code{};  // complete; not reused
  }
  reusable = parser.is_done() && parser.keep_alive();
  co_return std::error_code{};
}

}  // namespace

asio::awaitable<std::error_code> web_seed::fetch_part(const web_seed_part& part, std::span<std::uint8_t> out) {
  std::string current = part.url;
  for (int redirects = 0;; ++redirects) {
    auto u = parse_http_url(current);
    if (!u) {
      fail(make_error_code(web_seed_errc::bad_url), current);
      co_return make_error_code(web_seed_errc::bad_url);
    }
    const std::string origin = (u->tls ? "https://" : "http://") + u->host + ":" + std::to_string(u->port);
    if (!conn_ || conn_->origin != origin) {
      if (conn_) conn_->close();
      conn_ = std::make_unique<connection>();
      conn_->origin = origin;
      const auto deadline = std::chrono::steady_clock::now() + cfg_.connect_timeout;
      auto resolved = co_await resolve_with_deadline<tcp>(u->host, u->port, deadline);
      if (closed_) co_return make_error_code(std::errc::operation_canceled);
      if (!resolved) {
        fail(make_error_code(web_seed_errc::connect_failed), resolved.error().message);
        co_return make_error_code(web_seed_errc::connect_failed);
      }
      if (u->tls) {
        conn_->tls_ctx = std::make_unique<asio::ssl::context>(make_tls_client_context());
        conn_->tls = std::make_unique<asio::ssl::stream<beast::tcp_stream>>(ex_, *conn_->tls_ctx);
        prepare_tls_client(*conn_->tls, u->host);
      } else {
        conn_->plain.emplace(ex_);
      }
      conn_->lowest().expires_at(deadline);
      auto [cec, ep] = co_await conn_->lowest().async_connect(*resolved, use_tuple);
      if (!cec && conn_->tls) {
        auto [hec] = co_await conn_->tls->async_handshake(asio::ssl::stream_base::client, use_tuple);
        cec = hec;
      }
      if (closed_) co_return make_error_code(std::errc::operation_canceled);
      if (cec) {
        fail(make_error_code(web_seed_errc::connect_failed), cec.message());
        co_return make_error_code(web_seed_errc::connect_failed);
      }
    }
    std::string location, detail;
    bool reusable = false;
    std::error_code ec;
    if (conn_->plain) {
      ec = co_await exchange(*conn_->plain, conn_->lowest(), conn_->buffer, *u, part, out, cfg_, *bw_, rate_,
                             location, reusable, retry_after_, detail);
    } else {
      ec = co_await exchange(*conn_->tls, conn_->lowest(), conn_->buffer, *u, part, out, cfg_, *bw_, rate_,
                             location, reusable, retry_after_, detail);
    }
    if (closed_) co_return make_error_code(std::errc::operation_canceled);
    if (ec) {
      fail(ec, detail);
      co_return ec;
    }
    if (!reusable) {
      conn_->close();
      conn_.reset();
    }
    if (location.empty()) co_return std::error_code{};
    // A redirect: resolved against the URL that answered, followed to http/https only.
    if (redirects >= cfg_.max_redirects) {
      fail(make_error_code(web_seed_errc::too_many_redirects), current);
      co_return make_error_code(web_seed_errc::too_many_redirects);
    }
    auto base = boost::urls::parse_uri(current);
    auto ref = boost::urls::parse_uri_reference(location);
    boost::urls::url target;
    if (!base || !ref || !boost::urls::resolve(*base, *ref, target) ||
        (target.scheme_id() != boost::urls::scheme::http && target.scheme_id() != boost::urls::scheme::https)) {
      fail(make_error_code(web_seed_errc::bad_url), location);
      co_return make_error_code(web_seed_errc::bad_url);
    }
    current = std::string(target.buffer());
  }
}

}  // namespace tessera::detail
