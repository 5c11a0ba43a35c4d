#!/usr/bin/env python3
"""Interop (issue 4, tests 1 and 2): `tessera download "magnet:?..."` against real clients.

1. A magnet with `tr=`: opentracker on loopback and a libtorrent seeder; tessera fetches the info
   dictionary from libtorrent with ut_metadata (BEP 9), then the data. The fetched .torrent is
   saved under --state-dir and has the magnet's info-hash.
2. A trackerless magnet (only the info-hash): a libtorrent DHT node A is everyone's bootstrap node;
   a libtorrent seeder with the DHT on announces the torrent; tessera finds it through the DHT
   alone (--dht-bootstrap A), fetches the metadata and the data. The same with aria2 as the DHT
   seeder.
Every file is compared byte for byte; every address is on loopback; every wait is bounded.
"""
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
import libtorrent as lt  # noqa: E402
from test_dht_node import LT_DHT, raw_get_peers, wait  # noqa: E402
from test_dht_trackerless import LT_DHT_SEED, make_trackerless  # noqa: E402

PIECE = 64 * H.KIB
TOTAL = 5 * H.MIB + 777


def start_tessera_magnet(h, tessera, uri, out_dir, name, extra=()):
    """`tessera download MAGNET -o out_dir` on 127.0.0.1 (--interface) with its own state dir, LSD
    off."""
    os.makedirs(out_dir, exist_ok=True)
    port = h.free_port('127.0.0.1')
    state = h.mkdir(f'{name}-state')
    argv = [tessera, 'download', uri, '-o', out_dir, '--port', str(port), '--no-lsd',
            '--state-dir', state] + H.tessera_interface_args('127.0.0.1', extra) + list(extra)
    p = h.spawn(name, argv, ip='127.0.0.1', port=port)
    p.kind = 'tessera'
    p.extra['state'] = state
    return p


def check_saved_torrent(p, t):
    path = os.path.join(p.extra['state'], f'{t.info_hash_hex}.torrent')
    H.check(os.path.exists(path), f'the fetched metadata was not saved as {path}')
    saved = lt.torrent_info(path)
    H.check(str(saved.info_hash()) == t.info_hash_hex, 'the saved .torrent has another info-hash')
    H.check(saved.num_pieces() == t.ti.num_pieces(), 'the saved .torrent has another piece count')


def magnet_with_tracker(h, args):
    src = h.path('tr', 'payload')
    H.make_payload(src, H.multi_file_layout(TOTAL, PIECE), seed=31)
    port = h.free_port('127.0.0.1')
    announce = f'http://127.0.0.1:{port}/announce'
    t = H.make_torrent(src, h.path('tr.torrent'), [announce], PIECE)
    tracker = H.start_opentracker(h, [t.info_hash], port)
    seeder = H.start_lt_seed(h, t, h.path('tr'))
    seeder.wait_for(r'lt_seed: seeding', 30)
    tracker.wait_seeders(t.info_hash, 1, 30)
    uri = (f'magnet:?xt=urn:btih:{t.info_hash_hex}&dn={urllib.parse.quote(t.name)}'
           f'&tr={urllib.parse.quote(announce, safe="")}')
    out = h.path('tr-out')
    leech = start_tessera_magnet(h, args.tessera, uri, out, 'tessera_magnet_tr')
    leech.wait_for(r'metadata received: ' + t.name, 60)
    secs = H.wait_leecher(leech, 120)
    n = H.compare_trees(src, os.path.join(out, t.name))
    check_saved_torrent(leech, t)
    H.log(f'magnet with tr=: metadata and {n} files ({t.total_size} bytes) from libtorrent in {secs:.1f} s')


def trackerless_magnet(h, args, a_ep, seeder_kind):
    src, t = make_trackerless(h, f'dht-{seeder_kind}', 41 if seeder_kind == 'libtorrent' else 42, False)
    ip_s = h.next_ip()
    port_s = h.free_port(ip_s)
    if seeder_kind == 'libtorrent':
        s = h.spawn('lt_dht_seed', [H.PYTHON, '-u', LT_DHT_SEED, '--mode', 'dht', '--ip', ip_s, '--port', str(port_s),
                                    '--bootstrap', a_ep, '--torrent', t.path,
                                    '--save-path', os.path.dirname(src)], ip=ip_s, port=port_s)
        s.wait_for(r'lt_dht_seed: seeding 1', 30)
    else:
        dht_port = h.free_port(ip_s)
        s = h.spawn('aria2_dht_seed', [
            'aria2c', '-V', f'--dir={os.path.dirname(src)}', f'--interface={ip_s}',
            f'--listen-port={port_s}', '--enable-dht=true', f'--dht-listen-port={dht_port}',
            f'--dht-entry-point={a_ep}', f'--dht-file-path={h.path("aria2_dht_seed.dht.dat")}',
            '--enable-dht6=false', '--bt-enable-lpd=false', '--enable-peer-exchange=false',
            '--seed-ratio=0.0', '--file-allocation=none', '--allow-overwrite=true',
            '--console-log-level=notice', '--enable-color=false', '--disable-ipv6=true',
            '--summary-interval=5', f'--stop-with-process={os.getpid()}', t.path], ip=ip_s, port=port_s)
    host, port = a_ep.rsplit(':', 1)
    wait(lambda: f'{ip_s}:{port_s}' in raw_get_peers((host, int(port)), t.info_hash), 90,
         f'the DHT node A does not hand out the {seeder_kind} seeder {ip_s}:{port_s}')
    H.log(f'A stores the {seeder_kind} seeder {ip_s}:{port_s} for {t.info_hash_hex}')
    uri = f'magnet:?xt=urn:btih:{t.info_hash_hex}'
    out = h.path(f'dht-{seeder_kind}-out')
    leech = start_tessera_magnet(h, args.tessera, uri, out, f'tessera_magnet_dht_{seeder_kind}',
                                 extra=['--dht-bootstrap', a_ep])
    secs = H.wait_leecher(leech, 150)
    n = H.compare_trees(src, os.path.join(out, t.name))
    check_saved_torrent(leech, t)
    H.log(f'trackerless magnet: {n} files from the {seeder_kind} DHT seeder in {secs:.1f} s')
    s.stop()


def body(h, args):
    H.check(args.tessera and os.access(args.tessera, os.X_OK), f'tessera binary not found: {args.tessera!r}')
    magnet_with_tracker(h, args)
    ip_a = h.next_ip()
    port_a = h.free_port(ip_a)
    a = h.spawn('lt_dht_a', [H.PYTHON, '-c', LT_DHT, '--ip', ip_a, '--port', str(port_a), '--timeout', '900'],
                ip=ip_a, port=port_a)
    a.wait_for(r'lt_dht: listening', 20)
    trackerless_magnet(h, args, f'{ip_a}:{port_a}', 'libtorrent')
    trackerless_magnet(h, args, f'{ip_a}:{port_a}', 'aria2')


if __name__ == '__main__':
    a = H.common_args(__doc__).parse_args()
    H.run_test('test_magnet', body, a)
