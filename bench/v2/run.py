#!/usr/bin/env python3
"""A v2-only download against the same download as v1, tessera against tessera, in one run.

One payload of --size bytes (default 1 GiB in --files 4 files, harness.make_payload) is written under
/tmp, with two .torrents of it made by libtorrent's create_torrent at the same --piece-size
(default 1 MiB): a v1-only one (SHA-1 pieces) and a v2-only one (BEP 52: SHA-256 merkle trees,
piece layers, each file aligned to a piece). Two python3-libtorrent seeders (peers/lt_seed.py,
TCP only, each its own 127.0.0.x, started with --recheck so every piece is verified before the
first request) serve them from the same files, both running for the whole benchmark.

Then `tessera download <torrent> --peer <its seeder>` (no tracker, no DHT or LSD traffic:
loopback only) runs --runs times per torrent, into a fresh directory each time, the two kinds
alternating and the first kind rotated per round, after one untimed warm-up download of each (so
both seeders serve from a warm page cache). Each download is timed by /usr/bin/time and its
files compared byte for byte with the payload (--no-verify skips that).

Reported per kind: median wall seconds and CPU seconds (user+sys) of the tessera process, both
per GiB of payload, MB/s and peak RSS; then the ratio v2/v1 of wall and of CPU (goal: within 10%,
i.e. <= 1.10). v2 costs tessera SHA-256 of every 16 KiB block and the merkle tree of each piece
instead of one SHA-1 per piece; the wire and the disk writes are the same.

  /usr/bin/python3 bench/v2/run.py --tessera build/bin/tessera            # 1 GiB, 3 runs
  /usr/bin/python3 bench/v2/run.py --size 256M --runs 1
"""
import argparse
import os
import shutil
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tests', 'interop'))
import harness as H  # noqa: E402
import libtorrent as lt  # noqa: E402

GIB = 1024 * H.MIB
KINDS = ('v1', 'v2')


def parse_size(s):
    s = s.strip().upper().rstrip('B').rstrip('I')
    mult = {'K': H.KIB, 'M': H.MIB, 'G': GIB}.get(s[-1:], 1)
    return int(float(s[:-1] if s[-1:] in 'KMG' else s) * mult)


def make_torrent(src, path, kind, piece):
    fs = lt.file_storage()
    lt.add_files(fs, src)
    flags = lt.create_torrent.v1_only if kind == 'v1' else lt.create_torrent.v2_only
    ct = lt.create_torrent(fs, piece, flags=flags)
    ct.set_creator('tessera bench')
    lt.set_piece_hashes(ct, os.path.dirname(src))
    with open(path, 'wb') as f:
        f.write(lt.bencode(ct.generate()))
    t = H.TorrentFile(path)
    ih = t.ti.info_hashes()
    H.check(ih.has_v1() == (kind == 'v1') and ih.has_v2() == (kind == 'v2'), f'not a {kind}-only torrent')
    return t


class Bench:
    def __init__(self, args):
        self.args = args
        self.h = H.Harness('bench-v2', keep=args.keep)
        self.results = {k: [] for k in KINDS}
        self.notes = []

    def one_download(self, kind, t, src, seed, tag):
        """One timed tessera download; dict(wall, cpu, rss_kib) or None when it failed."""
        h = self.h
        out = h.path(f'out-{tag}')
        shutil.rmtree(out, ignore_errors=True)
        timing = h.path(f'time-{tag}.txt')
        p = H.start_leecher(h, 'tessera', t, out, tessera=self.args.tessera, peers=[f'{seed.ip}:{seed.port}'],
                            timeout=self.args.timeout, name=f'leech-{tag}', extra=['--no-dht'],
                            wrap=['/usr/bin/time', '-f', 'TIME %e %U %S %M', '-o', timing])
        rc = p.wait(self.args.timeout)
        p.stop()
        if rc != 0:
            self.fail(f'{tag}: ' + ('timeout' if rc is None else f'exit code {rc}'), p)
            return None
        try:
            with open(timing) as f:
                parts = [x for x in f.read().split('\n') if x.startswith('TIME ')][-1].split()
            e, u, s, m = float(parts[1]), float(parts[2]), float(parts[3]), int(parts[4])
        except (OSError, IndexError, ValueError):
            self.fail(f'{tag}: no /usr/bin/time output', p)
            return None
        if not self.args.no_verify:
            try:
                H.compare_trees(src, os.path.join(out, t.name))
            except H.TestFailure as ex:
                self.fail(f'{tag}: {ex}', p)
                return None
        shutil.rmtree(out, ignore_errors=True)
        H.log(f'{tag}: {e:.2f} s wall, {u + s:.2f} s CPU, {m / 1024:.0f} MiB RSS')
        return {'wall': e, 'cpu': u + s, 'rss_kib': m}

    def fail(self, msg, p):
        self.notes.append('FAILED ' + msg)
        H.log('FAILED ' + msg)
        print(p.tail(15), flush=True)

    def run(self):
        a, h = self.args, self.h
        need = 3 * a.size + 256 * H.MIB  # the payload and one download at a time (plus slack)
        free = shutil.disk_usage(h.workdir).free
        H.check(free > need, f'/tmp has {free >> 20} MiB free, need {need >> 20} MiB')
        H.check(a.tessera and os.access(a.tessera, os.X_OK), f'tessera binary not found: {a.tessera!r}')
        t0 = time.monotonic()
        src = h.path('seed', 'payload')
        # A folder of files: libtorrent makes a v2 torrent of a folder holding one file a
        # single-file torrent (named after the file), its v1 torrent a folder torrent, so the two
        # would not find the same data; --files is at least 2.
        H.make_payload(src, H.many_files_layout(a.size, max(2, a.files)), seed=12, fast=True)
        torrents = {k: make_torrent(src, h.path(f'{k}.torrent'), k, a.piece_size) for k in KINDS}
        H.log(f'payload made and hashed twice in {time.monotonic() - t0:.1f} s')
        seeds = {}
        for k in KINDS:
            seeds[k] = H.start_lt_seed(h, torrents[k], os.path.dirname(src), recheck=True, name=f'seed-{k}')
        for k in KINDS:
            seeds[k].wait_for(r'lt_seed: seeding', 600)
        if a.warmup:
            for k in KINDS:
                H.log(f'{k}: warm-up download (not timed)')
                self.one_download(k, torrents[k], src, seeds[k], f'{k}-warmup')
        for i in range(a.runs):
            order = KINDS[i % 2:] + KINDS[:i % 2]
            for k in order:
                r = self.one_download(k, torrents[k], src, seeds[k], f'{k}-{i}')
                if r:
                    self.results[k].append(r)
        for s in seeds.values():
            s.stop()
        self.report(torrents)

    def report(self, torrents):
        a = self.args
        gib = a.size / GIB
        print()
        hdr = f'{"torrent":34} {"runs":>4} {"wall s/GiB":>10} {"CPU s/GiB":>10} {"MB/s":>8} {"RSS MiB":>8}'
        print(hdr)
        print('-' * len(hdr))
        med = {}
        for k in KINDS:
            t = torrents[k]
            fs = t.ti.files()
            files = sum(1 for i in range(fs.num_files()) if not fs.file_flags(i) & lt.file_storage.flag_pad_file)
            label = f'{k}-only ({files} files, {t.piece_length >> 10} KiB pieces)'
            res = self.results[k]
            if not res:
                print(f'{label:34} {0:>4} {"failed":>10}')
                continue
            w = statistics.median(r['wall'] for r in res)
            c = statistics.median(r['cpu'] for r in res)
            m = statistics.median(r['rss_kib'] for r in res) / 1024
            med[k] = (w, c)
            print(f'{label:34} {len(res):>4} {w / gib:>10.2f} {c / gib:>10.2f} {a.size / w / 1e6:>8.1f} {m:>8.1f}')
        print()
        if 'v1' in med and 'v2' in med:
            (w1, c1), (w2, c2) = med['v1'], med['v2']
            verdict = 'within' if w2 / w1 <= 1.10 else 'outside'
            print(f'v2/v1: wall {w2 / w1:.2f}, CPU {c2 / c1:.2f}  (goal: wall <= 1.10; {verdict} it)')
        for n in self.notes:
            print('note:', n)
        print('note: tessera process only (the libtorrent seeders are not counted); MB = 10^6 bytes; '
              'medians over the timed runs, after one untimed warm-up download of each kind')
        sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_bin = os.environ.get('TESSERA_BIN') or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', '..', 'build', 'bin', 'tessera')
    ap.add_argument('--tessera', default=os.path.abspath(default_bin))
    ap.add_argument('--runs', type=int, default=3)
    ap.add_argument('--size', type=parse_size, default=GIB, help='payload size, e.g. 1G, 256M')
    ap.add_argument('--files', type=int, default=4, help='files in the payload folder (at least 2)')
    ap.add_argument('--piece-size', type=parse_size, default=H.MIB, help='piece size of both torrents')
    ap.add_argument('--timeout', type=float, default=600, help='seconds per download')
    ap.add_argument('--no-verify', action='store_true')
    ap.add_argument('--no-warmup', dest='warmup', action='store_false')
    ap.add_argument('--keep', action='store_true')
    args = ap.parse_args()
    b = Bench(args)
    try:
        b.run()
    except H.TestFailure as e:
        b.h.failed = True
        print(f'bench failed: {e}', flush=True)
        b.h.close()
        return 1
    except BaseException:
        b.h.failed = True
        b.h.close()
        raise
    b.h.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
