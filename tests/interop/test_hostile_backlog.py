#!/usr/bin/env python3
"""A peer that asks but never reads (issue 9): tessera downloads from an honest libtorrent seeder
(rate-limited, so the download lasts several seconds) while a hostile peer
(peers/hostile_peer.py, mode backlog_flood) sets a 4 KiB receive buffer before listening, so its
TCP window stays shut, never reads after tessera's extended handshake, and streams ut_metadata
requests for piece 0 (each worth a 16 KiB answer) and block requests as fast as it can. It never
says `interested`, so tessera keeps it choked and its block requests are discarded: the load is
what tessera queues in answer to the metadata requests.

Checked: (a) the download completes within TIMEOUT, files identical, tessera exits 0; (b) the hostile peer
streamed at least FLOOD_MIN bytes of requests (the scenario ran); (c) tessera closed every
connection to it while still downloading (not at exit), for a send-side reason (its send backlog
over the hard limit, or a write that made no progress); (d) tessera's peak RSS (/usr/bin/time
-v, "Maximum resident set size", and VmHWM sampled every 0.2 s, which stops a runaway tessera
at the bound) stays under RSS_BOUND_MIB. Before the backlog limit, tessera
answered every request into an unbounded queue: the hostile peer was never closed and the RSS
grew with every request it sent. Exits 77 (ctest: skipped) without /usr/bin/time.
"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
from test_hostile import start_hostile, parse_hostile, tessera_close_reasons  # noqa: E402

PIECE = 16 * H.KIB
TOTAL = 16 * H.MIB                # 1,024 pieces: a 20 KiB info dictionary, two metadata pieces
HONEST_LIMIT = 2 * H.MIB          # about 8 s for the payload
FLOOD_MIN = 1 * H.MIB             # bytes of requests the hostile peer must have sent
# Measured here: with the backlog limits tessera peaks at about 15 MiB in this test (the hostile
# connection adds at most its 2 MiB send backlog and a 1 MiB receive buffer); without them it
# passed 64 MiB within 2 s of the flood and kept growing with every request. 64 MiB leaves
# room for allocator and machine differences and stays far below the unbounded case.
RSS_BOUND_MIB = 64
SEND_SIDE_REASONS = ('send backlog over its limit', 'has not read anything for too long')
TIMEOUT = 120
TIME_BIN = '/usr/bin/time'


def time_peak_rss_kib(time_log):
    """Peak RSS from /usr/bin/time -v (written when tessera exits), or None."""
    try:
        with open(time_log) as f:
            m = re.search(r'Maximum resident set size \(kbytes\): (\d+)', f.read())
    except OSError:
        return None
    return int(m.group(1)) if m else None


def child_pid(pid):
    """The first child of `pid` (tessera under /usr/bin/time), or None."""
    try:
        with open(f'/proc/{pid}/task/{pid}/children') as f:
            kids = f.read().split()
    except OSError:
        return None
    return int(kids[0]) if kids else None


def vm_hwm_kib(pid):
    """The peak RSS so far (VmHWM) of `pid`, or None once it is gone."""
    try:
        with open(f'/proc/{pid}/status') as f:
            m = re.search(r'VmHWM:\s+(\d+) kB', f.read())
    except OSError:
        return None
    return int(m.group(1)) if m else None


def body(h, args):
    bound = H.rss_bound_mib(args.tessera, RSS_BOUND_MIB)  # MiB; math.inf for a sanitized build
    H.check(args.leecher == 'tessera', 'this test measures tessera itself: --leecher tessera only')
    src_parent = h.mkdir('seed')
    H.make_payload(src_parent, [('payload.bin', TOTAL)], seed=91, fast=True)
    data = os.path.join(src_parent, 'payload.bin')
    t = H.make_torrent(data, h.path('payload.torrent'), [], PIECE)

    honest = H.start_lt_seed(h, t, src_parent, upload_limit=HONEST_LIMIT, name='lt_honest')
    hostile, addrs = start_hostile(h, t, data, ['backlog_flood'], timeout=TIMEOUT + 60)
    honest.wait_for(r'lt_seed: seeding', 30)

    out = h.path('out')
    os.makedirs(out)
    cwd = h.mkdir('tessera_leech-cwd')
    time_log = h.path('tessera.time')
    port = h.free_port('127.0.0.1')
    argv = [TIME_BIN, '-v', '-o', time_log, os.path.abspath(args.tessera), '--log-level', 'debug',
            'download', t.path, '-o', out, '--port', str(port), '--no-lsd',
            '--peer', addrs['backlog_flood'], '--peer', f'{honest.ip}:{honest.port}']
    argv += H.tessera_state_dir_args(h, out)
    leech = h.spawn('tessera_leech', argv, cwd=cwd, ip='127.0.0.1', port=port)
    # VmHWM is sampled while tessera runs, so a runaway is stopped at the bound instead of
    # growing until the timeout; /usr/bin/time gives the exact peak of a normal exit.
    polled_kib = 0
    deadline = time.monotonic() + TIMEOUT
    while leech.alive() and time.monotonic() < deadline:
        pid = child_pid(leech.pid)
        hwm = vm_hwm_kib(pid) if pid else None
        polled_kib = max(polled_kib, hwm or 0)
        if polled_kib >= bound * 1024:
            break
        time.sleep(0.2)
    rc = leech.returncode()
    secs = time.monotonic() - leech.started
    exit_wall = time.time()
    if rc is None:
        leech.stop()
    time.sleep(0.3)  # let the hostile peer notice tessera's exit
    hostile.stop()

    problems = []
    if rc is None:
        problems.append(f'(a) tessera still running after {secs:.0f} s (stopped: '
                        + ('peak RSS over the bound)' if polled_kib >= bound * 1024
                           else 'timeout)') + f'; last lines:\n' + leech.tail(5))
    elif rc != 0:
        problems.append(f'(a) tessera exited with code {rc}; last lines:\n' + leech.tail(15))
    else:
        try:
            H.compare_trees(src_parent, out)
        except H.TestFailure as e:
            problems.append(f'(a) {e}')

    conns = parse_hostile(hostile).get('backlog_flood', [])
    totals = [int(m.group(1)) for l in hostile.lines()
              for m in [re.search(r'flood total (\d+) bytes', l)] if m]
    reasons = tessera_close_reasons(leech, addrs['backlog_flood'])
    if not conns:
        problems.append('(b) tessera never connected to the hostile peer')
    elif not any(c.misbehaved for c in conns):
        problems.append('(b) the hostile peer never started its flood: '
                        + '; '.join(c.ended or 'no reason' for c in conns))
    elif not totals or max(totals) < FLOOD_MIN:
        problems.append(f'(b) the hostile peer sent only {max(totals or [0])} bytes of requests '
                        f'(< {FLOOD_MIN}): scenario not exercised')
    for c in conns:
        if not c.misbehaved:
            continue
        if c.closed is None:
            problems.append(f'(c) hostile conn {c.n} was never closed by tessera')
            continue
        _how, since, _after_accept, at = c.closed
        H.log(f'hostile conn {c.n}: closed by tessera {since:.2f} s after its flood began')
        if at > exit_wall - 1.0:
            problems.append(f'(c) hostile conn {c.n} was closed only when tessera exited '
                            f'or was stopped')
    if conns and not any(any(r in x for r in SEND_SIDE_REASONS) for x in reasons):
        problems.append(f'(c) tessera gave no send-side reason for closing the hostile peer; it '
                        f'logged: {"; ".join(reasons) or "nothing"}')

    rss_mib = max(polled_kib, time_peak_rss_kib(time_log) or 0) / 1024
    H.log(f'tessera: ran {secs:.1f} s, peak RSS {rss_mib:.1f} MiB (bound {bound}), '
          f'hostile conns {len(conns)}, flood bytes {totals}, close reasons {sorted(set(reasons))}')
    if rss_mib >= bound:
        problems.append(f'(d) peak RSS {rss_mib:.1f} MiB >= {bound} MiB')
    H.check(not problems, f'{len(problems)} problem(s):\n  ' + '\n  '.join(problems))


if __name__ == '__main__':
    if not os.access(TIME_BIN, os.X_OK):
        print(f'SKIP test_hostile_backlog: {TIME_BIN} (GNU time, for the peak RSS) is missing',
              flush=True)
        sys.exit(77)  # ctest: skipped
    H.run_test('test_hostile_backlog', body, H.common_args(__doc__).parse_args())
