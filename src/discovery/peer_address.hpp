// Which addresses handed to us from outside we are willing to dial: peers from trackers, the DHT,
// LSD and PEX (is_dialable_peer), and where an HTTP tracker redirect may lead
// (is_local_network_address, for the SSRF rule in http_announce.cpp). Pure; internal.
//
// Why: every one of those sources is controlled by someone else. Without a filter a tracker (or
// a PEX peer, or a DHT node) can make us open TCP connections to multicast or broadcast addresses,
// to 0.0.0.0 (which Linux treats as this host), or to services on our own loopback interface,
// the classic request-forgery trick. See docs/hardening.md, "Trackers and the peer list".
#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace tessera::detail {

/// Where a peer address came from. Only `user` addresses skip is_dialable_peer: the user typed
/// them (--peer, add_torrent_params::peers, torrent_handle::connect_peer, a magnet's x.pe).
enum class peer_source { user, tracker, dht, lsd, pex };

/// `a` with an IPv4-mapped IPv6 address (::ffff:a.b.c.d) turned into its IPv4 form, so that one
/// rule covers both spellings.
boost::asio::ip::address unmapped(const boost::asio::ip::address& a);

/// 127.0.0.0/8 and ::1 (mapped forms included).
bool is_loopback_address(const boost::asio::ip::address& a);

/// True for an address of this host or of a private network: loopback, unspecified, 0.0.0.0/8,
/// RFC 1918 (10/8, 172.16/12, 192.168/16), IPv4 link-local 169.254/16, carrier-grade NAT
/// 100.64/10 (RFC 6598), IPv6 unique local fc00::/7, link-local fe80::/10 and the deprecated
/// site-local fec0::/10. These are what libtorrent's `ssrf_mitigation` calls local, plus CGNAT,
/// which is not reachable from the internet either.
bool is_local_network_address(const boost::asio::ip::address& a);

/// Whether a peer address from a tracker, the DHT, LSD or PEX may be dialled. Refused always:
/// port 0, unspecified addresses (0.0.0.0, ::) and the rest of 0.0.0.0/8 ("this network", a
/// source-only range: RFC 1122), multicast (224.0.0.0/4, ff00::/8) and the limited broadcast
/// 255.255.255.255. Loopback addresses (127.0.0.0/8, ::1) only when `loopback_allowed`, which
/// the torrent sets when our own listen interface is a loopback address (then every peer we can
/// reach is on loopback, as in tests). Private network addresses are allowed: LAN swarms are
/// legitimate and LSD exists to find them.
bool is_dialable_peer(const boost::asio::ip::tcp::endpoint& ep, bool loopback_allowed);

}  // namespace tessera::detail
