#!/usr/bin/env python3
"""`tessera create` against the reference creators (issue 12, test 4). For the same files, name and
piece size: a v1 torrent has the info-hash of Debian's mktorrent (32 KiB, 256 KiB, 4 MiB pieces;
also with --private and --source); v2 and hybrid torrents have the info-hashes of libtorrent 2.0's
create_torrent + set_piece_hashes, and the same `piece layers` (16 KiB, 256 KiB, 4 MiB pieces), for a folder (nested folders,
odd sizes, an empty file, a file of exactly 16 KiB, an executable file) and for a single file.
libtorrent then loads each tessera torrent (v1, v2, hybrid) with the data in place, rechecks it and
seeds it with every piece verified. A few MiB of data; no network."""
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
import libtorrent as lt  # noqa: E402  (harness re-runs us under /usr/bin/python3 when needed)

LAYOUT = [
    ('docs/readme.txt', 1007),
    ('docs/empty.txt', 0),
    ('data/a.bin', 1 * H.MIB + 333),
    ('data/sub/b.bin', 700 * H.KIB + 5),
    ('data/sub/deeper/c.bin', 2 * H.MIB + 12345),
    ('data/exact16k.bin', 16 * H.KIB),
    ('data-x/run.sh', 3000),          # 'data' < 'data-x' by component, not as whole paths
    ('data.txt', 77),
    ('.hidden', 10),
]


def info_hashes(torrent_bytes):
    info = lt.bencode(lt.bdecode(torrent_bytes)[b'info'])
    return hashlib.sha1(info).hexdigest(), hashlib.sha256(info).hexdigest()


def tessera_create(h, tessera, path, kind, piece, extra=(), name='t'):
    out = h.path(f'{name}.torrent')
    argv = [tessera, 'create', path, f'--{kind}', '--piece-size', piece, '--no-date', '-o', out, '--force', *extra]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    H.check(r.returncode == 0, f'{" ".join(argv)}: exit {r.returncode}: {r.stderr}')
    H.check('info-hash' in r.stdout and 'pieces:' in r.stdout, f'no summary: {r.stdout!r}')
    with open(out, 'rb') as f:
        return out, f.read()


def mktorrent(h, path, exponent, extra=()):
    out = h.path('mk.torrent')
    if os.path.exists(out):
        os.remove(out)
    subprocess.run(['mktorrent', '-l', str(exponent), '-d', '-a', 'http://127.0.0.1:6969/announce', '-o', out,
                    *extra, path], check=True, capture_output=True, timeout=120)
    with open(out, 'rb') as f:
        return f.read()


def libtorrent_create(path, piece, v2_only):
    fs = lt.file_storage()
    lt.add_files(fs, path)
    ct = lt.create_torrent(fs, piece, flags=lt.create_torrent.v2_only if v2_only else 0)
    lt.set_piece_hashes(ct, os.path.dirname(path))
    return lt.bencode(ct.generate())


def libtorrent_seeds(torrent_path, save_path, what):
    """libtorrent loads the torrent, rechecks the data in place and seeds it: every piece verified."""
    ses = lt.session({'listen_interfaces': '127.0.0.1:0', 'enable_dht': False, 'enable_lsd': False,
                      'enable_upnp': False, 'enable_natpmp': False, 'alert_mask': 0})
    try:
        ti = lt.torrent_info(torrent_path)
        atp = lt.add_torrent_params()
        atp.ti = ti
        atp.save_path = save_path
        handle = ses.add_torrent(atp)
        handle.force_recheck()
        deadline = time.monotonic() + 60
        while True:
            st = handle.status()
            if st.state == lt.torrent_status.seeding and st.num_pieces == ti.num_pieces() and all(st.pieces):
                break
            H.check(not st.errc.value(), f'{what}: libtorrent error {st.errc.message()}')
            H.check(time.monotonic() < deadline,
                    f'{what}: libtorrent not seeding after 60 s: state {st.state}, {st.num_pieces}/{ti.num_pieces()}')
            time.sleep(0.1)
        H.log(f'{what}: libtorrent seeds it, {ti.num_pieces()} pieces verified')
    finally:
        del ses


def body(h, args):
    tessera = args.tessera
    root = h.path('payload')
    H.make_payload(root, LAYOUT, seed=12)
    os.chmod(os.path.join(root, 'data-x/run.sh'), 0o755)
    single = h.path('single', 'movie.bin')
    H.make_payload(h.path('single'), [('movie.bin', 3 * H.MIB + 4321)], seed=13)

    # v1 against mktorrent (its -l takes 2^15 .. 2^28).
    for exponent, piece in ((15, '32K'), (18, '256K'), (22, '4M')):
        for path, what in ((root, 'folder'), (single, 'single file')):
            _, mine = tessera_create(h, tessera, path, 'v1', piece, ['-t', 'http://127.0.0.1:6969/announce'])
            theirs = mktorrent(h, path, exponent)
            H.check(info_hashes(mine)[0] == info_hashes(theirs)[0],
                    f'v1 {what} {piece}: tessera {info_hashes(mine)[0]} != mktorrent {info_hashes(theirs)[0]}')
            H.log(f'v1 {what} {piece}: info-hash {info_hashes(mine)[0]} = mktorrent')
    _, mine = tessera_create(h, tessera, root, 'v1', '256K', ['--private', '--source', 'TSR'])
    theirs = mktorrent(h, root, 18, ['-p', '-s', 'TSR'])
    H.check(info_hashes(mine)[0] == info_hashes(theirs)[0], 'v1 private + source: info-hash differs from mktorrent')
    H.log('v1 --private --source: = mktorrent -p -s')

    # v2 and hybrid against libtorrent.
    for piece, text in ((16 * H.KIB, '16K'), (256 * H.KIB, '256K'), (4 * H.MIB, '4M')):
        for path, what in ((root, 'folder'), (single, 'single file')):
            for kind in ('v2', 'hybrid'):
                _, mine = tessera_create(h, tessera, path, kind, text)
                theirs = libtorrent_create(path, piece, kind == 'v2')
                m, t = info_hashes(mine), info_hashes(theirs)
                if kind == 'v2':
                    H.check(m[1] == t[1], f'v2 {what} {text}: tessera {m[1]} != libtorrent {t[1]}')
                else:
                    H.check(m == t, f'hybrid {what} {text}: tessera {m} != libtorrent {t}')
                H.check(lt.bdecode(mine)[b'piece layers'] == lt.bdecode(theirs)[b'piece layers'],
                        f'{kind} {what} {text}: piece layers differ from libtorrent\'s')
                H.log(f'{kind} {what} {text}: info-hash(es) and piece layers = libtorrent')

    # libtorrent takes each kind of tessera torrent and seeds the data, every piece verified.
    for kind, piece in (('v1', '64K'), ('v2', '32K'), ('hybrid', '16K'), ('hybrid', 'auto')):
        for path, what in ((root, 'folder'), (single, 'single file')):
            t_path, _ = tessera_create(h, tessera, path, kind, piece, name=f'seed-{kind}')
            libtorrent_seeds(t_path, os.path.dirname(path), f'{kind} {what} {piece}')

    # Tracker tiers (one per -t, ',' within), web seeds and options before the path.
    out = h.path('tiers.torrent')
    r = subprocess.run([tessera, 'create', '-t', 'http://a.test/announce', '-t', 'http://b.test/x,udp://c.test:80',
                        '-w', 'http://w.test/', '--comment', 'hello', '--exclude', '*.txt', root, '-o', out],
                       capture_output=True, text=True, timeout=60)
    H.check(r.returncode == 0, f'create with trackers: exit {r.returncode}: {r.stderr}')
    ti = lt.torrent_info(out)
    tiers = sorted((t.tier, t.url) for t in ti.trackers())
    H.check(tiers == [(0, 'http://a.test/announce'), (1, 'http://b.test/x'), (1, 'udp://c.test:80')],
            f'tracker tiers as libtorrent reads them: {tiers}')
    H.check([w['url'] for w in ti.web_seeds()] == ['http://w.test/'], f'web seeds: {ti.web_seeds()}')
    H.check(ti.comment() == 'hello', f'comment: {ti.comment()!r}')
    names = [ti.files().file_path(i) for i in range(ti.num_files())]
    H.check(not any(n.endswith('.txt') for n in names), f'--exclude *.txt left {names}')
    H.log('tiers, web seed, comment and --exclude as libtorrent reads them')

    # Refusals: an existing output without --force, a bad piece size.
    out = h.path('exists.torrent')
    with open(out, 'w') as f:
        f.write('keep me')
    r = subprocess.run([tessera, 'create', root, '-o', out], capture_output=True, text=True, timeout=60)
    H.check(r.returncode == 1 and '--force' in r.stderr, f'existing output: exit {r.returncode}, {r.stderr!r}')
    with open(out) as f:
        H.check(f.read() == 'keep me', 'existing output was overwritten without --force')
    r = subprocess.run([tessera, 'create', root, '--v2', '--piece-size', '48K', '-o', h.path('bad.torrent')],
                       capture_output=True, text=True, timeout=60)
    H.check(r.returncode == 1 and 'piece size' in r.stderr, f'48K v2: exit {r.returncode}, {r.stderr!r}')

    # Ctrl+C while hashing: exit 130, nothing written. A sparse 2 GiB file (no disk used) keeps one
    # hashing thread busy for seconds.
    sparse = h.path('sparse', 'zeros.bin')
    os.makedirs(os.path.dirname(sparse))
    with open(sparse, 'wb') as f:
        f.truncate(2048 * H.MIB)
    out = h.path('interrupted.torrent')
    p = subprocess.Popen([tessera, 'create', sparse, '--threads', '1', '-o', out], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    # Hashing has started (and the handler is installed) once the hashing thread exists.
    deadline = time.monotonic() + 30
    while len(os.listdir(f'/proc/{p.pid}/task')) < 2:
        H.check(p.poll() is None and time.monotonic() < deadline, 'tessera create never started hashing')
        time.sleep(0.01)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=30)
    H.check(p.returncode == 130, f'SIGINT: exit {p.returncode}, expected 130; {err!r}')
    H.check('cancelled' in err and not os.path.exists(out), f'SIGINT: {err!r}, output written: {os.path.exists(out)}')
    H.log('SIGINT while hashing: exit 130, no output')
    shutil.rmtree(root)


if __name__ == '__main__':
    a = H.common_args(__doc__).parse_args()
    H.run_test('test_create', body, a)
