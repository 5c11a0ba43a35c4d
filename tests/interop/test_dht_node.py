#!/usr/bin/env python3
"""Interop: tessera's DHT node (src/discovery/dht) against libtorrent DHT nodes on loopback.

Two libtorrent sessions with only the DHT on: A (127.0.0.2, no bootstrap nodes at all) and B
(127.0.0.3, bootstraps from A). B announces info-hash FIND (a magnet torrent, so with its listen port) and keeps looking up
info-hash ANNOUNCE. Then tessera's node (127.0.0.4, in the DhtInterop gtest of test_discovery)
bootstraps from A and checks:
  1. it finds 127.0.0.3:<B's port> for FIND through get_peers (libtorrent's announce, stored by A);
  2. it announces ANNOUNCE with port 7777; A then hands out 127.0.0.4:7777 (checked here with a
     raw KRPC get_peers: libtorrent accepted our token round trip), and B's own lookup finds it.
Every node is on loopback, no libtorrent node has any bootstrap node outside it, and every wait is
bounded. test_discovery is found next to the tessera binary (<build>/tests/test_discovery) or
given with --test-discovery.
"""
import os
import random
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
import libtorrent as lt  # noqa: E402  (harness re-executes under the Python that has it)

# A libtorrent DHT node: DHT only, on one address, prints what it learns (run with -c: the path of
# peers/ for lt_alerts comes first).
LT_DHT = f'import sys; sys.path.insert(0, {H.PEERS_DIR!r})\n' + r"""
import argparse, signal, sys, time
import libtorrent as lt
from lt_alerts import AlertWaiter
ap = argparse.ArgumentParser()
ap.add_argument('--ip'); ap.add_argument('--port', type=int)
ap.add_argument('--bootstrap', default='')
ap.add_argument('--announce', default='')   # HEX: a magnet torrent, announced to the DHT
ap.add_argument('--save-path', default='.')
ap.add_argument('--lookup', default='')     # HEX, looked up every 2 s
ap.add_argument('--timeout', type=float, default=120)
a = ap.parse_args()
stop = []
signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
settings = {
    # An IPv6 --ip ('::1') is written [::1]:port.
    'listen_interfaces': (f'[{a.ip}]' if ':' in a.ip else a.ip) + f':{a.port}', 'outgoing_interfaces': a.ip,
    # No router nodes at all: libtorrent never puts a router in its routing table, so the
    # bootstrap node is added as an ordinary node below.
    'enable_dht': True, 'dht_bootstrap_nodes': '',
    'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
    'dht_restrict_routing_ips': False, 'dht_restrict_search_ips': False,
    'dht_prefer_verified_node_ids': False, 'dht_enforce_node_id': False,
    'dht_ignore_dark_internet': False, 'dht_aggressive_lookups': True,
    'dht_announce_interval': 3,
    'alert_mask': int(lt.alert.category_t.all_categories),
}
s = lt.session(settings)
waiter = AlertWaiter(s)
if a.bootstrap:
    host, port = a.bootstrap.rsplit(':', 1)
    s.add_dht_node((host.strip('[]'), int(port)))
print(f'lt_dht: listening {a.ip}:{a.port}', flush=True)
end = time.monotonic() + a.timeout
next_stats = next_lookup = 0.0
nodes = 0
added = False
while not stop and time.monotonic() < end:
    now = time.monotonic()
    if now >= next_stats:
        s.post_dht_stats(); next_stats = now + 1
    if a.announce and nodes > 0 and not added:
        # dht_announce() cannot be called from Python (its flags type is not bound): a magnet
        # torrent makes libtorrent announce the info-hash with its listen port instead.
        atp = lt.parse_magnet_uri(f'magnet:?xt=urn:btih:{a.announce}')
        atp.save_path = a.save_path
        s.add_torrent(atp)
        added = True
        print('lt_dht: added torrent', flush=True)
    if a.lookup and now >= next_lookup:
        s.dht_get_peers(lt.sha1_hash(bytes.fromhex(a.lookup))); next_lookup = now + 2
    waiter.wait(0.2)
    for al in s.pop_alerts():
        if isinstance(al, lt.dht_stats_alert):
            n = sum(b.get('num_nodes', 0) for b in al.routing_table)
            nodes = n
            print(f'lt_dht: nodes {n}', flush=True)
        elif isinstance(al, lt.dht_get_peers_reply_alert):
            peers = ' '.join(f'{ip}:{port}' for ip, port in al.peers())
            print(f'lt_dht: peers {al.info_hash} [{peers}]', flush=True)
        elif isinstance(al, (lt.dht_announce_alert, lt.dht_get_peers_alert)):
            print(f'lt_dht: incoming {al.message()}', flush=True)
print('lt_dht: exiting', flush=True)
"""


def bencode(v):
    if isinstance(v, int):
        return b'i%de' % v
    if isinstance(v, bytes):
        return b'%d:%s' % (len(v), v)
    if isinstance(v, list):
        return b'l' + b''.join(bencode(x) for x in v) + b'e'
    if isinstance(v, dict):
        return b'd' + b''.join(bencode(k) + bencode(v[k]) for k in sorted(v)) + b'e'
    raise TypeError(v)


def raw_get_peers(node, info_hash, source_ip=None):
    """One KRPC get_peers to `node` (ip, port) from a throwaway socket: the `values` as
    'ip:port' strings ('[v6]:port' for IPv6 ones), [] on timeout or no values. The socket is of
    the node's family, bound to source_ip (default 127.0.0.1 or ::1)."""
    v6 = ':' in node[0]
    if source_ip is None:
        source_ip = '::1' if v6 else '127.0.0.1'
    q = {b't': b'gp', b'y': b'q', b'q': b'get_peers',
         b'a': {b'id': bytes(random.getrandbits(8) for _ in range(20)), b'info_hash': info_hash}}
    s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind((source_ip, 0))
        s.settimeout(1.0)
        s.sendto(bencode(q), node)
        data, _ = s.recvfrom(65536)
    except OSError:
        return []
    finally:
        s.close()
    reply = lt.bdecode(data) or {}
    r = reply.get(b'r', {}) if isinstance(reply, dict) else {}
    out = []
    for v in r.get(b'values', []) if isinstance(r, dict) else []:
        if isinstance(v, bytes) and len(v) == 6:
            out.append(f'{v[0]}.{v[1]}.{v[2]}.{v[3]}:{v[4] << 8 | v[5]}')
        elif isinstance(v, bytes) and len(v) == 18:
            out.append(f'[{socket.inet_ntop(socket.AF_INET6, v[:16])}]:{v[16] << 8 | v[17]}')
    return out


def wait(cond, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.2)
    raise H.TestFailure(f'{what} within {timeout} s')


def body(h, args):
    test_bin = args.test_discovery or (
        os.path.join(os.path.dirname(os.path.dirname(args.tessera)), 'tests', 'test_discovery') if args.tessera else '')
    H.check(test_bin and os.access(test_bin, os.X_OK),
            f'test_discovery not found ({test_bin!r}): build it or pass --test-discovery')
    find = bytes(random.getrandbits(8) for _ in range(20))
    announce = bytes(random.getrandbits(8) for _ in range(20))

    ip_a, ip_b, ip_t = h.next_ip(), h.next_ip(), h.next_ip()
    port_a, port_b = h.free_port(ip_a), h.free_port(ip_b)
    a = h.spawn('lt_dht_a', [H.PYTHON, '-c', LT_DHT, '--ip', ip_a, '--port', str(port_a)], ip=ip_a, port=port_a)
    a.wait_for(r'lt_dht: listening', 20)
    b = h.spawn('lt_dht_b', [H.PYTHON, '-c', LT_DHT, '--ip', ip_b, '--port', str(port_b),
                             '--bootstrap', f'{ip_a}:{port_a}', '--announce', find.hex(), '--save-path', h.mkdir('b'),
                             '--lookup', announce.hex()], ip=ip_b, port=port_b)
    b.wait_for(r'lt_dht: nodes [1-9]', 30)
    wait(lambda: f'{ip_b}:{port_b}' in raw_get_peers((ip_a, port_a), find), 30,
         f'libtorrent A does not hand out B\'s announce {ip_b}:{port_b}')
    H.log(f'libtorrent A stores {ip_b}:{port_b} for {find.hex()}')

    done_file = h.path('done')
    env = dict(os.environ,
               TESSERA_DHT_INTEROP_BIND=ip_t,
               TESSERA_DHT_INTEROP_BOOTSTRAP=f'{ip_a}:{port_a}',
               TESSERA_DHT_INTEROP_FIND=find.hex(),
               TESSERA_DHT_INTEROP_EXPECT=f'{ip_b}:{port_b}',
               TESSERA_DHT_INTEROP_ANNOUNCE=announce.hex(),
               TESSERA_DHT_INTEROP_DONE_FILE=done_file)
    t = h.spawn('tessera_dht', [test_bin, '--gtest_filter=DhtInterop.*'], env=env, ip=ip_t)
    t.wait_for(r'dht-interop: bootstrapped', 30)
    t.wait_for(r'dht-interop: found ', 60)
    H.log('tessera found libtorrent\'s announced peer')
    t.wait_for(r'dht-interop: announced', 60)
    wait(lambda: f'{ip_t}:7777' in raw_get_peers((ip_a, port_a), announce), 20,
         f'libtorrent A does not hand out our announce {ip_t}:7777')
    H.log(f'libtorrent A stores our announce {ip_t}:7777')
    b.wait_for(rf'lt_dht: peers {announce.hex()} \[.*{ip_t}:7777', 30)
    H.log('libtorrent B\'s own get_peers lookup finds tessera\'s announce')
    open(done_file, 'w').close()
    code = t.wait(30)
    H.check(code == 0, f'the DhtInterop gtest exited with {code}')
    H.check('[  PASSED  ] 1 test' in t.text(), 'the DhtInterop gtest did not pass')


def main():
    ap = H.common_args(__doc__)
    ap.add_argument('--test-discovery', default='', help='path to the test_discovery binary')
    args = ap.parse_args()
    t0 = time.monotonic()
    h = H.Harness('test_dht_node', keep=args.keep)
    try:
        body(h, args)
    except H.TestFailure as e:
        h.failed = True
        h.close()
        print(f'FAIL test_dht_node: {e}', flush=True)
        sys.exit(1)
    except BaseException:
        h.failed = True
        h.close()
        raise
    h.close()
    print(f'PASS test_dht_node in {time.monotonic() - t0:.1f} s', flush=True)
    sys.exit(0)


if __name__ == '__main__':
    main()
