#!/usr/bin/env python3
"""`tessera check` against libtorrent's force_recheck on the same data, in one run.

A payload of --size bytes (default 1 GiB, --files files, made by harness.make_payload) and a
.torrent of it (libtorrent's create_torrent, --piece-size; --kind v1 (default), v2 or hybrid:
BEP 52's SHA-256 piece layers, a hybrid's pieces checked by both hashes) are written under /tmp. Then, --runs times each, in turn:

  tessera   `tessera check T -d DIR --json` (threads: one per core), timed by /usr/bin/time;
  libtorrent a python3-libtorrent session (no network: DHT, LSD, UPnP, NAT-PMP off, loopback
            listen) adds the torrent with the data in place, waits for the add's own check to
            end, then calls force_recheck and times it until the torrent is seeding again with
            every piece; CPU seconds are its process's getrusage (all threads) over that span.
            libtorrent starts a queued check on its next tick (about 1 s after the call here),
            so its hashing alone (from the first hashed piece to the end) is reported too.
            hashing_threads is set to the core count (libtorrent's default is 1), so both use
            every core.

Page cache: by default both runs find the payload in the page cache: it is read once (cat >
/dev/null) right before each timed run, the same way for both, so the figures are hashing-bound
(the data is already in memory; 24 GiB RAM here). With --drop-caches, /proc/sys/vm/drop_caches is
written (as root) before each timed run instead: cold reads from disk (noisy on a shared VM).

Reported per tool: median wall seconds, median CPU seconds (user+sys), MiB/s; the ratio
tessera/libtorrent of wall time (goal <= 0.6) and of CPU; and the SHA-1 floor: OpenSSL's one-core
SHA-1 rate measured here (hashlib over a 64 MiB buffer), giving the least CPU any check needs
(size / rate) and the least wall time with every core hashing (size / rate / cores).

  /usr/bin/python3 bench/check/run.py --tessera build/bin/tessera
  /usr/bin/python3 bench/check/run.py --size 256M --runs 1
  /usr/bin/python3 bench/check/run.py --size 256M --kind hybrid   # v2-only: --kind v2
"""
import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import textwrap
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tests', 'interop'))
import harness as H  # noqa: E402

LT_RECHECK = textwrap.dedent('''
    import json, resource, sys, time
    import libtorrent as lt
    torrent, save, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    s = lt.session({'listen_interfaces': '127.0.0.1:0', 'enable_dht': False, 'enable_lsd': False,
                    'enable_upnp': False, 'enable_natpmp': False, 'hashing_threads': threads,
                    'alert_mask': 0})
    h = s.add_torrent({'ti': lt.torrent_info(torrent), 'save_path': save})
    deadline = time.monotonic() + 600
    while not h.status().is_seeding:
        if time.monotonic() > deadline: sys.exit('initial check did not end')
        time.sleep(0.005)
    sys.stdin.readline()  # the bench warms or drops the page cache meanwhile
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()
    h.force_recheck()
    # force_recheck is asynchronous: wait until the torrent has left seeding, then until it is back.
    while h.status().is_seeding and time.monotonic() - t0 < 5:
        time.sleep(0.001)
    # The time the first hashed piece shows: libtorrent starts a queued check on its next tick
    # (about 1 s after force_recheck here); the span from then on is its hashing alone.
    t_first = None
    ok = False
    while time.monotonic() - t0 < 600:
        st = h.status()
        if t_first is None and st.progress > 0:
            t_first = time.monotonic()
        if st.is_seeding:
            ok = True
            break
        time.sleep(0.001)
    wall = time.monotonic() - t0
    hashing = time.monotonic() - (t_first if t_first is not None else t0)
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    print(json.dumps({'ok': ok, 'wall': wall, 'hashing': hashing, 'cpu': cpu, 'pieces': h.status().num_pieces}), flush=True)
''')


def parse_size(s):
    s = s.strip().upper().rstrip('B').rstrip('I')
    mult = {'K': H.KIB, 'M': H.MIB, 'G': 1024 * H.MIB}.get(s[-1:], 1)
    return int(float(s[:-1] if s[-1:] in 'KMG' else s) * mult)


def prepare_cache(data_dir, drop):
    if drop:
        subprocess.run(['sync'], check=True)
        with open('/proc/sys/vm/drop_caches', 'w') as f:
            f.write('1\n')
    else:
        for dirpath, _, files in os.walk(data_dir):
            for n in files:
                with open(os.path.join(dirpath, n), 'rb') as f:
                    while f.read(8 * H.MIB):
                        pass


def run_tessera(args, torrent, data_dir):
    prepare_cache(data_dir, args.drop_caches)
    out = subprocess.run(['/usr/bin/time', '-f', 'TIME %e %U %S', args.tessera, 'check', torrent, '-d', data_dir,
                          '--json'], capture_output=True, text=True, timeout=900)
    line = [l for l in out.stderr.splitlines() if l.startswith('TIME ')][-1].split()
    report = json.loads(out.stdout)
    H.check(out.returncode == 0 and report['complete'], f'tessera check: exit {out.returncode}')
    return {'wall': float(line[1]), 'cpu': float(line[2]) + float(line[3]), 'threads': report['threads']}


def run_libtorrent(args, torrent, data_dir, threads):
    p = subprocess.Popen(['/usr/bin/python3', '-c', LT_RECHECK, torrent, data_dir, str(threads)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    # The add's own check runs first; then the cache is prepared and the timed recheck starts.
    prepare_cache(data_dir, args.drop_caches)
    out, _ = p.communicate('go\n', timeout=1200)
    r = json.loads(out.strip().splitlines()[-1])
    H.check(p.returncode == 0 and r['ok'], 'libtorrent recheck did not finish')
    return r


def make_torrent(kind, content, torrent, piece):
    if kind == 'v1':
        return H.make_torrent(content, torrent, [], piece)
    fs = H.lt.file_storage()
    H.lt.add_files(fs, content)
    ct = H.lt.create_torrent(fs, piece, flags=H.lt.create_torrent.v2_only if kind == 'v2' else 0)
    H.lt.set_piece_hashes(ct, os.path.dirname(os.path.abspath(content)))
    with open(torrent, 'wb') as f:
        f.write(H.lt.bencode(ct.generate()))
    return H.TorrentFile(torrent)


def sha1_rate():
    buf = os.urandom(64 * H.MIB)
    best = 0
    for _ in range(3):
        t0 = time.perf_counter()
        hashlib.sha1(buf).digest()
        best = max(best, len(buf) / (time.perf_counter() - t0))
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--tessera', default='build/bin/tessera')
    ap.add_argument('--size', default='1G')
    ap.add_argument('--files', type=int, default=4)
    ap.add_argument('--piece-size', default='256K')
    ap.add_argument('--kind', choices=['v1', 'v2', 'hybrid'], default='v1')
    ap.add_argument('--runs', type=int, default=1)
    ap.add_argument('--drop-caches', action='store_true')
    ap.add_argument('--keep', action='store_true')
    args = ap.parse_args()
    size = parse_size(args.size)
    piece = parse_size(args.piece_size)
    cores = os.cpu_count() or 1
    work = H.Harness('bench-check', keep=args.keep)
    try:
        data = work.mkdir('data')
        content = os.path.join(data, 'payload')
        layout = H.many_files_layout(size, args.files) if args.files > 1 else [('payload.bin', size)]
        t0 = time.monotonic()
        H.make_payload(content, layout, fast=True)
        torrent = work.path('payload.torrent')
        t = make_torrent(args.kind, content, torrent, piece)
        H.log(f'payload {size} bytes, {len(layout)} files, {t.num_pieces} pieces of {piece} made in '
              f'{time.monotonic() - t0:.1f} s')
        results = {'tessera': [], 'libtorrent': []}
        for i in range(args.runs):
            results['tessera'].append(run_tessera(args, torrent, data))
            H.log(f'run {i + 1} tessera: {results["tessera"][-1]}')
            results['libtorrent'].append(run_libtorrent(args, torrent, data, cores))
            H.log(f'run {i + 1} libtorrent: {results["libtorrent"][-1]}')
        rate = sha1_rate()
        med = {k: {m: statistics.median(r[m] for r in v) for m in ('wall', 'cpu')} for k, v in results.items()}
        lt_hashing = statistics.median(r['hashing'] for r in results['libtorrent'])
        mib = size / H.MIB
        cache = 'dropped (drop_caches) before each run' if args.drop_caches else 'warm (payload read once before each run)'
        print(f'\ncheck of {mib:.0f} MiB ({args.kind}, {len(layout)} files, {piece // H.KIB} KiB pieces), {args.runs} run(s), '
              f'{cores} cores, page cache {cache}')
        print(f'{"tool":<34}{"wall s":>9}{"CPU s":>9}{"MiB/s":>10}')
        for k, label in (('tessera', f'tessera check ({results["tessera"][0]["threads"]} thr)'),
                         ('libtorrent', f'libtorrent force_recheck ({cores} thr)')):
            print(f'{label:<34}{med[k]["wall"]:>9.2f}{med[k]["cpu"]:>9.2f}{mib / med[k]["wall"]:>10.0f}')
        print(f'{"  libtorrent hashing only":<34}{lt_hashing:>9.2f}{"":>9}{mib / lt_hashing:>10.0f}')
        print(f'{"SHA-1 floor (1 core)":<34}{size / rate:>9.2f}{size / rate:>9.2f}{rate / H.MIB:>10.0f}')
        print(f'{"SHA-1 floor (all cores)":<34}{size / rate / cores:>9.2f}{size / rate:>9.2f}'
              f'{rate * cores / H.MIB:>10.0f}')
        print(f'ratio tessera/libtorrent: wall {med["tessera"]["wall"] / med["libtorrent"]["wall"]:.2f}x '
              f'(goal <= 0.6x), CPU {med["tessera"]["cpu"] / med["libtorrent"]["cpu"]:.2f}x; '
              f'wall against libtorrent\'s hashing alone {med["tessera"]["wall"] / lt_hashing:.2f}x')
    finally:
        work.close()
        if not args.keep:
            shutil.rmtree(work.workdir, ignore_errors=True)


if __name__ == '__main__':
    main()
