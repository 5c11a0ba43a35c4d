#!/usr/bin/env python3
"""`tessera check` over a multi-file payload (harness.make_payload), for five torrents of it: v1,
v2-only and hybrid made by libtorrent, v2-only and hybrid made by `tessera create` (BEP 52 and its
BEP 47 padding). For each, on a payload of its own:

1. The data as made: exit 0, every file complete, every piece verified (text and --json).
2. One byte of data/a.bin flipped and data/sub/deeper/c.bin removed: exit 4; --json names exactly
   the flipped byte's piece and the pieces touching c.bin as failed; a.bin is `incomplete`,
   c.bin `missing`, files sharing no failed piece `complete` (in a v2 or hybrid torrent no two
   files share a piece); the text report says the same.
3. Nothing in the directory was created, written or removed by the checks (snapshot equal).
4. libtorrent checks the same damaged data against the same .torrent: the same pieces fail.

`--v1-only` and `--v2-only` on the damaged hybrids find the same pieces; on a torrent without
that half they exit 1.

Then, on the damaged data, each tessera-made torrent with its `piece layers` removed (what a
bare info dictionary gives): v2-only: exit 4, every file larger than a piece `unverifiable`
(never read: no piece fails), c.bin still `missing`, docs/readme.txt (one piece, checked
against its pieces root) `complete`; hybrid: the SHA-1s still verify, the same pieces fail as
with the layers, and its v2 half alone (`--v2-only`) is as the v2-only torrent.
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

lt = H.lt
PIECE = 32 * H.KIB
TOTAL = 3 * H.MIB + 12345
A = 'payload/data/a.bin'
C = 'payload/data/sub/deeper/c.bin'
README = 'payload/docs/readme.txt'


def run_check(args, torrent, data_dir, *extra):
    p = subprocess.run([args.tessera, 'check', torrent, '-d', data_dir, *extra], capture_output=True,
                       text=True, timeout=120)
    H.log(f'tessera check {os.path.basename(torrent)} {" ".join(extra)}: exit {p.returncode}\n{p.stdout}{p.stderr}')
    return p


def snapshot(root):
    """{relative path: (size, mtime_ns)} of every file and directory under root (lstat)."""
    out = {}
    for dirpath, dirs, files in os.walk(root):
        for n in dirs + files:
            full = os.path.join(dirpath, n)
            st = os.lstat(full)
            out[os.path.relpath(full, root)] = (st.st_size, st.st_mtime_ns)
    return out


def pieces_of(offset, size):
    return set(range(offset // PIECE, (offset + size - 1) // PIECE + 1)) if size else set()


def make_torrent(h, args, kind, maker, content, out):
    """A .torrent of directory `content`: kind v1/v2/hybrid, made by libtorrent or tessera."""
    if maker == 'tessera':
        flag = {'v2': '--v2', 'hybrid': '--hybrid'}[kind]
        p = subprocess.run([args.tessera, 'create', content, flag, '--piece-size', '32K', '-o', out],
                           capture_output=True, text=True, timeout=120)
        H.check(p.returncode == 0, f'tessera create {flag}: exit {p.returncode} {p.stderr}')
    elif kind == 'v1':
        H.make_torrent(content, out, [], PIECE)
    else:
        fs = lt.file_storage()
        lt.add_files(fs, content)
        ct = lt.create_torrent(fs, PIECE, flags=lt.create_torrent.v2_only if kind == 'v2' else 0)
        lt.set_piece_hashes(ct, os.path.dirname(content))
        with open(out, 'wb') as f:
            f.write(lt.bencode(ct.generate()))
    return lt.torrent_info(out)


def data_files(ti):
    """{path: (offset, size)} of the torrent's files, padding files left out."""
    fs = ti.files()
    return {fs.file_path(i): (fs.file_offset(i), fs.file_size(i)) for i in range(fs.num_files())
            if not fs.file_flags(i) & lt.file_storage.flag_pad_file}


def libtorrent_failed(torrent, save_path):
    """The pieces libtorrent does not have after checking the data under save_path (no peers)."""
    ses = lt.session({'listen_interfaces': '127.0.0.1:0', 'enable_dht': False, 'enable_lsd': False,
                      'enable_upnp': False, 'enable_natpmp': False, 'alert_mask': 0})
    try:
        atp = lt.add_torrent_params()
        atp.ti = lt.torrent_info(torrent)
        atp.save_path = save_path
        atp.flags &= ~(lt.torrent_flags.auto_managed | lt.torrent_flags.paused)
        handle = ses.add_torrent(atp)
        deadline = time.monotonic() + 60
        while True:
            st = handle.status()
            if st.has_metadata and st.state not in (lt.torrent_status.checking_files,
                                                    lt.torrent_status.checking_resume_data):
                return {i for i, have in enumerate(st.pieces) if not have}
            H.check(time.monotonic() < deadline, f'libtorrent still checking after 60 s: {st.state}')
            time.sleep(0.05)
    finally:
        del ses


def check_kind(h, args, kind, maker):
    what = f'{kind} by {maker}'
    data_dir = h.mkdir(f'{kind}-{maker}')
    content = os.path.join(data_dir, 'payload')
    H.make_payload(content, H.multi_file_layout(TOTAL, PIECE))
    torrent = h.path(f'{kind}-{maker}.torrent')
    ti = make_torrent(h, args, kind, maker, content, torrent)
    files = data_files(ti)
    num_pieces = ti.num_pieces()

    p = run_check(args, torrent, data_dir, '--json')
    H.check(p.returncode == 0, f'{what}: complete data: exit {p.returncode}, expected 0')
    r = json.loads(p.stdout)
    H.check(r['complete'] and r['pieces_verified'] == num_pieces == r['pieces_total'],
            f'{what}: complete data: {r["pieces_verified"]}/{r["pieces_total"]} verified, libtorrent says {num_pieces}')
    H.check(all(f['state'] in ('complete', 'padding') for f in r['files']), f'{what}: a file not complete')
    p = run_check(args, torrent, data_dir, '--threads', '1')
    H.check(p.returncode == 0 and 'result: complete' in p.stdout, f'{what}: text report of complete data')

    before = snapshot(data_dir)
    flip_at = files[A][1] // 2 + 11
    with open(os.path.join(data_dir, A), 'r+b') as f:
        f.seek(flip_at)
        byte = f.read(1)
        f.seek(flip_at)
        f.write(bytes([byte[0] ^ 0x01]))
    os.remove(os.path.join(data_dir, C))
    bad_piece = (files[A][0] + flip_at) // PIECE
    expected_failed = {bad_piece} | pieces_of(*files[C])

    p = run_check(args, torrent, data_dir, '--json', '--threads', '2')
    H.check(p.returncode == 4, f'{what}: damaged data: exit {p.returncode}, expected 4')
    r = json.loads(p.stdout)
    H.check(set(r['failed_pieces']) == expected_failed,
            f'{what}: failed pieces {sorted(r["failed_pieces"])}, expected {sorted(expected_failed)}')
    H.check(r['pieces_verified'] == num_pieces - len(expected_failed), f'{what}: pieces_verified')
    by_path = {f['path']: f for f in r['files'] if f['state'] != 'padding'}
    H.check(set(by_path) == set(files), f'{what}: files reported: {sorted(by_path)}, expected {sorted(files)}')
    for path, (off, size) in files.items():
        f = by_path[path]
        shared = pieces_of(off, size) & expected_failed
        want = 'missing' if path == C else 'incomplete' if shared else 'complete'
        H.check(f['state'] == want, f'{what}: {path}: state {f["state"]}, expected {want}')
        H.check(f['pieces_total'] == len(pieces_of(off, size)), f'{what}: {path}: pieces_total {f["pieces_total"]}')
        H.check(f['pieces_verified'] == f['pieces_total'] - len(shared),
                f'{what}: {path}: pieces_verified {f["pieces_verified"]}')
    if kind != 'v1':  # each file starts a piece: the flip fails a.bin alone
        H.check(sum(f['state'] == 'incomplete' for f in by_path.values()) == 1, f'{what}: more than a.bin incomplete')
    H.check(by_path[C]['on_disk'] == -1, f'{what}: c.bin on_disk')
    H.check(by_path[A]['bytes_verified'] == files[A][1] - PIECE, f'{what}: a.bin bytes_verified: one piece short')

    p = run_check(args, torrent, data_dir)
    H.check(p.returncode == 4, f'{what}: text report: exit {p.returncode}')
    lines = p.stdout.splitlines()
    a_line = next((line for line in lines if A in line), '')
    H.check(a_line.split()[0] == 'incomplete' and f'failed pieces {bad_piece})' in a_line, f'{what}: a.bin line: {a_line!r}')
    c_line = next((line for line in lines if C in line), '')
    H.check(c_line.split()[0] == 'missing' and '(not found)' in c_line, f'{what}: c.bin line: {c_line!r}')
    H.check(any(line.startswith('result: INCOMPLETE') for line in lines), f'{what}: verdict line')
    H.check(not any('.pad' in line for line in lines), f'{what}: a padding file in the text report')

    after = snapshot(data_dir)
    del before[C]
    H.check(before.keys() == after.keys(), f'{what}: the check created or removed a file')
    changed = [k for k in before if before[k] != after[k] and k not in (A, os.path.dirname(C))]
    H.check(not changed, f'{what}: the check changed {changed}')

    # One half of a hybrid alone finds the same damage; a half the torrent lacks is refused.
    for flag in ('--v1-only', '--v2-only'):
        p = run_check(args, torrent, data_dir, '--json', flag)
        if kind == 'hybrid':
            H.check(p.returncode == 4 and set(json.loads(p.stdout)['failed_pieces']) == expected_failed,
                    f'{what} {flag}: exit {p.returncode}')
        elif (kind == 'v1') == (flag == '--v2-only'):
            H.check(p.returncode == 1 and 'has no' in p.stderr, f'{what} {flag}: exit {p.returncode} {p.stderr!r}')

    theirs = libtorrent_failed(torrent, data_dir)
    H.check(theirs == expected_failed, f'{what}: libtorrent fails {sorted(theirs)}, tessera {sorted(expected_failed)}')
    H.log(f'{what}: {num_pieces} pieces, failed {sorted(expected_failed)} (libtorrent agrees)')
    if maker == 'tessera':
        check_without_layers(args, kind, torrent, data_dir, files, expected_failed)


def check_without_layers(args, kind, torrent, data_dir, files, expected_failed):
    """The damaged data against `torrent` less its `piece layers`."""
    what = f'{kind} without piece layers'
    with open(torrent, 'rb') as f:
        d = lt.bdecode(f.read())
    H.check(b'piece layers' in d, f'{what}: tessera wrote no piece layers')
    del d[b'piece layers']
    bare = torrent.replace('.torrent', '-bare.torrent')
    with open(bare, 'wb') as f:
        f.write(lt.bencode(d))

    p = run_check(args, bare, data_dir, '--json')
    H.check(p.returncode == 4, f'{what}: exit {p.returncode}, expected 4')
    r = json.loads(p.stdout)
    by_path = {f['path']: f for f in r['files'] if f['state'] != 'padding'}
    if kind == 'hybrid':
        H.check(set(r['failed_pieces']) == expected_failed and r['pieces_unverifiable'] == 0,
                f'{what}: failed {sorted(r["failed_pieces"])}, unverifiable {r["pieces_unverifiable"]}')
        # Its v2 half alone is a v2-only torrent without layers: checked below as such.
        p = run_check(args, bare, data_dir, '--json', '--v2-only')
        H.check(p.returncode == 4, f'{what} --v2-only: exit {p.returncode}, expected 4')
        r = json.loads(p.stdout)
        by_path = {f['path']: f for f in r['files'] if f['state'] != 'padding'}
    big = {path for path, (_, size) in files.items() if size > PIECE and path != C}
    H.check(r['failed_pieces'] == [], f'{what}: pieces failed {r["failed_pieces"]}: none is read')
    H.check(r['pieces_unverifiable'] == r['pieces_total'] - r['pieces_verified'],
            f'{what}: {r["pieces_unverifiable"]} unverifiable of {r["pieces_total"]}, {r["pieces_verified"]} verified')
    for path in big:
        f = by_path[path]
        H.check(f['state'] == 'unverifiable' and 'piece layer' in f['error'] and f['pieces_verified'] == 0,
                f'{what}: {path}: {f}')
    H.check(by_path[C]['state'] == 'missing', f'{what}: c.bin {by_path[C]["state"]}')
    H.check(files[README][1] <= PIECE and by_path[README]['state'] == 'complete' and by_path[README]['pieces_verified'] == 1,
            f'{what}: readme.txt {by_path[README]}')
    p = run_check(args, bare, data_dir, *(['--v2-only'] if kind == 'hybrid' else []))
    a_line = next((line for line in p.stdout.splitlines() if A in line), '')
    H.check(p.returncode == 4 and a_line.split()[0] == 'unverifiable' and 'no piece layer' in a_line,
            f'{what}: text: exit {p.returncode}, a.bin line {a_line!r}')


def body(h, args):
    for kind, maker in (('v1', 'libtorrent'), ('v2', 'libtorrent'), ('hybrid', 'libtorrent'),
                        ('v2', 'tessera'), ('hybrid', 'tessera')):
        check_kind(h, args, kind, maker)

    p = subprocess.run([args.tessera, 'check', h.path('v1-libtorrent.torrent'), '-d', h.path('nowhere')],
                       capture_output=True, text=True)
    H.check(p.returncode == 1 and 'No such file or directory' in p.stderr, f'missing dir: {p.returncode} {p.stderr!r}')


if __name__ == '__main__':
    H.run_test('test_check', body, H.common_args(__doc__).parse_args())
