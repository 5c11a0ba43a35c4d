#!/usr/bin/env python3
"""Interop (issue 13, test 6; BEP 32): a trackerless download through an IPv6-only DHT on ::1.

A libtorrent DHT node A (DHT only, on [::1], no bootstrap node) is everyone's bootstrap node. A
libtorrent seeder S, listening and running its DHT on [::1] only, seeds a trackerless torrent and
announces it to the DHT through A. tessera, on ::1 only (--interface ::1, so its DHT runs one IPv6
node and nothing on IPv4), is given a magnet with only the info-hash and A as its bootstrap node:
no tracker, no LSD, no --peer. It must find S through get_peers over IPv6, fetch the metadata
(BEP 9) and the data, and announce itself to A (A hands out [::1]:<tessera's port> afterwards).

Then the dual-stack part: tessera with its listen interface left to the default (every address,
so one IPv4 and one IPv6 node on the same port) answers KRPC pings on 127.0.0.1 and on ::1, and a
get_peers with `want` n4+n6 sent over IPv4 is answered with `nodes6` from its IPv6 table (which it
filled through A). Every address is on loopback; every wait is bounded.
"""
import os
import random
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
import libtorrent as lt  # noqa: E402
from test_dht_node import LT_DHT, bencode, raw_get_peers, wait  # noqa: E402
from test_dht_trackerless import LT_DHT_SEED, make_trackerless  # noqa: E402


def ipv6_loopback():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.bind(('::1', 0))
        s.close()
        return True
    except OSError:
        return False


def free_port6(h, taken=()):
    """A port free for TCP and UDP on ::1 (and, for the dual-stack part, on 127.0.0.1)."""
    for _ in range(200):
        t = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        u4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            t.bind(('::1', 0))
            port = t.getsockname()[1]
            u.bind(('::1', port))
            u4.bind(('127.0.0.1', port))
        except OSError:
            continue
        finally:
            t.close()
            u.close()
            u4.close()
        if port >= 1024 and port not in taken:
            return port
    raise H.TestFailure('no free port on ::1')


def krpc(node, query):
    """Sends one KRPC query dict to node (ip, port) from a socket of its family; the decoded
    reply dict, or None within 2 s."""
    v6 = ':' in node[0]
    s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(('::1' if v6 else '127.0.0.1', 0))
        s.settimeout(2.0)
        s.sendto(bencode(query), node)
        data, _ = s.recvfrom(65536)
    except OSError:
        return None
    finally:
        s.close()
    reply = lt.bdecode(data)
    return reply if isinstance(reply, dict) else None


def random_id():
    return bytes(random.getrandbits(8) for _ in range(20))


def ipv6_only_download(h, args):
    ip = '::1'
    taken = []
    port_a = free_port6(h, taken)
    taken.append(port_a)
    a = h.spawn('lt_dht_a6', [H.PYTHON, '-c', LT_DHT, '--ip', ip, '--port', str(port_a), '--timeout', '600'],
                ip=ip, port=port_a)
    a.wait_for(r'lt_dht: listening', 20)

    src, t = make_trackerless(h, 'pub6', 61, False)
    port_s = free_port6(h, taken)
    taken.append(port_s)
    s = h.spawn('lt_dht_seed6', [H.PYTHON, '-u', LT_DHT_SEED, '--mode', 'dht', '--ip', ip, '--port', str(port_s),
                                 '--bootstrap', f'[{ip}]:{port_a}', '--torrent', t.path,
                                 '--save-path', os.path.dirname(src)], ip=ip, port=port_s)
    s.wait_for(r'lt_dht_seed: seeding 1', 30)
    wait(lambda: f'[::1]:{port_s}' in raw_get_peers((ip, port_a), t.info_hash), 60,
         f'libtorrent A does not hand out the seeder [::1]:{port_s}')
    H.log(f'the IPv6 DHT node A stores the seeder [::1]:{port_s} for {t.info_hash_hex}')

    out = h.path('out6')
    os.makedirs(out, exist_ok=True)
    port_t = free_port6(h, taken)
    taken.append(port_t)
    uri = f'magnet:?xt=urn:btih:{t.info_hash_hex}'
    argv = [args.tessera, '--log-level', 'info', 'download', uri, '-o', out, '--port', str(port_t), '--no-lsd',
            '--interface', ip, '--dht-bootstrap', f'[{ip}]:{port_a}', '--state-dir', h.mkdir('tessera6-state')]
    leech = h.spawn('tessera_dht6', argv, ip=ip, port=port_t)
    secs = H.wait_leecher(leech, 120)
    n = H.compare_trees(src, os.path.join(out, t.name))
    H.log(f'{n} files identical, {t.total_size} bytes in {secs:.1f} s, found through the IPv6 DHT only')
    text = leech.text()
    H.check(f'dht: node on UDP [::1]:{port_t}' in text, 'tessera did not run its DHT node on [::1]:<its port>')
    H.check('dht: node on UDP 127.' not in text and 'dht: node on UDP 0.0.0.0' not in text,
            'tessera ran an IPv4 DHT node although it listens on ::1 only')
    # tessera announced itself (its listen port) to A over IPv6: A hands it out now.
    wait(lambda: f'[::1]:{port_t}' in raw_get_peers((ip, port_a), t.info_hash), 20,
         f'libtorrent A does not hand out tessera\'s announce [::1]:{port_t}')
    H.log(f'libtorrent A stores tessera\'s announce [::1]:{port_t}')
    return port_a


def dual_stack_answers(h, args, port_a):
    port_t = free_port6(h)
    out = h.path('out-dual')
    os.makedirs(out, exist_ok=True)
    # A torrent nobody has, so tessera keeps running; its DHT bootstraps from A (IPv6) alone.
    uri = f'magnet:?xt=urn:btih:{random_id().hex()}'
    # --interface left out: every address (0.0.0.0 and ::); only loopback addresses are used.
    argv = [args.tessera, '--log-level', 'info', 'download', uri, '-o', out, '--port', str(port_t), '--no-lsd',
            '--dht-bootstrap', f'[::1]:{port_a}', '--state-dir', h.mkdir('tessera-dual-state')]
    p = h.spawn('tessera_dual', argv, ip='127.0.0.1', port=port_t)
    p.wait_for(rf'dht: node on UDP 0\.0\.0\.0:{port_t}', 20)
    p.wait_for(rf'dht: node on UDP \[::\]:{port_t}', 20)
    for node in (('127.0.0.1', port_t), ('::1', port_t)):
        r = krpc(node, {b't': b'pi', b'y': b'q', b'q': b'ping', b'a': {b'id': random_id()}})
        H.check(r is not None and r.get(b'y') == b'r', f'no KRPC answer to a ping on {node}')
        H.log(f'tessera answers KRPC on {node[0]} port {node[1]}')

    # The IPv6 table fills through A; then its nodes come back over IPv4 when `want` asks for them.
    def nodes6_over_ipv4():
        r = krpc(('127.0.0.1', port_t), {b't': b'gp', b'y': b'q', b'q': b'get_peers',
                                         b'a': {b'id': random_id(), b'info_hash': random_id(),
                                                b'want': [b'n4', b'n6']}})
        body = r.get(b'r', {}) if r else {}
        return isinstance(body, dict) and len(body.get(b'nodes6', b'')) >= 38
    wait(nodes6_over_ipv4, 30, 'tessera\'s IPv4 node never answered want n6 with nodes6')
    H.log('a get_peers over IPv4 with want n4+n6 brings nodes6 from tessera\'s IPv6 table')
    r = krpc(('127.0.0.1', port_t), {b't': b'fn', b'y': b'q', b'q': b'find_node',
                                     b'a': {b'id': random_id(), b'target': random_id()}})
    body = r.get(b'r', {}) if r else {}
    H.check(isinstance(body, dict) and b'nodes6' not in body, 'a find_node without want got nodes6 over IPv4')


def body(h, args):
    H.check(args.tessera and os.access(args.tessera, os.X_OK), f'tessera binary not found: {args.tessera!r}')
    if not ipv6_loopback():
        print('SKIP test_dht_ipv6: no IPv6 loopback (::1) here', flush=True)
        sys.exit(77)
    port_a = ipv6_only_download(h, args)
    dual_stack_answers(h, args, port_a)


if __name__ == '__main__':
    args = H.common_args(__doc__).parse_args()
    H.run_test('test_dht_ipv6', body, args)
