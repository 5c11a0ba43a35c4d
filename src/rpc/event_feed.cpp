#include "rpc/event_feed.hpp"

#include <boost/json/serialize.hpp>

#include "rpc/event_hub.hpp"
#include "rpc/torrent_daemon.hpp"
#include "rpc/torrent_fields.hpp"

namespace tessera::rpc {

namespace json = boost::json;

namespace {
bool is_zero(const json::value& v) { return (v.is_int64() && v.as_int64() == 0) || (v.is_uint64() && v.as_uint64() == 0); }
}  // namespace

const std::vector<std::string>& tick_fields() {
  static const std::vector<std::string> fields{
      "status",          "percentDone",        "rateDownload",     "rateUpload",      "eta",
      "uploadRatio",     "peersConnected",     "peersSendingToUs", "peersGettingFromUs",
      "uploadedEver",    "downloadedEver",     "haveValid",        "leftUntilDone",   "sizeWhenDone",
      "totalSize",       "recheckProgress",    "metadataPercentComplete",             "queuePosition",
      "error",           "errorString",        "isFinished",       "isStalled",       "name",
      "labels",          "downloadDir",        "activityDate"};
  return fields;
}

// ---- tick_diff -----------------------------------------------------------------------------

tick_diff::delta tick_diff::update(const std::map<std::int64_t, json::object>& current, const json::object& session) {
  delta out;
  for (const auto& [id, now] : current) {
    auto it = sent_.find(id);
    if (it == sent_.end()) {
      json::object whole;
      whole.reserve(now.size() + 1);
      whole["id"] = id;
      for (const auto& kv : now) whole.insert(kv);
      out.torrents.emplace_back(std::move(whole));
      sent_.emplace(id, now);
      continue;
    }
    json::object& before = it->second;
    json::object changed;
    // Every snapshot of a torrent holds the same fields in the same order (torrent_fields writes
    // them in the order asked), so the field sent before is found by walking along, without a
    // hashed lookup per field; a field out of place falls back to the lookup.
    auto walk = before.begin();
    for (const auto& kv : now) {
      json::value* old = nullptr;
      if (walk != before.end() && walk->key() == kv.key()) {
        old = &walk->value();
        ++walk;
      } else {
        old = before.if_contains(kv.key());
        walk = before.end();
      }
      if (old != nullptr && *old == kv.value()) continue;
      if (changed.empty()) changed["id"] = id;
      changed[kv.key()] = kv.value();
      if (kv.key() == "status" && old != nullptr) out.states.push_back({id, kv.value(), *old});
      if (old != nullptr) {
        *old = kv.value();
      } else {
        before[kv.key()] = kv.value();  // may move the elements: no more walking
        walk = before.end();
      }
    }
    if (changed.contains("error") || changed.contains("errorString")) {
      const json::value* error = before.if_contains("error");
      const json::value* text = before.if_contains("errorString");
      if (error != nullptr && !is_zero(*error)) {
        out.errors.push_back({id, *error, text != nullptr ? *text : json::value("")});
      }
    }
    if (!changed.empty()) out.torrents.emplace_back(std::move(changed));
  }
  if (!session_ || *session_ != session) {
    session_ = session;
    out.session = session;
  }
  return out;
}

const json::value* tick_diff::sent(std::int64_t id, std::string_view field) const {
  auto it = sent_.find(id);
  return it == sent_.end() ? nullptr : it->second.if_contains(field);
}

void tick_diff::note(std::int64_t id, std::string_view field, const json::value& value) {
  auto it = sent_.find(id);
  if (it != sent_.end()) it->second[field] = value;
}

void tick_diff::forget(std::int64_t id) { sent_.erase(id); }

void tick_diff::clear() {
  sent_.clear();
  session_.reset();
}

std::vector<std::int64_t> tick_diff::known() const {
  std::vector<std::int64_t> out;
  out.reserve(sent_.size());
  for (const auto& kv : sent_) out.push_back(kv.first);
  return out;
}

// ---- event_feed ----------------------------------------------------------------------------

event_feed::event_feed(std::shared_ptr<event_hub> hub) : hub_(std::move(hub)) {}

bool event_feed::active() const { return hub_ && hub_->subscriber_count() > 0; }

void event_feed::publish(std::string_view name, const json::object& data) {
  hub_->publish(std::string(name), json::serialize(data));
}

void event_feed::added(torrent_daemon& d, daemon_torrent& t, std::int64_t now) {
  if (!active()) return;
  // Neither field needs the engine's status.
  publish("torrent-added", torrent_fields(d, t, torrent_status{}, {"id", "name", "hashString"}, now));
}

void event_feed::removed(std::int64_t id) {
  diff_.forget(id);
  if (!active()) return;
  publish("torrent-removed", json::object{{"id", id}});
}

void event_feed::finished(torrent_daemon& d, daemon_torrent& t, const torrent_status& st, std::int64_t now) {
  if (!active()) return;
  publish("torrent-finished", torrent_fields(d, t, st, {"id", "name", "status"}, now));
  status_event(d, t, st, now);  // and torrent-state, like any change of status
}

void event_feed::metadata_received(torrent_daemon& d, daemon_torrent& t, const torrent_status& st, std::int64_t now) {
  if (!active()) return;
  publish("metadata-received", torrent_fields(d, t, st, {"id", "name"}, now));
}

void event_feed::status_event(torrent_daemon& d, daemon_torrent& t, const torrent_status& st, std::int64_t now) {
  if (!active()) return;
  const json::value* status_sent = diff_.sent(t.id, "status");
  if (status_sent == nullptr) return;  // not sent yet: the next tick sends it whole
  json::object o = torrent_fields(d, t, st, {"status", "error", "errorString"}, now);
  std::vector<tick_diff::state_change> states;
  std::vector<tick_diff::error_change> errors;
  if (*status_sent != o["status"]) {
    states.push_back({t.id, o["status"], *status_sent});
    diff_.note(t.id, "status", o["status"]);
  }
  const json::value* error_sent = diff_.sent(t.id, "error");
  const json::value* text_sent = diff_.sent(t.id, "errorString");
  const bool error_changed = error_sent == nullptr || text_sent == nullptr || *error_sent != o["error"] ||
                             *text_sent != o["errorString"];
  if (error_changed && !is_zero(o["error"])) {
    errors.push_back({t.id, o["error"], o["errorString"]});
    diff_.note(t.id, "error", o["error"]);
    diff_.note(t.id, "errorString", o["errorString"]);
  }
  publish_changes(states, errors);
}

void event_feed::publish_changes(const std::vector<tick_diff::state_change>& states,
                                 const std::vector<tick_diff::error_change>& errors) {
  for (const auto& s : states) {
    publish("torrent-state", json::object{{"id", s.id}, {"status", s.status}, {"previous", s.previous}});
  }
  for (const auto& e : errors) {
    publish("torrent-error", json::object{{"id", e.id}, {"error", e.error}, {"errorString", e.error_string}});
  }
}

void event_feed::tick(torrent_daemon& d, const std::map<int, torrent_status>& all, std::int64_t now) {
  if (!active()) {
    diff_.clear();
    return;
  }
  std::map<std::int64_t, json::object> current;
  for (auto& [id, t] : d.torrents()) {
    auto st = all.find(id);
    if (st == all.end()) continue;  // no status now (relocating): as it was
    current.emplace_hint(current.end(), id, torrent_fields(d, t, st->second, tick_fields(), now));
  }
  for (std::int64_t id : diff_.known()) {
    if (!d.torrents().contains(static_cast<int>(id))) diff_.forget(id);
  }
  const tick_diff::delta delta = diff_.update(current, session_counts(d, all));
  publish_changes(delta.states, delta.errors);
  if (delta.empty()) return;
  json::object data;
  data["torrents"] = delta.torrents;
  if (delta.session) data["session"] = *delta.session;
  publish("tick", data);
}

}  // namespace tessera::rpc
