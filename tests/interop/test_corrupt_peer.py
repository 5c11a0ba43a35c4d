#!/usr/bin/env python3
"""Interop test 3 (issue 3): a corrupt-data peer next to an honest seeder.

Two real libtorrent seeders on their own 127.0.0.x: an honest one (rate-limited, so the leecher
surely asks the other one too) and a liar whose copy of the data has every other piece corrupted
and which serves it anyway (it checked the intact data at start; the file is corrupted
under it once it seeds, and libtorrent never rehashes a verified piece). The leecher
(tessera) is given both with --peer. The download must complete with files identical to the
original, tessera must log the hash failures and ban the liar (never the honest seeder), and
the liar's own log (this file re-run as `--corrupt-seeder-child`, which prints libtorrent's peer
connect/disconnect alerts) must show that tessera's connection was closed and never came back.
test_smart_ban.py covers a liar that only slips single blocks into pieces of the honest seeder.
"""
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

PIECE = 32 * H.KIB
TOTAL = 4 * H.MIB + 4321        # 129 pieces, the last one short
HONEST_LIMIT = 512 * H.KIB      # bytes/s: about 8 s for the whole payload from the honest seeder
TIMEOUT = 90                    # the download, seconds


# ----------------------------------------------------------------------------------------------
# child: the lying libtorrent seeder

def corrupt_seeder_child(argv):
    """A libtorrent seeder (same settings as peers/lt_seed.py) that checks its data at start,
    printing `lt_liar: connect <ip:port> at <unix time>` / `lt_liar: disconnect <ip:port> at
    <unix time> <reason>` per peer
    and `lt_liar: uploaded <bytes> peers <n>` twice a second."""
    import argparse
    import signal
    sys.path.insert(0, H.PEERS_DIR)
    import lt_seed  # noqa: E402
    from lt_alerts import AlertWaiter  # noqa: E402
    lt = H.lt
    ap = argparse.ArgumentParser()
    ap.add_argument('--torrent', required=True)
    ap.add_argument('--save-path', required=True)
    ap.add_argument('--ip', required=True)
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--timeout', type=float, default=300)
    a = ap.parse_args(argv)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    s = lt_seed.settings_for(a.ip, a.port, 0)
    s['alert_mask'] = int(s['alert_mask'] | lt.alert.category_t.connect_notification
                          | lt.alert.category_t.peer_notification)
    ses = lt.session(s)
    waiter = AlertWaiter(ses)
    atp = lt.add_torrent_params()
    atp.ti = lt.torrent_info(a.torrent)
    atp.save_path = a.save_path
    atp.flags &= ~lt.torrent_flags.auto_managed
    atp.flags &= ~lt.torrent_flags.paused
    # No seed_mode: libtorrent 2.0 hashes each piece the first time a peer asks for it in
    # seed_mode, finds the corruption, leaves seed mode and rechecks (it then serves nothing).
    # It checks the data (still intact) here instead; the test corrupts the file afterwards, and
    # libtorrent, which reads through mmap and never rehashes a verified piece, serves the lies.
    h = ses.add_torrent(atp)
    print(f'lt_liar: listening {a.ip}:{a.port}', flush=True)
    deadline = time.monotonic() + a.timeout
    next_stats = 0.0
    while not stop and time.monotonic() < deadline:
        for al in ses.pop_alerts():
            if isinstance(al, lt.peer_connect_alert):
                print(f'lt_liar: connect {al.endpoint[0]}:{al.endpoint[1]} at {time.time():.3f}',
                      flush=True)
            elif isinstance(al, lt.peer_disconnected_alert):
                print(f'lt_liar: disconnect {al.endpoint[0]}:{al.endpoint[1]} at {time.time():.3f} '
                      f'{al.message()}', flush=True)
            elif isinstance(al, (lt.torrent_error_alert, lt.file_error_alert, lt.hash_failed_alert,
                                 lt.listen_failed_alert, lt.torrent_checked_alert)):
                print(f'lt_liar: alert {al.what()}: {al.message()}', flush=True)
        now = time.monotonic()
        if now >= next_stats:
            st = h.status()
            print(f'lt_liar: uploaded {st.total_payload_upload} peers {st.num_peers} '
                  f'seeding {int(st.is_seeding)}', flush=True)
            next_stats = now + 0.5
        waiter.wait(0.1)
    st = h.status()
    print(f'lt_liar: uploaded {st.total_payload_upload} peers {st.num_peers}', flush=True)
    print('lt_liar: exiting', flush=True)


# ----------------------------------------------------------------------------------------------
# the test

def body(h, args):
    src_parent = h.mkdir('seed')
    src = os.path.join(src_parent, 'payload.bin')
    H.make_payload(src_parent, [('payload.bin', TOTAL)], seed=31)
    t = H.make_torrent(src, h.path('payload.torrent'), [], PIECE)
    liar_parent = h.path('liar')
    os.makedirs(liar_parent)
    shutil.copy(src, os.path.join(liar_parent, 'payload.bin'))

    honest = H.start_lt_seed(h, t, src_parent, upload_limit=HONEST_LIMIT, name='lt_honest')
    liar_ip = h.next_ip()
    liar_port = h.free_port(liar_ip)
    liar = h.spawn('lt_liar', [H.PYTHON, '-u', os.path.abspath(__file__), '--corrupt-seeder-child',
                               '--torrent', t.path, '--save-path', liar_parent, '--ip', liar_ip,
                               '--port', str(liar_port)], ip=liar_ip, port=liar_port)
    honest.wait_for(r'lt_seed: seeding', 30)
    liar.wait_for(r'lt_liar: uploaded \d+ peers \d+ seeding 1', 30)
    bad = corrupt_copy_file(t, os.path.join(liar_parent, 'payload.bin'))
    H.check(H.verified_pieces(t, liar_parent) == t.num_pieces - len(bad), 'corruption did not take')
    H.log(f'{t.num_pieces} pieces of {PIECE} bytes; the seeding liar now has {len(bad)} corrupt pieces')

    out = h.path('out')
    peers = [f'{liar_ip}:{liar_port}', f'{honest.ip}:{honest.port}']
    if args.leecher == 'tessera':
        leech = H.start_tessera_download(h, args.tessera, t, out, peers=peers, log_level='info')
    else:
        leech = H.start_leecher(h, args.leecher, t, out, timeout=TIMEOUT, peers=peers)
    rc = leech.wait(TIMEOUT)
    H.check(rc is not None, f'{leech.name} did not finish within {TIMEOUT} s')
    H.check(rc == 0, f'{leech.name} exited with code {rc}')
    secs = time.monotonic() - leech.started
    exit_wall = time.time()
    n = H.compare_trees(src_parent, out)
    H.log(f'{n} file(s) identical after {secs:.1f} s')

    time.sleep(0.6)  # one more stats line from each seeder
    lied = int(liar.last_match(r'lt_liar: uploaded (\d+)').group(1))
    honest_up = H.lt_seed_uploaded(honest)
    H.log(f'liar uploaded {lied} bytes, honest seeder {honest_up} bytes')
    # One block can be enough now: the smart ban bans the liar on its first proven bad block
    # (before, three failed pieces were needed). The hash failures are checked below.
    H.check(lied >= 16 * H.KIB, f'the liar served only {lied} bytes: the test proves nothing '
            '(tessera never fetched a block from it)')

    if args.leecher != 'tessera':
        return
    text = leech.text()
    fails = [l for l in text.splitlines() if 'failed the hash check' in l]
    bans = [l for l in text.splitlines() if 'banning' in l and liar_ip in l]
    H.log(f'tessera logged {len(fails)} hash failure(s), {len(bans)} ban line(s)')
    H.check(fails, 'tessera logged no hash failure although the liar served corrupt pieces')
    H.check(bans, f'tessera did not log a ban of the liar {liar_ip}')
    H.check(not any('banning' in l and honest.ip in l for l in text.splitlines()),
            f'tessera banned the honest seeder {honest.ip}')
    # The liar's side: tessera (on 127.0.0.1) connected, was disconnected, and never came back
    # after the ban.
    events = [l for l in liar.lines() if l.startswith(('lt_liar: connect 127.0.0.1',
                                                       'lt_liar: disconnect 127.0.0.1'))]
    H.log('liar saw: ' + '; '.join(events[-6:]))
    conns = [l for l in events if ' connect ' in l]
    discs = [l for l in events if ' disconnect ' in l]
    H.check(conns, 'the liar never saw a connection from tessera')
    H.check(len(discs) >= len(conns), 'a connection from tessera to the liar was still open '
            f'after the download ({len(conns)} connect(s), {len(discs)} disconnect(s))')
    last_disc = float(discs[-1].split(' at ')[1].split()[0])
    H.log(f'tessera left the liar {exit_wall - last_disc:.1f} s before it exited')
    H.check(last_disc < exit_wall - 1.0, 'tessera only dropped the liar when it exited, not at the ban')
    got = H.leecher_downloaded(leech)
    H.check(got is not None, 'tessera printed no `complete ... downloaded N bytes` line')
    H.log(f'tessera downloaded {got} bytes for {t.total_size}: {got - t.total_size} wasted')
    H.check(got - t.total_size >= PIECE * len(fails) // 2,
            f'tessera reports {got} bytes downloaded for {t.total_size}: the {len(fails)} failed '
            'pieces were not counted (or not fetched again)')
    H.check(len(conns) == 1, f'tessera connected {len(conns)} times to the liar: it should have '
            'been banned after the first connection, never reconnected')


def corrupt_copy_file(t, path):
    """Flip 64 bytes in the middle of every odd piece of the single file `path`."""
    bad = []
    with open(path, 'r+b') as f:
        for p in range(1, t.num_pieces, 2):
            size = min(t.piece_length, t.total_size - p * t.piece_length)
            off = p * t.piece_length + size // 2
            f.seek(off)
            b = f.read(64)
            f.seek(off)
            f.write(bytes(x ^ 0xA5 for x in b))
            bad.append(p)
    return bad


if __name__ == '__main__':
    if len(sys.argv) > 1 and sys.argv[1] == '--corrupt-seeder-child':
        corrupt_seeder_child(sys.argv[2:])
        sys.exit(0)
    a = H.common_args(__doc__).parse_args()
    H.run_test('test_corrupt_peer', body, a)
