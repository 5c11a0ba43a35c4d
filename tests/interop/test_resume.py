#!/usr/bin/env python3
"""Interop test 3: resume after a crash.

A 64 MiB multi-file torrent (256 KiB pieces) is seeded by libtorrent at a limited upload rate, so
the download takes several seconds. The leecher is killed with SIGKILL once it is past 30%, then
started again on the same directory. Checks:
  - the restarted leecher reports `checked H/N pieces already present` with 0 < H <= the number
    of pieces that really verify on disk (computed here with SHA-1);
  - it downloads at most (N - H) pieces + SLACK_PIECES (endgame duplicates): from its final
    `downloaded <bytes>` line, and independently from the seeder's upload counter;
  - the files are identical to the source.
aria2c prints no `checked`/`downloaded` lines: for it only the seeder's counter is checked."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

PIECE = 256 * H.KIB
TOTAL = 64 * H.MIB + 99999
RATE = 6 * H.MIB          # seeder upload limit, bytes/s: ~11 s for the whole payload
KILL_AT = 0.30
SLACK_PIECES = 4


def body(h, args):
    seed_dir = h.path('seed')
    src = os.path.join(seed_dir, 'payload')
    H.make_payload(src, H.multi_file_layout(TOTAL, PIECE), seed=33)
    port = h.free_port('127.0.0.1')
    t = H.make_torrent(src, h.path('payload.torrent'), [f'http://127.0.0.1:{port}/announce'], PIECE)
    tracker = H.start_opentracker(h, [t.info_hash], port)
    seeder = H.start_lt_seed(h, t, seed_dir, upload_limit=RATE)
    seeder.wait_for(r'lt_seed: seeding', 30)
    tracker.wait_seeders(t.info_hash, 1, 30)
    n = t.num_pieces

    out = h.path('out')
    first = H.start_leecher(h, args.leecher, t, out, tessera=args.tessera, timeout=300,
                            name=f'{args.leecher}_leech_first')
    deadline = time.monotonic() + 120
    frac = 0.0
    while True:
        frac = H.leecher_progress(first, t, out)
        if frac > KILL_AT:
            break
        H.check(first.alive(), f'first leecher exited with {first.returncode()} before {KILL_AT:.0%}')
        H.check(time.monotonic() < deadline, f'first leecher at {frac:.1%} after 120 s')
        time.sleep(0.1)
    first.kill9()
    H.log(f'killed the first leecher with SIGKILL at {frac:.1%}')
    H.check(frac < 1.0, 'the first leecher finished before it could be killed; lower RATE')
    time.sleep(1.5)
    up_before = H.lt_seed_uploaded(seeder)
    on_disk = H.verified_pieces(t, os.path.join(out))
    H.log(f'{on_disk}/{n} pieces verify on disk; seeder uploaded {up_before} bytes so far')
    H.check(0 < on_disk < n, f'{on_disk}/{n} pieces on disk after the kill')

    second = H.start_leecher(h, args.leecher, t, out, tessera=args.tessera, timeout=300,
                             name=f'{args.leecher}_leech_second')
    have = None
    if args.leecher != 'aria2':
        have, n2 = H.leecher_checked(second, 120)
        H.log(f'restarted leecher: checked {have}/{n2}')
        H.check(n2 == n, f'checked line says N = {n2}, torrent has {n} pieces')
        H.check(have > 0, f'restarted leecher found no piece already present ({have}/{n})')
        H.check(have <= on_disk, f'restarted leecher claims {have} pieces, only {on_disk} verify on disk')
    secs = H.wait_leecher(second, 240)
    H.compare_trees(src, os.path.join(out, t.name))
    time.sleep(1.5)
    up_second = H.lt_seed_uploaded(seeder) - up_before
    slack = SLACK_PIECES * PIECE
    H.log(f'second run: {secs:.1f} s, seeder uploaded {up_second} bytes to it')
    if have is not None:
        down = H.leecher_downloaded(second)
        H.check(down is not None, 'no `complete ... downloaded <bytes> bytes` line')
        limit = (n - have) * PIECE + slack
        H.log(f'second run downloaded {down} bytes; limit (N - H) * piece + slack = {limit}')
        H.check(down <= limit, f'second run downloaded {down} bytes > {limit} (H = {have})')
    limit = (n - on_disk) * PIECE + slack
    H.check(up_second <= limit,
            f'seeder uploaded {up_second} bytes in the second run > {limit} ({on_disk} pieces were on disk)')


if __name__ == '__main__':
    a = H.common_args(__doc__).parse_args()
    H.run_test('test_resume', body, a)
