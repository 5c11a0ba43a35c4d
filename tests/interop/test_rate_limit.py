#!/usr/bin/env python3
"""Issue 5, rate limits against a real peer (libtorrent), two swarms at once on loopback:

  A. libtorrent seeds, `tessera download --download-limit 400` (KiB/s) leeches;
  B. `tessera seed --upload-limit 300` seeds, a libtorrent leecher downloads.

After a ramp-up of RAMP seconds (TCP buffers filling, pipelines growing; left out), the bytes that
crossed each connection over a WINDOW of 20 s, counted on libtorrent's side (A: the seeder's
payload uploaded; B: the leecher's verified 16 KiB pieces), give a rate that must be within 10% of
tessera's limit. tessera's limiter counts protocol overhead too (about 0.1% here), so the payload
rate libtorrent sees is a hair under the limit. No tracker: each libtorrent peer is given the
other's address; LSD and DHT are off everywhere.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

PIECE = 16 * H.KIB
TOTAL = 24 * H.MIB
DOWN_LIMIT_KIB = 400
UP_LIMIT_KIB = 300
RAMP = 5.0
WINDOW = 20.0
TOLERANCE = 0.10


def lt_seed_bytes(p):
    return H.lt_seed_uploaded(p)


def lt_leech_bytes(p):
    m = p.last_match(r'^progress (\d+)/\d+ pieces')
    return int(m.group(1)) * PIECE if m else 0


def body(h, args):
    if not (args.tessera and os.access(args.tessera, os.X_OK)):
        raise H.TestFailure(f'tessera binary not found: {args.tessera!r}')
    src_parent = h.path('src')
    src = os.path.join(src_parent, 'payload')
    H.make_payload(src, [('a.bin', TOTAL // 2 + 12345), ('sub/b.bin', TOTAL // 2 - 12345)], seed=5, fast=True)
    t = H.make_torrent(src, h.path('payload.torrent'), [], PIECE)

    # A: libtorrent seeder -> tessera leecher with a download limit.
    a_seed_ip = h.next_ip()
    a_seed_port = h.free_port(a_seed_ip)
    lt_seed = h.spawn('lt_seed', [H.PYTHON, '-u', os.path.join(H.PEERS_DIR, 'lt_seed.py'), '--torrent', t.path,
                                  '--save-path', src_parent, '--ip', a_seed_ip, '--port', str(a_seed_port),
                                  '--stats-interval', '0.2', '--timeout', '120'],
                      ip=a_seed_ip, port=a_seed_port)
    lt_seed.wait_for(r'lt_seed: listening', 30)
    a_ip = h.next_ip()
    a_port = h.free_port(a_ip)
    tessera_leech = h.spawn('tessera_leech', [
        args.tessera, 'download', t.path, '-o', h.mkdir('out-a'), '--port', str(a_port), '--interface', a_ip,
        '--no-lsd', '--no-dht', '--peer', f'{a_seed_ip}:{a_seed_port}', '--download-limit', str(DOWN_LIMIT_KIB)],
        ip=a_ip, port=a_port)

    # B: tessera seeder with an upload limit -> libtorrent leecher.
    b_ip = h.next_ip()
    b_port = h.free_port(b_ip)
    tessera_seed = h.spawn('tessera_seed', [
        args.tessera, 'seed', t.path, '-d', src_parent, '--port', str(b_port), '--interface', b_ip,
        '--no-lsd', '--no-dht', '--upload-limit', str(UP_LIMIT_KIB)], ip=b_ip, port=b_port)
    m = tessera_seed.wait_for(r'checked (\d+)/(\d+) pieces already present', 60)
    H.check(m.group(1) == m.group(2), f'tessera seed verified only {m.group(1)}/{m.group(2)} pieces')
    tessera_seed.wait_for(r'tessera: seeding .* on port \d+', 10)
    b_leech_ip = h.next_ip()
    b_leech_port = h.free_port(b_leech_ip)
    lt_leech = h.spawn('lt_leech', [H.PYTHON, '-u', os.path.join(H.PEERS_DIR, 'lt_leech.py'), '--torrent', t.path,
                                    '--save-path', h.mkdir('out-b'), '--ip', b_leech_ip, '--port', str(b_leech_port),
                                    '--peer', f'{b_ip}:{b_port}', '--progress-interval', '0.2', '--timeout', '120'],
                       ip=b_leech_ip, port=b_leech_port)

    # Both transfers under way, then the ramp-up.
    deadline = time.monotonic() + 30
    while lt_seed_bytes(lt_seed) == 0 or lt_leech_bytes(lt_leech) == 0:
        H.check(time.monotonic() < deadline, f'no transfer within 30 s (A: {lt_seed_bytes(lt_seed)} bytes, '
                                             f'B: {lt_leech_bytes(lt_leech)} bytes)')
        for p in (lt_seed, tessera_leech, tessera_seed, lt_leech):
            H.check(p.alive(), f'{p.name} exited early with {p.returncode()}')
        time.sleep(0.1)
    time.sleep(RAMP)
    t0 = time.monotonic()
    a0, b0 = lt_seed_bytes(lt_seed), lt_leech_bytes(lt_leech)
    time.sleep(WINDOW)
    a1, b1 = lt_seed_bytes(lt_seed), lt_leech_bytes(lt_leech)
    secs = time.monotonic() - t0
    for p in (lt_seed, tessera_leech, tessera_seed, lt_leech):
        H.check(p.alive(), f'{p.name} exited during the window with {p.returncode()}')

    down_rate = (a1 - a0) / secs
    up_rate = (b1 - b0) / secs
    down_limit = DOWN_LIMIT_KIB * H.KIB
    up_limit = UP_LIMIT_KIB * H.KIB
    H.log(f'tessera download: {down_rate / H.KIB:.1f} KiB/s over {secs:.1f} s (limit {DOWN_LIMIT_KIB} KiB/s, '
          f'{down_rate / down_limit:.3f} of it)')
    H.log(f'tessera upload: {up_rate / H.KIB:.1f} KiB/s over {secs:.1f} s (limit {UP_LIMIT_KIB} KiB/s, '
          f'{up_rate / up_limit:.3f} of it)')
    H.check(abs(down_rate - down_limit) <= TOLERANCE * down_limit,
            f'download rate {down_rate:.0f} B/s is not within 10% of the limit {down_limit} B/s')
    H.check(abs(up_rate - up_limit) <= TOLERANCE * up_limit,
            f'upload rate {up_rate:.0f} B/s is not within 10% of the limit {up_limit} B/s')


if __name__ == '__main__':
    H.run_test('rate_limit', body, H.common_args(__doc__).parse_args())
