#!/usr/bin/env python3
"""Interop test 1: a multi-file torrent (nested folders, total not a multiple of the piece size)
from a libtorrent seeder, found through opentracker over HTTP; the leecher (tessera by default)
downloads it and every file is compared byte for byte."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

PIECE = 64 * H.KIB
TOTAL = 6 * H.MIB + 12345


def body(h, args):
    src = h.path('seed', 'payload')
    layout = H.multi_file_layout(TOTAL, PIECE)
    H.make_payload(src, layout, seed=11)
    H.check(TOTAL % PIECE != 0 and len(layout) >= 3, 'bad layout')
    # The .torrent names the tracker's port and the tracker's whitelist names the info hash:
    # reserve the port first.
    port = h.free_port('127.0.0.1')
    t = H.make_torrent(src, h.path('payload.torrent'), [f'http://127.0.0.1:{port}/announce'], PIECE)
    tracker = H.start_opentracker(h, [t.info_hash], port)
    seeder = H.start_lt_seed(h, t, h.path('seed'))
    seeder.wait_for(r'lt_seed: seeding', 30)
    tracker.wait_seeders(t.info_hash, 1, 30)

    out = h.path('out')
    leech = H.start_leecher(h, args.leecher, t, out, tessera=args.tessera, timeout=300)
    secs = H.wait_leecher(leech, 300)
    n = H.compare_trees(src, os.path.join(out, t.name))
    seeder.wait_for(r'lt_seed: uploaded [1-9]', 5)
    H.log(f'{n} files identical, {t.total_size} bytes in {secs:.1f} s')


if __name__ == '__main__':
    a = H.common_args(__doc__).parse_args()
    H.run_test('test_http_libtorrent', body, a)
