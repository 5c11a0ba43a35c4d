#!/usr/bin/env python3
"""Torrent creation benchmark: `tessera create` against mktorrent and libtorrent, in one run.

A tree of --files files (default 100, sizes varying around total/files, in nested folders) of
--size bytes (default 4 GiB) of pseudo-random data is written once under /tmp, read once so that
every creator meets it in the page cache, then made into a torrent by, in this order:

  tessera v1      tessera create --v1 --piece-size P --no-date        (--threads 0: every core)
  mktorrent -t 2  mktorrent -l log2(P) -t 2 -d                         (Debian's mktorrent 1.1)
  tessera hybrid  tessera create --hybrid --piece-size P --no-date
  libtorrent      lt.create_torrent(fs, P) + lt.set_piece_hashes (hybrid; python3-libtorrent
                  2.0.8, its own default of hashing threads), in a child Python process

P is the piece size libtorrent picks for the total (1 MiB for 4 GiB), the same for all. Each
creator runs --runs times (default 1); per creator the median wall seconds and CPU seconds
(user+sys of the child, from os.wait4) are printed with the ratios tessera/mktorrent (v1) and
tessera/libtorrent (hybrid), and the info-hashes are checked equal (v1 to mktorrent's, hybrid
v1 and v2 to libtorrent's). The SHA floor: one thread's SHA-1 and SHA-256 rate over 256 MiB in
memory (OpenSSL through hashlib), giving the CPU seconds that hashing --size bytes needs at
least (v1: SHA-1; hybrid: SHA-1 + SHA-256) and that divided by the cores (the wall floor).

Disk use: --size under /tmp, deleted at the end (--keep keeps it). The machine's other load
counts in every figure: say so when reporting (the load average is printed).

  /usr/bin/python3 bench/create/run.py --tessera build/bin/tessera
  /usr/bin/python3 bench/create/run.py --tessera build/bin/tessera --size 1G --runs 3
"""
import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tests', 'interop'))
import harness as H  # noqa: E402
import libtorrent as lt  # noqa: E402

LT_CHILD = r'''
import libtorrent as lt, sys
path, piece, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
fs = lt.file_storage()
lt.add_files(fs, path)
ct = lt.create_torrent(fs, piece)
lt.set_piece_hashes(ct, __import__("os").path.dirname(path))
open(out, "wb").write(lt.bencode(ct.generate()))
'''


def parse_size(s):
    s = s.strip().upper().rstrip('B').rstrip('I')
    mult = {'K': H.KIB, 'M': H.MIB, 'G': 1024 * H.MIB}.get(s[-1:], 1)
    return int(float(s[:-1] if s[-1:] in 'KMG' else s) * mult)


def timed(argv):
    """Runs argv; returns (wall s, CPU s of the child: user+sys)."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    err = p.stderr.read().decode(errors='replace')
    p.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f'{argv[0]} failed ({os.waitstatus_to_exitcode(status)}): {err}')
    return wall, ru.ru_utime + ru.ru_stime


def info_hashes(path):
    with open(path, 'rb') as f:
        info = lt.bencode(lt.bdecode(f.read())[b'info'])
    return hashlib.sha1(info).hexdigest(), hashlib.sha256(info).hexdigest()


def hash_rate(algo, nbytes=256 * H.MIB):
    block = os.urandom(4 * H.MIB)
    h = hashlib.new(algo)
    t0 = time.process_time()
    for _ in range(nbytes // len(block)):
        h.update(block)
    return nbytes / (time.process_time() - t0)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--tessera', required=True)
    ap.add_argument('--size', default='4G')
    ap.add_argument('--files', type=int, default=100)
    ap.add_argument('--runs', type=int, default=1)
    ap.add_argument('--keep', action='store_true')
    args = ap.parse_args()
    total = parse_size(args.size)
    need = total + 256 * H.MIB
    if shutil.disk_usage('/tmp').free < need:
        sys.exit(f'need {need / H.MIB:.0f} MiB free in /tmp; pass a smaller --size')

    work = tempfile.mkdtemp(prefix='tessera-bench-create-')
    root = os.path.join(work, 'payload')
    try:
        t0 = time.monotonic()
        H.make_payload(root, H.many_files_layout(total, args.files), seed=7, fast=True)
        print(f'payload: {args.files} files, {total / H.MIB:.0f} MiB, written in {time.monotonic() - t0:.0f} s',
              flush=True)
        for dirpath, _, names in os.walk(root):  # into the page cache, for every creator alike
            for n in names:
                with open(os.path.join(dirpath, n), 'rb') as f:
                    while f.read(16 * H.MIB):
                        pass
        fs = lt.file_storage()
        lt.add_files(fs, root)
        piece = lt.create_torrent(fs, 0).piece_length()
        exp = piece.bit_length() - 1
        out = {k: os.path.join(work, f'{k}.torrent') for k in ('tv1', 'mk', 'thy', 'lt')}
        cmds = {
            'tv1': [args.tessera, 'create', root, '--v1', '--piece-size', str(piece), '--no-date', '-o', out['tv1'],
                    '--force'],
            'mk': ['mktorrent', '-l', str(exp), '-t', '2', '-d', '-a', 'http://127.0.0.1:6969/announce', '-o',
                   out['mk'], root],
            'thy': [args.tessera, 'create', root, '--hybrid', '--piece-size', str(piece), '--no-date', '-o',
                    out['thy'], '--force'],
            'lt': ['/usr/bin/python3', '-c', LT_CHILD, root, str(piece), out['lt']],
        }
        label = {'tv1': 'tessera --v1', 'mk': 'mktorrent -t 2', 'thy': 'tessera --hybrid',
                 'lt': 'libtorrent create_torrent (hybrid)'}
        results = {k: [] for k in cmds}
        print(f'piece size {piece // H.KIB} KiB; load average at start {os.getloadavg()[0]:.2f}; '
              f'{os.cpu_count()} cores', flush=True)
        for _ in range(args.runs):
            for k, argv in cmds.items():
                if k == 'mk' and os.path.exists(out['mk']):
                    os.remove(out['mk'])
                results[k].append(timed(argv))
                print(f'  {label[k]:36s} wall {results[k][-1][0]:7.2f} s  CPU {results[k][-1][1]:7.2f} s', flush=True)
        tv1, mk, thy, ltt = (info_hashes(out[k]) for k in ('tv1', 'mk', 'thy', 'lt'))
        same_v1 = tv1[0] == mk[0]
        same_hybrid = thy == ltt
        sha1_rate, sha256_rate = hash_rate('sha1'), hash_rate('sha256')
        floor_v1 = total / sha1_rate
        floor_hybrid = total / sha1_rate + total / sha256_rate
        cores = os.cpu_count() or 1
        med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in results.items()}
        print()
        print(f'| creator | wall s | CPU s | GB/s (wall) |')
        print(f'|---|---:|---:|---:|')
        for k in cmds:
            print(f'| {label[k]} | {med[k][0]:.2f} | {med[k][1]:.2f} | {total / med[k][0] / 1e9:.2f} |')
        print()
        print(f'v1:     tessera/mktorrent   wall {med["tv1"][0] / med["mk"][0]:.2f}x  CPU {med["tv1"][1] / med["mk"][1]:.2f}x'
              f'  (info-hash equal: {same_v1})')
        print(f'hybrid: tessera/libtorrent  wall {med["thy"][0] / med["lt"][0]:.2f}x  CPU {med["thy"][1] / med["lt"][1]:.2f}x'
              f'  (info-hashes equal: {same_hybrid})')
        print(f'SHA floor (one thread, in memory): SHA-1 {sha1_rate / 1e6:.0f} MB/s, SHA-256 {sha256_rate / 1e6:.0f} MB/s;'
              f' v1 needs >= {floor_v1:.2f} CPU s ({floor_v1 / cores:.2f} s wall on {cores} cores),'
              f' hybrid >= {floor_hybrid:.2f} CPU s ({floor_hybrid / cores:.2f} s wall)')
        print(f'load average at end {os.getloadavg()[0]:.2f}')
        if not (same_v1 and same_hybrid):
            sys.exit('info-hashes differ')
    finally:
        if args.keep:
            print(f'kept {work}')
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
