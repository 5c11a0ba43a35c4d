// Parsing the info dictionary a magnet link fetched from its peers (BEP 9) off the network
// thread. The parse is linear in the metadata, but hostile metadata may be up to 10 MiB of
// bencode made to be slow: on the network thread it would stall every torrent of the session.
#pragma once

#include <functional>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "disk/disk_io.hpp"
#include "tessera/torrent_info.hpp"

namespace tessera::detail {

/// Parses `info_bytes` with parse_info_dictionary on a worker of `disk`, then posts `done` with
/// the result to `ex`. `done` runs on `ex` exactly once, unless disk_io or ex's io_context goes
/// away first; it must itself cope with whatever changed meanwhile (the torrent paused, stopped
/// or removed).
void async_parse_metadata(disk_io& disk, std::string info_bytes, boost::asio::any_io_executor ex,
                          std::function<void(result<torrent_info>)> done);

/// Tests only: `hook` (empty: none) runs on the thread that parses, just before each parse of
/// async_parse_metadata. It lets a test hold a parse and see that the network thread still
/// answers, which no observation from outside can show without timing. Process-wide; thread-safe.
void set_metadata_parse_hook_for_testing(std::function<void()> hook);

}  // namespace tessera::detail
