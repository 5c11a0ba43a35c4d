#!/usr/bin/env python3
"""`tessera check`: a libtorrent-made torrent over a multi-file payload (harness.make_payload).

1. The data as made: exit 0, every file complete, every piece verified (text and --json).
2. One byte of data/a.bin flipped and data/sub/deeper/c.bin removed: exit 4; --json names exactly
   the flipped byte's piece and the pieces touching c.bin as failed; a.bin is `incomplete`,
   c.bin `missing`, files sharing no failed piece `complete`; the text report says the same.
3. Nothing in the directory was created, written or removed by the checks (snapshot equal).
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

PIECE = 32 * H.KIB
TOTAL = 3 * H.MIB + 12345


def run_check(args, *extra):
    p = subprocess.run([args.tessera, 'check', T.path, '-d', DIR, *extra], capture_output=True,
                       text=True, timeout=120)
    H.log(f'tessera check {" ".join(extra)}: exit {p.returncode}\n{p.stdout}{p.stderr}')
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


def body(h, args):
    global T, DIR
    DIR = h.mkdir('data-dir')
    content = os.path.join(DIR, 'payload')
    H.make_payload(content, H.multi_file_layout(TOTAL, PIECE))
    T = H.make_torrent(content, h.path('payload.torrent'), [], PIECE)
    fs = T.ti.files()
    files = {fs.file_path(i): (fs.file_offset(i), fs.file_size(i)) for i in range(fs.num_files())}

    p = run_check(args, '--json')
    H.check(p.returncode == 0, f'complete data: exit {p.returncode}, expected 0')
    r = json.loads(p.stdout)
    H.check(r['complete'] and r['pieces_verified'] == T.num_pieces == r['pieces_total'],
            f'complete data: {r["pieces_verified"]}/{r["pieces_total"]} verified')
    H.check(all(f['state'] == 'complete' for f in r['files']), 'a file not complete')
    p = run_check(args, '--threads', '1')
    H.check(p.returncode == 0 and 'result: complete' in p.stdout, 'text report of complete data')

    before = snapshot(DIR)
    a = 'payload/data/a.bin'
    c = 'payload/data/sub/deeper/c.bin'
    flip_at = files[a][1] // 2 + 11
    with open(os.path.join(DIR, a), 'r+b') as f:
        f.seek(flip_at)
        byte = f.read(1)
        f.seek(flip_at)
        f.write(bytes([byte[0] ^ 0x01]))
    os.remove(os.path.join(DIR, c))
    bad_piece = (files[a][0] + flip_at) // PIECE
    expected_failed = {bad_piece} | pieces_of(*files[c])

    p = run_check(args, '--json', '--threads', '2')
    H.check(p.returncode == 4, f'damaged data: exit {p.returncode}, expected 4')
    r = json.loads(p.stdout)
    H.check(set(r['failed_pieces']) == expected_failed,
            f'failed pieces {sorted(r["failed_pieces"])}, expected {sorted(expected_failed)}')
    H.check(r['pieces_verified'] == T.num_pieces - len(expected_failed), 'pieces_verified')
    by_path = {f['path']: f for f in r['files']}
    H.check(set(by_path) == set(files), f'files reported: {sorted(by_path)}')
    for path, (off, size) in files.items():
        f = by_path[path]
        shared = pieces_of(off, size) & expected_failed
        want = 'missing' if path == c else 'incomplete' if shared else 'complete'
        H.check(f['state'] == want, f'{path}: state {f["state"]}, expected {want}')
        H.check(f['pieces_total'] == len(pieces_of(off, size)), f'{path}: pieces_total {f["pieces_total"]}')
        H.check(f['pieces_verified'] == f['pieces_total'] - len(shared),
                f'{path}: pieces_verified {f["pieces_verified"]}')
    H.check(by_path[c]['on_disk'] == -1, 'c.bin on_disk')
    H.check(by_path[a]['bytes_verified'] == files[a][1] - PIECE, 'a.bin bytes_verified: one piece short')

    p = run_check(args)
    H.check(p.returncode == 4, f'text report: exit {p.returncode}')
    lines = p.stdout.splitlines()
    a_line = next((l for l in lines if a in l), '')
    H.check(a_line.split()[0] == 'incomplete' and f'failed pieces {bad_piece})' in a_line, f'a.bin line: {a_line!r}')
    c_line = next((l for l in lines if c in l), '')
    H.check(c_line.split()[0] == 'missing' and '(not found)' in c_line, f'c.bin line: {c_line!r}')
    H.check(any(l.startswith('result: INCOMPLETE') for l in lines), 'verdict line')

    after = snapshot(DIR)
    del before[c]
    H.check(before.keys() == after.keys(), 'the check created or removed a file')
    changed = [k for k in before if before[k] != after[k] and k not in (a, os.path.dirname(c))]
    H.check(not changed, f'the check changed {changed}')

    p = subprocess.run([args.tessera, 'check', T.path, '-d', h.path('nowhere')], capture_output=True, text=True)
    H.check(p.returncode == 1 and 'No such file or directory' in p.stderr, f'missing dir: {p.returncode} {p.stderr!r}')


if __name__ == '__main__':
    H.run_test('test_check', body, H.common_args(__doc__).parse_args())
