#!/usr/bin/env python3
"""Issue 3, interop test 1: `tessera seed` is the only seeder of a multi-file torrent (nested
folders, total not a multiple of the piece size) announced to opentracker over HTTP; a libtorrent
leecher and an aria2 leecher find it through the tracker, download at the same time and every file
of both copies is compared byte for byte. Tessera's final summary must report at least one full
copy uploaded (the leechers may trade pieces between themselves, but every piece left tessera at
least once)."""
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

PIECE = 64 * H.KIB
TOTAL = 12 * H.MIB + 54321


def body(h, args):
    if not (args.tessera and os.access(args.tessera, os.X_OK)):
        raise H.TestFailure(f'tessera binary not found: {args.tessera!r}')
    src = h.path('seed', 'payload')
    layout = H.multi_file_layout(TOTAL, PIECE)
    H.make_payload(src, layout, seed=31)
    H.check(TOTAL % PIECE != 0 and len(layout) >= 3, 'bad layout')
    port = h.free_port('127.0.0.1')
    t = H.make_torrent(src, h.path('payload.torrent'), [f'http://127.0.0.1:{port}/announce'], PIECE)
    tracker = H.start_opentracker(h, [t.info_hash], port)

    # The tessera seeder is alone on 127.0.0.1 (see README: loopback facts).
    seed_port = h.free_port('127.0.0.1')
    seeder = h.spawn('tessera_seed', [args.tessera, 'seed', t.path, '-d', h.path('seed'),
                                      '--port', str(seed_port), '--interface', '127.0.0.1'],
                     ip='127.0.0.1', port=seed_port)
    m = seeder.wait_for(r'checked (\d+)/(\d+) pieces already present', 60)
    H.check(m.group(1) == m.group(2), f'seeder verified only {m.group(1)}/{m.group(2)} pieces')
    seeder.wait_for(r'tessera: seeding .* on port \d+', 10)
    tracker.wait_seeders(t.info_hash, 1, 30)

    leechers = []
    for kind in ('libtorrent', 'aria2'):
        out = h.path(f'out-{kind}')
        leechers.append((kind, out, H.start_leecher(h, kind, t, out, timeout=240)))
    for kind, out, p in leechers:
        secs = H.wait_leecher(p, 240)
        n = H.compare_trees(src, os.path.join(out, t.name))
        H.log(f'{kind}: {n} files identical after {secs:.1f} s')

    H.check(seeder.alive(), f'seeder exited early with {seeder.returncode()}')
    seeder.signal_group(signal.SIGINT)
    rc = seeder.wait(20)
    H.check(rc == 0, f'tessera seed exited with {rc} after SIGINT, expected 0')
    m = seeder.last_match(r'tessera: seeded .*uploaded (\d+) bytes')
    H.check(m is not None, 'no `seeded ... uploaded <bytes> bytes` summary line')
    up = int(m.group(1))
    H.check(up >= t.total_size, f'tessera uploaded {up} bytes < one copy ({t.total_size})')
    H.log(f'tessera uploaded {up} bytes ({up / t.total_size:.2f} copies)')


if __name__ == '__main__':
    a = H.common_args(__doc__).parse_args()
    H.run_test('test_seed_to_clients', body, a)
