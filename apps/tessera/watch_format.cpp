#include "watch_format.hpp"

#include <cstdio>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "format.hpp"
#include "remote_format.hpp"

namespace tessera::cli {

namespace json = boost::json;

namespace {

/// Torrents a tick line names before "(+N more)".
constexpr std::size_t max_tick_torrents = 5;

result<json::value, std::string> parse_data(const sse_event& e) {
  boost::system::error_code ec;
  json::parse_options opts;
  opts.max_depth = 64;
  json::value v = json::parse(e.data, ec, {}, opts);
  if (ec) {
    return unexpected{"the daemon sent an event whose data is not JSON: " + e.name + " " +
                      printable(e.data.substr(0, 80))};
  }
  return v;
}

std::int64_t int_of(const json::object& o, std::string_view key, std::int64_t fallback = 0) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return fallback;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
  if (v->is_double()) return static_cast<std::int64_t>(v->as_double());
  return fallback;
}

std::string text_of(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::string clock_time(std::time_t now) {
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

}  // namespace

result<std::string, std::string> watch_json_line(const sse_event& e) {
  auto data = parse_data(e);
  if (!data) return unexpected{data.error()};
  json::object line;
  line["event"] = e.name;
  bool numeric = !e.id.empty() && e.id.size() <= 18;
  for (char c : e.id) numeric = numeric && c >= '0' && c <= '9';
  if (numeric) {
    line["id"] = std::stoll(e.id);
  } else {
    line["id"] = e.id;
  }
  line["data"] = std::move(*data);
  return json::serialize(line);
}

std::string watch_printer::label(std::int64_t id) const {
  auto it = torrents_.find(id);
  std::string out = "#" + std::to_string(id);
  if (it != torrents_.end() && !it->second.name.empty()) out += " " + printable(it->second.name);
  return out;
}

result<std::string, std::string> watch_printer::line(const sse_event& e, std::time_t now) {
  auto parsed = parse_data(e);
  if (!parsed) return unexpected{parsed.error()};
  if (!parsed->is_object()) return unexpected{"the daemon sent an event whose data is not a JSON object: " + e.name};
  const json::object& d = parsed->as_object();
  const std::int64_t id = int_of(d, "id", -1);
  if (d.contains("name") && id >= 0) torrents_[id].name = text_of(d, "name");

  std::string what;
  if (e.name == "hello") {
    what = "tessera " + printable(text_of(d, "version")) + ", rpc-version " + std::to_string(int_of(d, "rpc-version")) +
           ", session " + printable(text_of(d, "session-id").substr(0, 8)) + "...";
  } else if (e.name == "torrent-added" || e.name == "metadata-received") {
    what = label(id);
  } else if (e.name == "torrent-removed") {
    what = label(id);
    torrents_.erase(id);
  } else if (e.name == "torrent-state") {
    what = label(id) + ": " + status_name(int_of(d, "previous")) + " -> " + status_name(int_of(d, "status"));
  } else if (e.name == "torrent-finished") {
    what = label(id) + ": " + status_name(int_of(d, "status"));
  } else if (e.name == "torrent-error") {
    what = label(id) + ": error " + std::to_string(int_of(d, "error")) + ": " + printable(text_of(d, "errorString"));
  } else if (e.name == "reset") {
    what = "events were lost (this client fell behind); what follows is current again";
  } else if (e.name == "tick") {
    if (const json::value* s = d.if_contains("session"); s != nullptr && s->is_object()) {
      session_down_ = int_of(s->as_object(), "downloadSpeed", session_down_);
      session_up_ = int_of(s->as_object(), "uploadSpeed", session_up_);
    }
    what = "down " + format_speed(session_down_) + "  up " + format_speed(session_up_);
    std::size_t shown = 0, more = 0;
    const json::value* list = d.if_contains("torrents");
    if (list != nullptr && list->is_array()) {
      for (const auto& item : list->as_array()) {
        if (!item.is_object()) continue;
        const json::object& t = item.as_object();
        const std::int64_t tid = int_of(t, "id", -1);
        if (tid < 0) continue;
        torrent& known = torrents_[tid];
        if (t.contains("name")) known.name = text_of(t, "name");
        if (const json::value* p = t.if_contains("percentDone"); p != nullptr && p->is_number()) {
          known.percent = p->to_number<double>();
        }
        known.down = int_of(t, "rateDownload", known.down);
        known.up = int_of(t, "rateUpload", known.up);
        if (shown == max_tick_torrents) {
          ++more;
          continue;
        }
        ++shown;
        what += (shown == 1 ? "  " : ", ") + label(tid) + " " + format_fraction(known.percent) + " " +
                format_speed(known.down) + "/" + format_speed(known.up);
      }
    }
    if (more > 0) what += " (+" + std::to_string(more) + " more)";
  } else {
    what = printable(e.data.substr(0, 200));
  }
  std::string name = printable(e.name);
  if (name.size() < 18) name.resize(18, ' ');
  return clock_time(now) + "  " + name + what;
}

}  // namespace tessera::cli
