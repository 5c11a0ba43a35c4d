#!/usr/bin/env python3
"""Hostile trackers (issue 9, items 3 and 6): tessera downloads from an honest libtorrent seeder
(rate-limited, so the download lasts several seconds) while the torrent's trackers misbehave
(peers/hostile_tracker.py, each listener on its own 127.0.0.x):

  tier 0  `chain`  a redirect chain without end, bouncing between two hosts (127.0.0.a, .b);
          `https`  an https tracker (certificate trusted through SSL_CERT_FILE) whose every
                   answer is a redirect to plain http (`sink`): a downgrade.
  tier 1  `flood`  every announce answered with just under 2 MiB of compact peers (tessera's body
                   limit): 349,520 distinct addresses from 127.100.0.0 up, all on a port nobody
                   listens on, and the honest seeder at position SEEDER_INDEX.

Everything stays on loopback: the flood addresses are inside 127.0.0.0/8, tessera runs with
--interface on its own 127.0.0.x and --no-dht --no-lsd. The seeder gets the same torrent without
trackers (same info-hash), so only tessera talks to the hostile trackers.

Checked: (a) tessera completes within TIMEOUT s and exits 0, files identical; (b) its peak RSS
(`/usr/bin/time -v`, "Maximum resident set size"; VmHWM read while it runs when it has to be
killed) stays under RSS_BOUND_MIB (x3 for an ASan build); (c) the flood tracker
answered tessera at least once (the flood was really parsed); (d) no announce followed the chain
for more than 3 redirects (hop numbers 0..3: four requests) and the chain was followed at all;
(e) the https tracker was reached and the plain-http sink never was.

Why SEEDER_INDEX < 200: tessera takes the first 200 peers of a reply (libtorrent's num_want;
docs/hardening.md), as an honest tracker sends no more than it was asked for (tessera asks for 80).
tessera dials at most 20 new addresses a second, so the 150 dead ones ahead of the seeder cost it
about 7 s: the download takes ~14 s here instead of ~6.

Before the fix (quadratic de-duplication of the reply, uncapped peer list) the network thread
spends minutes in the first flood reply: the download does not complete within TIMEOUT.
"""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

PIECE = 64 * H.KIB
TOTAL = 4 * H.MIB + 4321
HONEST_LIMIT = 768 * H.KIB  # about 5.5 s for the payload
SEEDER_INDEX = 150
TIMEOUT = 90
# Measured: 18.5 MiB with the fix (a 2 MiB reply adds a few MiB while it is read and decoded);
# 349,520 entries in the peer list (about 100 bytes each) alone would be 35 MiB more.
RSS_BOUND_MIB = 48
MAX_REDIRECTS = 3


def make_cert(h, ip):
    """A self-signed certificate for IP:`ip` (and DNS:localhost); returns (cert, key) paths."""
    cert, key = h.path('tracker-cert.pem'), h.path('tracker-key.pem')
    r = subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
                        '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost',
                        '-addext', f'subjectAltName=IP:{ip},DNS:localhost'],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    H.check(r.returncode == 0, f'openssl req failed: {r.stdout.decode(errors="replace")[-500:]}')
    return cert, key


def wait_sampling_hwm(p, timeout):
    """Waits up to `timeout` s for `p` (/usr/bin/time running tessera) to exit, reading tessera's
    VmHWM (peak RSS, KiB) from /proc every 0.2 s: a process killed at the timeout still has a
    figure. Returns (exit code or None, last VmHWM or None)."""
    hwm = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rc = p.returncode()
        if rc is not None:
            return rc, hwm
        try:
            with open(f'/proc/{p.pid}/task/{p.pid}/children') as f:
                kids = f.read().split()
            for kid in kids:
                with open(f'/proc/{kid}/status') as f:
                    m = re.search(r'^VmHWM:\s+(\d+) kB', f.read(), re.M)
                if m:
                    hwm = max(hwm or 0, int(m.group(1)))
        except OSError:
            pass
        time.sleep(0.2)
    return p.returncode(), hwm


def body(h, args):
    H.check(args.leecher == 'tessera', 'this test measures tessera: --leecher tessera only')
    src_parent = h.mkdir('seed')
    H.make_payload(src_parent, [('payload.bin', TOTAL)], seed=91)
    data = os.path.join(src_parent, 'payload.bin')

    # Addresses and ports first: the .torrent names the trackers.
    listeners = {}
    for mode in ('chain_a', 'chain_b', 'https', 'sink', 'flood'):
        ip = h.next_ip()
        listeners[mode] = (ip, h.free_port(ip))
    dead_port = h.free_port('127.0.0.1')  # reserved by the harness and bound by nobody
    url = {m: f'http://{ip}:{port}/announce' for m, (ip, port) in listeners.items()}
    url['https'] = url['https'].replace('http://', 'https://')

    t = H.make_torrent(data, h.path('payload.torrent'), [[url['chain_a'], url['https']], [url['flood']]], PIECE)
    t_seed = H.make_torrent(data, h.path('payload-seed.torrent'), [], PIECE)
    H.check(t.info_hash == t_seed.info_hash, 'the two .torrent files differ in info-hash')

    honest = H.start_lt_seed(h, t_seed, src_parent, upload_limit=HONEST_LIMIT, name='lt_honest')
    honest.wait_for(r'lt_seed: listening', 30)

    cert, key = make_cert(h, listeners['https'][0])
    argv = [H.PYTHON, '-u', os.path.join(H.PEERS_DIR, 'hostile_tracker.py'),
            '--seeder', f'{honest.ip}:{honest.port}', '--seeder-index', str(SEEDER_INDEX),
            '--flood-port', str(dead_port), '--tls-cert', cert, '--tls-key', key,
            '--timeout', str(TIMEOUT + 60)]
    for mode, (ip, port) in listeners.items():
        argv += ['--listen', f'{ip}:{port}:{mode.split("_")[0]}']
    trackers = h.spawn('hostile_tracker', argv)
    deadline = time.monotonic() + 30
    while sum(1 for line in trackers.lines() if ' listening ' in line) < len(listeners):
        H.check(trackers.alive(), f'hostile_tracker exited: {trackers.tail(5)}')
        H.check(time.monotonic() < deadline, 'hostile_tracker did not start listening')
        time.sleep(0.1)
    H.log(trackers.last_match(r'tracker flood body .*').group(0))

    ip = h.next_ip()
    port = h.free_port(ip)
    out = h.path('out')
    os.makedirs(out, exist_ok=True)
    rss_file = h.path('tessera-time.txt')
    env = dict(os.environ, SSL_CERT_FILE=cert)
    leech = h.spawn('tessera_leech',
                    ['/usr/bin/time', '-v', '-o', rss_file, args.tessera, '--log-level', 'info', 'download', t.path,
                     '-o', out, '--interface', ip, '--port', str(port), '--no-dht', '--no-lsd']
                    + H.tessera_state_dir_args(h, out), env=env, ip=ip, port=port)
    leech.kind = 'tessera'
    rc, hwm_kib = wait_sampling_hwm(leech, TIMEOUT)
    secs = time.monotonic() - leech.started
    problems = []
    if rc is None:
        problems.append(f'(a) tessera did not finish within {TIMEOUT} s (its network thread busy with the '
                        f'flood?); last lines:\n' + leech.tail(10))
        leech.stop()
    elif rc != 0:
        problems.append(f'(a) tessera exited with code {rc}; last lines:\n' + leech.tail(15))
    else:
        try:
            n = H.compare_trees(src_parent, out)
            H.log(f'(a) {n} file identical, downloaded in {secs:.1f} s')
        except H.TestFailure as e:
            problems.append(f'(a) {e}')

    # (b) peak RSS: /usr/bin/time's figure when tessera exited by itself, else the last VmHWM read.
    rss_kib = None
    try:
        with open(rss_file) as f:
            m = re.search(r'Maximum resident set size \(kbytes\): (\d+)', f.read())
            rss_kib = int(m.group(1)) if m else None
    except OSError:
        pass
    if rss_kib is None:
        rss_kib = hwm_kib
    bound = H.rss_bound_mib(args.tessera, RSS_BOUND_MIB)  # MiB; math.inf for a sanitized build
    if rss_kib is None:
        problems.append('(b) no peak RSS: neither /usr/bin/time nor /proc gave one')
    else:
        H.log(f'(b) tessera peak RSS {rss_kib / 1024:.1f} MiB (bound {bound} MiB)')
        if rss_kib > bound * 1024:
            problems.append(f'(b) peak RSS {rss_kib / 1024:.1f} MiB > {bound} MiB')

    # (c)-(e) from the trackers' log (requests from tessera's address only).
    reqs = [line for line in trackers.lines() if line.startswith('tracker ') and line.endswith(f'from {ip}')]
    floods = [r for r in reqs if r.startswith('tracker flood ')]
    chains = [r for r in reqs if r.startswith('tracker chain ')]
    tls = [r for r in reqs if r.startswith('tracker https ')]
    sinks = [r for r in reqs if r.startswith('tracker sink ')]
    hops = [int(m.group(1)) if m else 0 for m in (re.search(r'/hop(\d+)', r) for r in chains)]
    H.log(f'requests from tessera: flood {len(floods)}, chain {len(chains)} (hops {sorted(set(hops))}), '
          f'https {len(tls)}, sink {len(sinks)}')
    if not floods:
        problems.append('(c) tessera never announced to the flood tracker (scenario not exercised)')
    if not chains:
        problems.append('(d) tessera never announced to the redirect chain (scenario not exercised)')
    elif max(hops) > MAX_REDIRECTS:
        problems.append(f'(d) tessera followed the chain to hop {max(hops)} (> {MAX_REDIRECTS} redirects)')
    elif MAX_REDIRECTS not in hops:
        problems.append(f'(d) tessera never followed the chain to hop {MAX_REDIRECTS}: redirects not followed?')
    if not tls:
        problems.append('(e) tessera never reached the https tracker (certificate not trusted?)')
    if sinks:
        problems.append(f'(e) tessera followed the https -> http downgrade {len(sinks)} time(s)')
    H.check(not problems, f'{len(problems)} problem(s):\n  ' + '\n  '.join(problems))
    H.log(f'download {secs:.1f} s beside a 2 MiB peer flood and a redirect chain')


if __name__ == '__main__':
    a = H.common_args(__doc__).parse_args()
    H.run_test('test_hostile_tracker', body, a)
