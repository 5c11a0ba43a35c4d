#!/usr/bin/env python3
"""Interop (issue 4, tests 2 and 5): a trackerless torrent found through the DHT alone.

A libtorrent DHT node A (DHT only, no bootstrap node) is the bootstrap node of everyone. A
libtorrent seeder S with the DHT on seeds a .torrent that has no tracker at all and announces it
to the DHT through A. `tessera download --dht-bootstrap A` (no tracker, no --peer) must find S
through get_peers and download; every file is compared byte for byte, and A's log must show
tessera's announce_peer with its listen port.

Then the private part (BEP 27): the same setup with a private trackerless torrent; tessera runs
for a while with --dht-bootstrap A and must never send a DHT query about that info-hash (A logs
every incoming get_peers and announce_peer with its info-hash; tessera's own lookups go through A
first, since A is its only node). Every address is on loopback and every wait is bounded.
"""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
import libtorrent as lt  # noqa: E402
from test_dht_node import LT_DHT, raw_get_peers, wait  # noqa: E402

# A libtorrent seeder with the DHT on and nothing else (peers/lt_discovery_seed.py --mode dht).
LT_DHT_SEED = os.path.join(H.PEERS_DIR, 'lt_discovery_seed.py')

PIECE = 64 * H.KIB
TOTAL = 3 * H.MIB + 4321

def make_trackerless(h, name, seed, private):
    src = h.path(name, 'payload')
    H.make_payload(src, H.multi_file_layout(TOTAL, PIECE), seed=seed)
    fs = lt.file_storage()
    lt.add_files(fs, src)
    ct = lt.create_torrent(fs, PIECE, flags=lt.create_torrent.v1_only)
    ct.set_priv(private)
    lt.set_piece_hashes(ct, os.path.dirname(src))
    path = h.path(f'{name}.torrent')
    with open(path, 'wb') as f:
        f.write(lt.bencode(ct.generate()))
    t = H.TorrentFile(path)
    H.check(len(list(t.ti.trackers())) == 0, 'the torrent has a tracker')
    H.check(t.ti.priv() == private, 'private flag not as asked')
    return src, t


def body(h, args):
    H.check(args.tessera and os.access(args.tessera, os.X_OK), f'tessera binary not found: {args.tessera!r}')
    ip_a = h.next_ip()
    port_a = h.free_port(ip_a)
    a = h.spawn('lt_dht_a', [H.PYTHON, '-c', LT_DHT, '--ip', ip_a, '--port', str(port_a), '--timeout', '600'],
                ip=ip_a, port=port_a)
    a.wait_for(r'lt_dht: listening', 20)

    # --- a public trackerless torrent: found through the DHT alone ---
    src, t = make_trackerless(h, 'pub', 21, False)
    ip_s = h.next_ip()
    port_s = h.free_port(ip_s)
    s = h.spawn('lt_dht_seed', [H.PYTHON, '-u', LT_DHT_SEED, '--mode', 'dht', '--ip', ip_s, '--port', str(port_s),
                                '--bootstrap', f'{ip_a}:{port_a}', '--torrent', t.path,
                                '--save-path', os.path.dirname(src)], ip=ip_s, port=port_s)
    s.wait_for(r'lt_dht_seed: seeding 1', 30)
    wait(lambda: f'{ip_s}:{port_s}' in raw_get_peers((ip_a, port_a), t.info_hash), 60,
         f'libtorrent A does not hand out the seeder {ip_s}:{port_s}')
    H.log(f'the DHT node A stores the seeder {ip_s}:{port_s} for {t.info_hash_hex}')

    out = h.path('out')
    leech = H.start_leecher(h, 'tessera', t, out, tessera=args.tessera,
                            extra=['--dht-bootstrap', f'{ip_a}:{port_a}'])
    secs = H.wait_leecher(leech, 120)
    n = H.compare_trees(src, os.path.join(out, t.name))
    H.log(f'{n} files identical, {t.total_size} bytes in {secs:.1f} s, found through the DHT only')
    # tessera announced itself (its TCP listen port) for the torrent to A.
    a.wait_for(rf'incoming dht announce: [0-9.]+:{leech.port} \(?{t.info_hash_hex}', 10)
    H.log(f'A logged tessera\'s announce_peer with port {leech.port}')

    # --- a private trackerless torrent: never a DHT query about it ---
    psrc, pt = make_trackerless(h, 'priv', 22, True)
    pout = h.path('pout')
    pleech = H.start_tessera_download(h, args.tessera, pt, pout, log_level='info', name='tessera_private',
                                      extra=['--dht-bootstrap', f'{ip_a}:{port_a}'])
    time.sleep(10)  # bootstrap, then several lookup periods of a public torrent
    H.check(pleech.alive(), 'tessera exited while waiting for peers of the private torrent')
    pleech.signal_group(signal.SIGINT)
    pleech.wait(15)
    # It did join the DHT through A (so the silence below means something).
    pleech.wait_for(r'dht: stopping with [1-9]\d* nodes', 5, fail_if_exit=False)
    for p in (a, s):
        H.check(pt.info_hash_hex not in p.text(),
                f'{p.name} saw a DHT query about the private torrent {pt.info_hash_hex}')
    H.check(not os.path.exists(os.path.join(pout, pt.name)) or
            H.verified_pieces(pt, pout) == 0, 'the private torrent got data from somewhere')
    H.log('no DHT node saw the private info-hash')


if __name__ == '__main__':
    args = H.common_args(__doc__).parse_args()
    H.run_test('test_dht_trackerless', body, args)
