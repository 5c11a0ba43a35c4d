#!/usr/bin/env python3
"""Interop (issue 4, test 3): peer exchange (BEP 11) with libtorrent.

A libtorrent seeder A and a libtorrent leecher B (download rate limited, so it stays a leecher
with part of the data) connected to A. tessera gets only A (--peer A; no tracker, no DHT, no LSD).
A's ut_pex message names B; tessera connects to B and downloads from both: B's log must show
payload uploaded, and every file is compared byte for byte. B runs without ut_pex: told of tessera
by A, libtorrent would dial it as tessera dials B, and two libtorrent connections with per-connection
peer ids can each apply its duplicate rule and close both (seen: "duplicate peer-id" twice in B's
log), after which neither side redials for a minute.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

PIECE = 64 * H.KIB
TOTAL = 24 * H.MIB + 999


def body(h, args):
    src = h.path('seed', 'payload')
    H.make_payload(src, H.multi_file_layout(TOTAL, PIECE), seed=51)
    t = H.make_torrent(src, h.path('pex.torrent'), [], PIECE)
    a = H.start_lt_seed(h, t, h.path('seed'), upload_limit=6 * H.MIB)
    a.wait_for(r'lt_seed: seeding', 30)
    ip_b = h.next_ip()
    port_b = h.free_port(ip_b)
    b = h.spawn('lt_leech_b', [H.PYTHON, '-u', os.path.join(H.PEERS_DIR, 'lt_leech.py'), '--torrent', t.path,
                               '--save-path', h.path('b'), '--ip', ip_b, '--port', str(port_b),
                               '--peer', f'{a.ip}:{a.port}', '--download-limit', str(2 * H.MIB),
                               '--timeout', '300', '--no-pex'], ip=ip_b, port=port_b)
    b.wait_for(r'progress [1-9]\d*/', 30)  # B has pieces to give

    out = h.path('out')
    leech = H.start_tessera_download(h, args.tessera, t, out, peers=[f'{a.ip}:{a.port}'], log_level='debug',
                                     name='tessera_pex', extra=['--no-dht', '--no-lsd'])
    leech.wait_for(rf'peers from PEX of {a.ip}', 90)
    leech.wait_for(rf'peer {ip_b}:{port_b}: handshake done', 30)
    H.log(f'tessera learned B {ip_b}:{port_b} from A\'s PEX and connected')
    secs = H.wait_leecher(leech, 180)
    n = H.compare_trees(src, os.path.join(out, t.name))
    b.wait_for(r'uploaded [1-9]', 5)
    uploaded = b.last_match(r'uploaded (\d+)').group(1)
    H.log(f'{n} files identical in {secs:.1f} s; B uploaded {uploaded} bytes')


if __name__ == '__main__':
    a = H.common_args(__doc__).parse_args()
    H.run_test('test_pex', body, a)
