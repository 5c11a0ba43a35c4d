#!/usr/bin/env python3
"""Interop test 2: the same multi-file layout seeded at once by aria2c and Transmission, found
through opentracker over UDP; the leecher (tessera by default) downloads it, every file is
compared byte for byte, and both seeders must have uploaded to it.

Both seeders are rate limited (aria2 512 KiB/s, Transmission 1 MiB/s) so that one seeder alone
cannot finish the download before the other is used: each must report uploaded bytes > 0.
Transmission unchokes only at its 10 s rechoke, hence a download of ~15 s.
Transmission 3.00 ignores peer addresses in 127.0.0.0/8 learned from trackers, so it only
accepts incoming connections here: the leecher has to dial it after learning its address from
the tracker (Transmission announces over UDP from its bind address)."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

PIECE = 32 * H.KIB
TOTAL = 12 * H.MIB + 4321
ARIA2_LIMIT = 512 * H.KIB
TRANSMISSION_LIMIT_KIB = 1024


def body(h, args):
    seed_dir = h.path('seed')
    src = os.path.join(seed_dir, 'payload')
    layout = H.multi_file_layout(TOTAL, PIECE)
    H.make_payload(src, layout, seed=22)
    H.check(TOTAL % PIECE != 0 and len(layout) >= 3, 'bad layout')
    port = h.free_port('127.0.0.1')
    t = H.make_torrent(src, h.path('payload.torrent'), [f'udp://127.0.0.1:{port}/announce'], PIECE)
    tracker = H.start_opentracker(h, [t.info_hash], port)

    aria = H.start_aria2_seed(h, t, seed_dir, upload_limit=ARIA2_LIMIT)
    tr = H.Transmission(h, seed_dir, upload_limit_kib=TRANSMISSION_LIMIT_KIB)
    tr.add(t)
    H.aria2_wait_seeding(aria, t, 60)
    tr.wait_seeding(60)
    tracker.wait_seeders(t.info_hash, 2, 60)

    out = h.path('out')
    leech = H.start_leecher(h, args.leecher, t, out, tessera=args.tessera, timeout=300)
    # Watch Transmission's peer list while the download runs (it forgets peers soon after).
    seen_in_tr = set()
    deadline = time.monotonic() + 300
    while leech.alive() and time.monotonic() < deadline:
        try:
            for pe in tr.status(('peers',))['peers']:
                seen_in_tr.add(pe['address'])
        except OSError:
            pass
        time.sleep(0.2)
    secs = H.wait_leecher(leech, 5)
    n = H.compare_trees(src, os.path.join(out, t.name))
    H.log(f'{n} files identical, {t.total_size} bytes in {secs:.1f} s')

    time.sleep(1.0)  # let the seeders' counters settle
    up_tr = tr.status(('uploadedEver',))['uploadedEver']
    up_aria = H.aria2_uploaded(aria)
    H.log(f'uploaded: transmission {up_tr} bytes, aria2 {up_aria} bytes; '
          f'transmission saw peers {sorted(seen_in_tr)}')
    H.check(up_tr > 0, 'the leecher downloaded nothing from Transmission (uploadedEver = 0)')
    H.check(up_aria > 0, 'the leecher downloaded nothing from aria2 (uploadLength = 0)')
    # tessera has no bind-address option: it dials from 127.0.0.1, where no other client is.
    H.check(leech.ip in seen_in_tr,
            f'Transmission never listed the leecher {leech.ip} as a peer')


if __name__ == '__main__':
    a = H.common_args(__doc__).parse_args()
    H.run_test('test_udp_aria2_transmission', body, a)
