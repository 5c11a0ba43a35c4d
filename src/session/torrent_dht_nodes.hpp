// The `nodes` of a .torrent (BEP 5) as DHT bootstrap nodes: what a trackerless torrent brings
// to join the DHT with.
#pragma once

#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include "tessera/torrent_info.hpp"

namespace tessera::detail {

class dht_driver;

/// Hands `ti.dht_nodes()` to the DHT (dht_driver::add_node pings each one and adds it to the
/// routing table if it answers). Ignored for a private torrent (BEP 27: no DHT at all). IP
/// literals are added at once; host names are resolved asynchronously (10 s deadline each, at
/// most 4 addresses kept per name; a failure is logged and skips that entry). Network thread
/// only; `ex` is the network thread's executor. The driver is held weakly: a resolution that ends
/// after the DHT stopped adds nothing.
void add_torrent_dht_nodes(boost::asio::any_io_executor ex, const std::weak_ptr<dht_driver>& dht,
                           const torrent_info& ti);

}  // namespace tessera::detail
