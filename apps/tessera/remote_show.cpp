// `tessera list`, `tessera info ID...`, `tessera files ID...`: torrent-get, printed as tables.
#include <cstdio>

#include "commands.hpp"
#include "remote_tables.hpp"
#include "remote_verbs.hpp"

namespace tessera::cli {

namespace json = boost::json;

namespace {

/// torrent-get of `fields` for `ids`; prints the reply's arguments with --json, else each
/// torrent (in the order of `ids`) through `render`, separated by a blank line.
int show_each(remote_context& ctx, const std::vector<std::string>& tokens, json::array fields,
              std::string (*render)(const json::object&)) {
  auto ids = ctx.resolve(tokens, false);
  if (!ids) return ids.error();
  json::object args;
  args["fields"] = std::move(fields);
  args["ids"] = ids_json(**ids);
  auto reply = ctx.call("torrent-get", std::move(args));
  if (!reply) return reply.error();
  if (ctx.json()) {
    remote_context::print_json(*reply);
    return exit_ok;
  }
  const json::value* torrents = reply->if_contains("torrents");
  if (torrents == nullptr || !torrents->is_array()) return fail("torrent-get: the reply has no torrent list");
  bool first = true;
  for (std::int64_t id : **ids) {
    const json::object* found = nullptr;
    for (const json::value& t : torrents->as_array()) {
      const json::value* tid = t.is_object() ? t.as_object().if_contains("id") : nullptr;
      if (tid != nullptr && tid->is_int64() && tid->as_int64() == id) found = &t.as_object();
    }
    if (found == nullptr) return fail("torrent " + std::to_string(id) + " went away");
    std::printf("%s%s", first ? "" : "\n", render(*found).c_str());
    first = false;
  }
  return exit_ok;
}

}  // namespace

int run_list(remote_context& ctx) {
  json::object args;
  args["fields"] = list_fields();
  auto reply = ctx.call("torrent-get", std::move(args));
  if (!reply) return reply.error();
  if (ctx.json()) {
    remote_context::print_json(*reply);
  } else {
    std::fputs(render_torrent_list(*reply).c_str(), stdout);
  }
  return exit_ok;
}

int run_info(remote_context& ctx, const std::vector<std::string>& ids) {
  return show_each(ctx, ids, info_fields(), &render_torrent_info);
}

int run_files(remote_context& ctx, const std::vector<std::string>& ids) {
  return show_each(ctx, ids, files_fields(), &render_file_list);
}

}  // namespace tessera::cli
