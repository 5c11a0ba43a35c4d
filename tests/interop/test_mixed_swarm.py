#!/usr/bin/env python3
"""Issue 3, interop test 2: a mixed swarm. One libtorrent seeder, rate limited so that it alone
would need ~26 s per copy, and three leechers (tessera, aria2c, Transmission) on one multi-file
torrent (nested folders, total not a multiple of the piece size) found through opentracker over
UDP. All three must finish within the deadline with every file identical to the original, and
tessera must have uploaded a measurable share to the others: at least 5% of the payload by its
own final `uploaded <bytes> bytes` line, and at least one other client must have seen data
arrive from tessera's address (Transmission's and aria2's per-peer rates, sampled over RPC).

Order of start (loopback facts, see README): Transmission 3.00 ignores 127.0.0.0/8 peers learned
from trackers, so it only gets incoming connections; it starts first and must be on the tracker
before the others announce, so that all of them (the seeder included) learn it and dial it.
Then the seeder, then tessera and aria2c together. opentracker's re-announce interval is far
longer than the test, so a client learns only the peers that announced before its first
announce; later ones have to dial it. tessera keeps seeding for TESSERA_SEED_TIME s after it
completes (`--seed --seed-time`), aria2c for ARIA2_SEED_MINUTES, so the slower ones can still
fetch from them. uTP is off everywhere.

tessera runs with `--interface` on its own 127.0.0.x (or `--tessera-ip`): its listen socket,
its outgoing peer connections and its tracker announces all use that address, so the tracker
lists it there and the others can dial it. The test prints the tracker's peer list and the
addresses the other clients saw tessera's connections come from."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

PIECE = 64 * H.KIB
TOTAL = 16 * H.MIB + 7777
SEED_LIMIT = 640 * H.KIB          # one copy alone: ~26 s; three copies: ~78 s
TESSERA_SEED_TIME = 10            # s of seeding after tessera completes
ARIA2_SEED_MINUTES = 0.2          # 12 s of seeding after aria2c completes
DEADLINE = 75                     # s from the leechers' start until all three must be complete
MIN_SHARE = 0.05                  # of the payload, uploaded by tessera in total


def body(h, args):
    t_start = time.monotonic()
    if not (args.tessera and os.access(args.tessera, os.X_OK)):
        raise H.TestFailure(f'tessera binary not found: {args.tessera!r}')
    src = h.path('seed', 'payload')
    layout = H.multi_file_layout(TOTAL, PIECE)
    H.make_payload(src, layout, seed=42)
    H.check(TOTAL % PIECE != 0 and len(layout) >= 3, 'bad layout')
    port = h.free_port('127.0.0.1')
    t = H.make_torrent(src, h.path('payload.torrent'), [f'udp://127.0.0.1:{port}/announce'], PIECE)
    tracker = H.start_opentracker(h, [t.info_hash], port)

    # 1. Transmission, on the tracker before anyone else announces.
    out_tr = h.mkdir('out-transmission')
    tr = H.Transmission(h, out_tr, name='transmission_leech')
    tr.add(t)
    deadline = time.monotonic() + 20
    while tracker.scrape(t.info_hash)[1] < 1:
        H.check(time.monotonic() < deadline, 'Transmission did not announce to the tracker in 20 s')
        time.sleep(0.2)

    # 2. The rate-limited libtorrent seeder (learns Transmission from the tracker and dials it).
    seeder = H.start_lt_seed(h, t, h.path('seed'), upload_limit=SEED_LIMIT)
    seeder.wait_for(r'lt_seed: seeding', 30)
    tracker.wait_seeders(t.info_hash, 1, 20)

    # 3. tessera and aria2c together.
    out_ts = h.path('out-tessera')
    os.makedirs(out_ts)
    ts_ip = args.tessera_ip or h.next_ip()
    ts_port = h.free_port(ts_ip)
    ts = h.spawn('tessera_leech', [args.tessera, 'download', t.path, '-o', out_ts,
                                   '--port', str(ts_port), '--interface', ts_ip,
                                   '--seed', '--seed-time', str(TESSERA_SEED_TIME)],
                 cwd=h.mkdir('tessera-cwd'), ip=ts_ip, port=ts_port)
    out_ar = h.path('out-aria2')
    ar = H.start_aria2_leech_rpc(h, t, out_ar, seed_minutes=ARIA2_SEED_MINUTES, timeout=DEADLINE)
    t0 = time.monotonic()
    ts_addrs = {ts_ip}

    done = {}                  # client -> seconds from t0 to completion
    from_ts = {'transmission': 0.0, 'aria2': 0.0}   # bytes received from tessera (rate x dt)
    seen_tr, seen_ar = set(), set()                  # 'ip:port' of peers each one listed
    tracker_list = None
    last = time.monotonic()
    samples = open(h.path('peer-samples.txt'), 'w', buffering=1)  # kept with --keep
    while len(done) < 3:
        now = time.monotonic()
        dt, last = now - last, now
        el = now - t0
        if el > DEADLINE:
            break
        if tracker_list is None and el > 5:
            tracker_list = H.tracker_peer_list(tracker, t.info_hash)
            H.log(f'tracker peer list at {el:.1f} s: {sorted(tracker_list)}')
        if 'tessera' not in done:
            if ts.last_match(r'tessera: complete '):
                done['tessera'] = el
                H.log(f'tessera complete after {el:.1f} s')
            elif not ts.alive():
                raise H.TestFailure(f'tessera exited with code {ts.returncode()} before completing')
        try:
            st = tr.status(('percentDone', 'peers', 'error', 'errorString'))
            samples.write(f'{el:.2f} transmission {st["peers"]}\n')
            for pe in st['peers']:
                seen_tr.add(f'{pe["address"]}:{pe["port"]}')
                if pe['address'] in ts_addrs:
                    from_ts['transmission'] += pe.get('rateToClient', 0) * dt
            if 'transmission' not in done and st['percentDone'] == 1:
                done['transmission'] = el
                H.log(f'transmission complete after {el:.1f} s')
        except OSError:
            pass
        if 'aria2' not in done:
            try:
                peers_ar = H.aria2_peers(ar)
                samples.write(f'{el:.2f} aria2 {peers_ar}\n')
                for pe in peers_ar:
                    seen_ar.add(f'{pe["ip"]}:{pe["port"]}')
                    if pe['ip'] in ts_addrs:
                        from_ts['aria2'] += int(pe.get('downloadSpeed', 0)) * dt
                sta = H.aria2_status(ar)
                if sta and int(sta[0]['completedLength']) == t.total_size:
                    done['aria2'] = el
                    H.log(f'aria2 complete after {el:.1f} s')
            except OSError:
                if not ar.alive():
                    raise H.TestFailure(f'aria2c exited with code {ar.returncode()} before completing')
        time.sleep(0.5)

    def progress_summary():
        parts = [f'tessera {H.leecher_progress(ts, t, out_ts) * 100:.0f}%']
        try:
            parts.append(f'transmission {tr.status(("percentDone",))["percentDone"] * 100:.0f}%')
        except OSError:
            parts.append('transmission ?')
        try:
            sta = H.aria2_status(ar)
            parts.append(f'aria2 {int(sta[0]["completedLength"]) * 100 // t.total_size}%' if sta else 'aria2 ?')
        except OSError:
            parts.append('aria2 ?')
        return ', '.join(parts)

    H.check(len(done) == 3, f'not all leechers complete after {DEADLINE} s: done {done}; '
                            f'progress {progress_summary()}; seeder uploaded {H.lt_seed_uploaded(seeder)}')

    # tessera seeds TESSERA_SEED_TIME s more, then prints its final line and exits 0.
    rc = ts.wait(TESSERA_SEED_TIME + 20)
    H.check(rc is not None, f'tessera still running {TESSERA_SEED_TIME + 20} s after its '
                            f'--seed-time {TESSERA_SEED_TIME} should have ended (complete at '
                            f'{done["tessera"]:.1f} s)')
    H.check(rc == 0, f'tessera exited with code {rc}')
    m = ts.last_match(r'tessera: seeded .*uploaded (\d+) bytes')
    H.check(m is not None, 'tessera printed no `tessera: seeded ... uploaded <bytes> bytes` line')
    up_ts = int(m.group(1))
    mc = ts.last_match(r'tessera: complete .*uploaded (\d+) bytes')
    up_ts_at_complete = int(mc.group(1)) if mc else -1

    # Byte-for-byte comparison of all three copies (Transmission renames *.part on completion).
    for name, out in (('tessera', out_ts), ('aria2', out_ar), ('transmission', out_tr)):
        deadline = time.monotonic() + 5
        while True:
            try:
                n = H.compare_trees(src, os.path.join(out, t.name))
                break
            except H.TestFailure as e:
                if time.monotonic() > deadline:
                    raise H.TestFailure(f'{name}: {e}')
                time.sleep(0.3)
        H.log(f'{name}: {n} files identical (complete at {done[name]:.1f} s)')

    up_seed = H.lt_seed_uploaded(seeder)
    try:
        up_ar = H.aria2_uploaded(ar)
    except OSError:
        up_ar = -1
    try:
        up_tr = tr.status(('uploadedEver',))['uploadedEver']
    except OSError:
        up_tr = -1
    share = up_ts / t.total_size
    H.log(f'uploaded: tessera {up_ts} bytes ({share * 100:.1f}% of {t.total_size}; '
          f'{up_ts_at_complete} at its completion), seeder {up_seed}, aria2 {up_ar}, '
          f'transmission {up_tr}')
    # Rough: the clients' per-peer rates are smoothed and aria2's spike at times; only "> 0" is checked.
    H.log(f'received from tessera (per-peer rates x sample interval, rough): transmission '
          f'~{from_ts["transmission"]:.0f}, aria2 ~{from_ts["aria2"]:.0f} bytes')
    H.log(f'tessera on {ts_ip}:{ts_port}; transmission saw {sorted(seen_tr)}; aria2 saw {sorted(seen_ar)}')
    H.log(f'whole test {time.monotonic() - t_start:.1f} s; leechers done {done}')

    H.check(share >= MIN_SHARE,
            f'tessera uploaded {up_ts} bytes = {share * 100:.1f}% of the payload, '
            f'less than {MIN_SHARE * 100:.0f}% (seeder uploaded {up_seed}, aria2 {up_ar}, '
            f'transmission {up_tr}; transmission saw peers {sorted(seen_tr)}, aria2 saw {sorted(seen_ar)})')
    H.check(from_ts['transmission'] + from_ts['aria2'] > 0,
            f'tessera reports {up_ts} bytes uploaded but neither Transmission nor aria2 ever showed '
            f'a download rate from {sorted(ts_addrs)}')


if __name__ == '__main__':
    ap = H.common_args(__doc__)
    ap.add_argument('--tessera-ip', default='',
                    help='address for tessera --interface (default: its own 127.0.0.x)')
    H.run_test('test_mixed_swarm', body, ap.parse_args())
