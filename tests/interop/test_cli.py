#!/usr/bin/env python3
"""The command line's contract, with the real binary: `show` agrees with libtorrent on a
.torrent; a missing or malformed .torrent, an unwritable directory and unreachable trackers each
give a one-line error and their exit code; Ctrl+C (SIGINT) during a download exits 130 after
announcing `stopped` to a real tracker (opentracker's scrape count drops back to zero)."""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

PIECE = 32 * H.KIB
TOTAL = 4 * H.MIB + 999


def run(argv, timeout=90):
    t0 = time.monotonic()
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr, time.monotonic() - t0


def expect_error(args, argv, code, what, timeout=90):
    rc, out, err, secs = run(argv, timeout)
    lines = [l for l in err.splitlines() if l.strip()]
    H.check(rc == code, f'{what}: exit {rc}, expected {code}; stderr: {err!r}')
    H.check(len(lines) >= 1 and lines[-1].startswith('tessera: error: '),
            f'{what}: no one-line error on stderr: {err!r}')
    H.log(f'{what}: exit {rc} after {secs:.1f} s: {lines[-1]}')
    return secs


def body(h, args):
    tessera = args.tessera
    src = h.path('seed', 'payload')
    H.make_payload(src, H.multi_file_layout(TOTAL, PIECE), seed=5)
    port = h.free_port('127.0.0.1')
    t = H.make_torrent(src, h.path('payload.torrent'), [f'http://127.0.0.1:{port}/announce'], PIECE)

    # show: name, info-hash, piece count as libtorrent sees them.
    rc, out, err, _ = run([tessera, 'show', t.path])
    H.check(rc == 0, f'show exited {rc}: {err}')
    H.check(t.info_hash.hex() in out, f'show does not print the info-hash {t.info_hash.hex()}:\n{out}')
    H.check(f'{t.num_pieces} x' in out, f'show does not print {t.num_pieces} pieces:\n{out}')
    H.check(t.name in out, 'show does not print the name')

    # Bad input.
    # --no-lsd on every download here: without --interface, LSD would multicast on the default
    # route's interface.
    expect_error(args, [tessera, 'download', h.path('missing.torrent'), '-o', h.path('o1'), '--no-lsd'],
                 1, 'missing .torrent')
    bad = h.path('bad.torrent')
    with open(bad, 'wb') as f:
        f.write(b'd8:announce3:abc4:infod4:name1:x12:piece lengthi-5eee')
    expect_error(args, [tessera, 'download', bad, '-o', h.path('o2'), '--no-lsd'], 1, 'malformed .torrent')
    blocker = h.path('a-file')
    with open(blocker, 'w') as f:
        f.write('not a directory')
    expect_error(args, [tessera, 'download', t.path, '-o', os.path.join(blocker, 'sub'), '--no-lsd'], 3,
                 'unwritable directory')

    # Every tracker unreachable: a closed HTTP port and a closed UDP port.
    dead = h.free_port('127.0.0.1')
    t_dead = H.make_torrent(src, h.path('dead.torrent'),
                            [f'http://127.0.0.1:{dead}/announce', f'udp://127.0.0.1:{dead}/announce'],
                            PIECE)
    secs = expect_error(args, [tessera, 'download', t_dead.path, '-o', h.path('o3'), '--no-lsd'], 2,
                        'unreachable trackers', timeout=120)
    H.check(secs < 90, f'unreachable trackers took {secs:.0f} s to report')

    # Ctrl+C: a slow seeder keeps the download going; SIGINT must announce `stopped`.
    tracker = H.start_opentracker(h, [t.info_hash], port)
    seeder = H.start_lt_seed(h, t, h.path('seed'), upload_limit=256 * H.KIB)
    seeder.wait_for(r'lt_seed: seeding', 30)
    tracker.wait_seeders(t.info_hash, 1, 30)
    leech = H.start_leecher(h, 'tessera', t, h.path('o4'), tessera=tessera, timeout=120)
    deadline = time.monotonic() + 30
    while tracker.scrape(t.info_hash)[1] < 1:
        H.check(time.monotonic() < deadline, 'tracker never saw the leecher')
        H.check(leech.alive(), f'leecher exited early with {leech.returncode()}')
        time.sleep(0.2)
    leech.wait_for(r'^progress\s+(?!checking)', 30)
    os.kill(leech.popen.pid, signal.SIGINT)
    rc = leech.wait(30)
    H.check(rc == 130, f'after SIGINT tessera exited with {rc}, expected 130')
    leech.wait_for(r'stopped at', 1, fail_if_exit=False)
    _, incomplete = tracker.scrape(t.info_hash)
    H.check(incomplete == 0, f'tracker still lists {incomplete} leecher(s): `stopped` not announced')
    H.log('SIGINT: exit 130, `stopped` announced')


if __name__ == '__main__':
    a = H.common_args(__doc__).parse_args()
    H.run_test('test_cli', body, a)
