#!/usr/bin/env python3
"""One host opens 500 connections (issue 9, "one host takes every slot"): a tessera download from
two honest libtorrent seeders (rate-limited, so the download lasts long enough) while
peers/flood_peer.py holds FLOOD_COUNT connections to tessera's listen port, every one from
FLOOD_IP: half silent (no handshake ever), half sending a valid handshake for the torrent and then
idling. A connection tessera closes is opened again, so the pressure lasts.

Order: seeder A is given with --peer (tessera dials it) and is connected before the flood starts;
the flood then connects all its sockets; only then does seeder B start, and B dials tessera (it is
named nowhere else), so B must get in through the flooded listener.

Checked: (a) the download completes, files identical; (b) B uploaded at least B_MIN_SHARE of the
payload to tessera (an incoming honest peer got in); (c) tessera never kept more than
FLOOD_KEPT_MAX of the flood's handshaked connections at once (it answers a handshake only for a
connection it keeps; the default of session_settings::allow_multiple_connections_per_ip = false
keeps one per address and torrent); (d) tessera's peak RSS (/usr/bin/time %M) stays under
RSS_BOUND_MIB.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

PIECE = 256 * H.KIB
TOTAL = 24 * H.MIB + 12345
SEED_LIMIT = 512 * H.KIB        # per seeder: about 48 s with A alone, about 30 s with both
FLOOD_IP = '127.0.0.200'        # one address, in the same /24 as every other peer of the test
FLOOD_COUNT = 500
FLOOD_KEPT_MAX = 1
B_MIN_SHARE = 0.10
RSS_BOUND_MIB = 64
TIMEOUT = 180


def start_seeder(h, t, save_path, name, connect=None):
    """lt_seed.py on its own 127.0.0.x, upload-limited; with `connect` it dials that peer."""
    ip = h.next_ip()
    port = h.free_port(ip)
    argv = [H.PYTHON, '-u', os.path.join(H.PEERS_DIR, 'lt_seed.py'), '--torrent', t.path,
            '--save-path', save_path, '--ip', ip, '--port', str(port),
            '--upload-limit', str(SEED_LIMIT)]
    if connect:
        argv += ['--connect', connect]
    p = h.spawn(name, argv, ip=ip, port=port)
    p.kind = 'libtorrent'
    return p


def flood_stats(flood):
    m = flood.last_match(r'flood: open (\d+) silent_open (\d+) hs_open (\d+) answered_open (\d+) '
                         r'max_answered_open (\d+) connects (\d+) closed_by_remote (\d+) '
                         r'answered_total (\d+)')
    H.check(m is not None, 'the flood printed no statistics')
    keys = ['open', 'silent_open', 'hs_open', 'answered_open', 'max_answered_open', 'connects',
            'closed_by_remote', 'answered_total']
    return dict(zip(keys, (int(g) for g in m.groups())))


def body(h, args):
    bound = H.rss_bound_mib(args.tessera, RSS_BOUND_MIB)  # MiB; math.inf for a sanitized build
    H.check(args.leecher == 'tessera', 'this test floods tessera: --leecher tessera only')
    src_parent = h.mkdir('seed')
    H.make_payload(src_parent, [('payload.bin', TOTAL)], seed=91)
    t = H.make_torrent(os.path.join(src_parent, 'payload.bin'), h.path('payload.torrent'), [], PIECE)

    seed_a = start_seeder(h, t, src_parent, 'lt_seed_a')
    seed_a.wait_for(r'lt_seed: seeding', 30)

    out = h.path('out')
    rss_file = h.path('tessera.rss')
    leech = H.start_leecher(h, 'tessera', t, out, tessera=args.tessera, timeout=TIMEOUT,
                            peers=[f'{seed_a.ip}:{seed_a.port}'],
                            wrap=['/usr/bin/time', '-f', 'maxrss_kib %M', '-o', rss_file])
    target = f'127.0.0.1:{leech.port}'
    seed_a.wait_for(r'lt_seed: uploaded [1-9]\d* peers [1-9]', 30)
    H.log('tessera is downloading from seeder A')

    flood = h.spawn('flood', [H.PYTHON, '-u', os.path.join(H.PEERS_DIR, 'flood_peer.py'),
                              '--target', target, '--bind', FLOOD_IP, '--info-hash', t.info_hash_hex,
                              '--count', str(FLOOD_COUNT), '--timeout', str(TIMEOUT + 60)])
    flood.wait_for(rf'flood: all {FLOOD_COUNT} connected', 30)
    H.log(f'flood: all {FLOOD_COUNT} connections from {FLOOD_IP} opened')

    seed_b = start_seeder(h, t, src_parent, 'lt_seed_b', connect=target)
    secs = H.wait_leecher(leech, TIMEOUT)
    stats = flood_stats(flood)
    flood.stop()
    uploaded_a = H.lt_seed_uploaded(seed_a)
    uploaded_b = H.lt_seed_uploaded(seed_b)
    n = H.compare_trees(src_parent, out)
    H.log(f'(a) download complete in {secs:.1f} s, {n} files identical; A uploaded {uploaded_a}, '
          f'B uploaded {uploaded_b}')
    H.log(f'flood: {stats}')
    with open(rss_file) as f:
        rss_line = [l for l in f.read().splitlines() if l.startswith('maxrss_kib ')]
    H.check(rss_line, f'no peak RSS in {rss_file}')
    rss_mib = int(rss_line[-1].split()[1]) / 1024
    H.log(f'(d) tessera peak RSS {rss_mib:.1f} MiB (bound {bound} MiB)')

    problems = []
    if uploaded_b < B_MIN_SHARE * t.total_size:
        problems.append(f'(b) seeder B (dialling tessera) uploaded only {uploaded_b} bytes of '
                        f'{t.total_size}: the flood kept it out')
    if stats['max_answered_open'] > FLOOD_KEPT_MAX:
        problems.append(f'(c) tessera kept up to {stats["max_answered_open"]} handshaked connections '
                        f'from {FLOOD_IP} at once (cap {FLOOD_KEPT_MAX})')
    if stats['connects'] < FLOOD_COUNT:
        problems.append(f'the flood opened only {stats["connects"]} connections')
    if rss_mib > bound:
        problems.append(f'(d) peak RSS {rss_mib:.1f} MiB > {bound} MiB')
    H.check(not problems, '; '.join(problems))


if __name__ == '__main__':
    a = H.common_args(__doc__).parse_args()
    H.run_test('test_hostile_flood', body, a)
