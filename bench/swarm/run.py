#!/usr/bin/env python3
"""Swarm benchmark on loopback: tessera against aria2c and libtorrent, with opentracker.

One command; prints a table. For each payload (a single file with 1 MiB pieces, and a torrent of
--files files), a libtorrent seeder and an aria2c seeder run together, and each leecher
(tessera, aria2c, libtorrent; TCP only) downloads the payload from them --runs times, into a
fresh directory each time. Then the self-swarm rows: X seeding to X for aria2c, libtorrent and
tessera (the last only when `tessera seed` exists), on the single-file payload. Each swarm first
serves one untimed warm-up download (--no-warmup skips it), then --runs rounds in which every
leecher downloads once, in an order rotated per round.

Per row: median wall seconds, MB/s (10^6 bytes/s), median CPU seconds (user+sys) and median peak
RSS of the leecher process, from /usr/bin/time, and the median CPU seconds the row's seeders
spent meanwhile (from /proc). Ratios tessera/aria2c and tessera/libtorrent
follow the table. Every download is checked byte for byte (--no-verify skips that). Payloads are
written under /tmp and deleted at the end (--keep keeps them).

  bench/swarm/run.py --tessera build/bin/tessera                # 1 GiB, 3 runs
  bench/swarm/run.py --size 256M --runs 1 --leechers aria2,libtorrent
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tests', 'interop'))
import harness as H  # noqa: E402

LEECHERS = ('tessera', 'aria2', 'libtorrent')
LABEL = {'tessera': 'tessera', 'aria2': 'aria2c', 'libtorrent': 'libtorrent'}


def parse_size(s):
    s = s.strip().upper().rstrip('B').rstrip('I')
    mult = {'K': H.KIB, 'M': H.MIB, 'G': 1024 * H.MIB}.get(s[-1:], 1)
    return int(float(s[:-1] if s[-1:] in 'KMG' else s) * mult)


def has_tessera_seed(tessera):
    if not tessera:
        return False
    try:
        r = subprocess.run([tessera, 'seed', '--help'], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return r.returncode == 0


def proc_cpu_seconds(pid):
    """user+system CPU seconds of process `pid` (all its threads), or None when it is gone."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')
    except (OSError, IndexError, ValueError):
        return None


def seeders_cpu(seeders):
    vals = [proc_cpu_seconds(p.pid) for p in seeders]
    return None if any(v is None for v in vals) else sum(vals)


class Bench:
    def __init__(self, args):
        self.args = args
        self.h = H.Harness('bench-swarm', keep=args.keep)
        self.rows = []        # (payload, swarm, leecher, [results])
        self.notes = []
        self.deadline = time.monotonic() + args.max_seconds

    def time_left(self):
        return self.deadline - time.monotonic()

    def one_download(self, kind, t, src, tag, seeders=()):
        """One timed download; returns dict(wall, cpu, rss_kib, seed_cpu) or None when it failed.
        seed_cpu: CPU seconds the `seeders` processes used meanwhile (None if unknown)."""
        h = self.h
        seed_cpu0 = seeders_cpu(seeders)
        out = h.path(f'out-{tag}')
        shutil.rmtree(out, ignore_errors=True)
        timing = h.path(f'time-{tag}.txt')
        timeout = min(self.args.timeout, max(10, self.time_left()))
        p = H.start_leecher(h, kind, t, out, tessera=self.args.tessera, timeout=timeout,
                            name=f'leech-{tag}',
                            wrap=['/usr/bin/time', '-f', 'TIME %e %U %S %M', '-o', timing])
        t0 = time.monotonic()
        rc = p.wait(timeout)
        wall = time.monotonic() - t0
        seed_cpu1 = seeders_cpu(seeders)
        seed_cpu = None if seed_cpu0 is None or seed_cpu1 is None else seed_cpu1 - seed_cpu0
        if rc is None:
            p.stop()
            self.fail(f'{tag}: timeout after {timeout:.0f} s', p)
            return None
        p.stop()
        if rc != 0:
            self.fail(f'{tag}: exit code {rc}', p)
            return None
        try:
            with open(timing) as f:
                parts = [x for x in f.read().split('\n') if x.startswith('TIME ')][-1].split()
            e, u, s, m = float(parts[1]), float(parts[2]), float(parts[3]), int(parts[4])
        except (OSError, IndexError, ValueError):
            self.fail(f'{tag}: no /usr/bin/time output', p)
            return None
        if not self.args.no_verify:
            dst = os.path.join(out, t.name)
            try:
                if os.path.isdir(src):
                    H.compare_trees(src, dst)
                else:
                    self.compare_file(src, dst)
            except H.TestFailure as ex:
                self.fail(f'{tag}: {ex}', p)
                return None
        shutil.rmtree(out, ignore_errors=True)
        H.log(f'{tag}: {e:.2f} s wall, {u + s:.2f} s CPU, {m / 1024:.0f} MiB RSS' +
              (f', seeders {seed_cpu:.2f} s CPU' if seed_cpu is not None else ''))
        return {'wall': e if e > 0 else wall, 'cpu': u + s, 'rss_kib': m,  # %M is in KiB
                'seed_cpu': seed_cpu}

    @staticmethod
    def compare_file(a, b):
        H.check(os.path.isfile(b), f'missing {b}')
        H.check(os.path.getsize(a) == os.path.getsize(b), f'size of {b} differs')
        with open(a, 'rb') as fa, open(b, 'rb') as fb:
            while True:
                x, y = fa.read(H.MIB), fb.read(H.MIB)
                H.check(x == y, f'{b} differs from the source')
                if not x:
                    return

    def fail(self, msg, p):
        self.notes.append('FAILED ' + msg)
        H.log('FAILED ' + msg)
        print(p.tail(15), flush=True)

    def runs(self, payload, swarm, kinds, t, src, tag, seeders):
        """--runs rounds; each round runs every leecher in `kinds` once, in an order rotated per
        round, so no leecher always meets the seeders first. One untimed warm-up download (the
        first kind) goes before the rounds: the seeders then serve every timed run from warm
        caches (page cache, libtorrent's mmap)."""
        if self.args.warmup and self.time_left() > 30:
            H.log(f'{tag}: warm-up download ({kinds[0]}, not timed)')
            self.one_download(kinds[0], t, src, f'{tag}-warmup', seeders)
        results = {k: [] for k in kinds}
        for i in range(self.args.runs):
            order = kinds[i % len(kinds):] + kinds[:i % len(kinds)]
            for kind in order:
                if self.time_left() < 30:
                    self.notes.append(f'{payload}/{swarm}/{kind}: stopped early, --max-seconds reached')
                    break
                r = self.one_download(kind, t, src, f'{tag}-{kind}-{i}', seeders)
                if r:
                    results[kind].append(r)
        for kind in kinds:
            self.rows.append((payload, swarm, kind, results[kind], t.total_size))

    def run(self):
        a = self.args
        h = self.h
        size = a.size
        need = 2 * size * (2 if 'many' in a.payloads else 1) + 256 * H.MIB
        free = shutil.disk_usage(h.workdir).free
        H.check(free > need, f'/tmp has {free >> 20} MiB free, need {need >> 20} MiB')

        leechers = [k for k in a.leechers.split(',') if k]
        if 'tessera' in leechers and not (a.tessera and os.access(a.tessera, os.X_OK)):
            self.notes.append(f'tessera rows skipped: no tessera binary at {a.tessera!r}')
            leechers.remove('tessera')

        seed_dir = h.path('seed')
        payloads = {}
        tport = h.free_port('127.0.0.1')
        url = f'http://127.0.0.1:{tport}/announce'
        t0 = time.monotonic()
        if 'single' in a.payloads:
            src = os.path.join(seed_dir, 'single.bin')
            os.makedirs(seed_dir, exist_ok=True)
            H._write_file(src, size, 7, fast=True)
            payloads['single'] = (src, H.make_torrent(src, h.path('single.torrent'), [url], H.MIB))
        if 'many' in a.payloads:
            src = os.path.join(seed_dir, 'many')
            H.make_payload(src, H.many_files_layout(size, a.files), seed=8, fast=True)
            piece = 256 * H.KIB if size <= 512 * H.MIB else H.MIB
            payloads['many'] = (src, H.make_torrent(src, h.path('many.torrent'), [url], piece))
        H.log(f'payloads made and hashed in {time.monotonic() - t0:.1f} s')
        tracker = H.start_opentracker(h, [t.info_hash for _, t in payloads.values()], tport)

        for name, (src, t) in payloads.items():
            tracker.restart()
            label = f'{name} ({t.ti.files().num_files()} files, {t.piece_length >> 10} KiB pieces)'
            lt_seed = H.start_lt_seed(h, t, seed_dir, name=f'seed-lt-{name}')
            aria_seed = H.start_aria2_seed(h, t, seed_dir, name=f'seed-aria2-{name}')
            lt_seed.wait_for(r'lt_seed: seeding', 60)
            H.aria2_wait_seeding(aria_seed, t, 300)
            tracker.wait_seeders(t.info_hash, 2, 60)
            if leechers:
                self.runs(label, 'lt+aria2 seeders', leechers, t, src, name, [lt_seed, aria_seed])
            lt_seed.stop()
            aria_seed.stop()

        if 'self' in a.payloads and 'single' in payloads:
            src, t = payloads['single']
            label = f'single ({t.piece_length >> 10} KiB pieces)'
            for kind in ('aria2', 'libtorrent', 'tessera'):
                tracker.restart()
                if kind == 'tessera':
                    if 'tessera' not in leechers:
                        continue
                    if not has_tessera_seed(a.tessera):
                        self.notes.append('tessera->tessera row skipped: `tessera seed` does not exist yet')
                        continue
                    ip = h.next_ip()
                    port = h.free_port(ip)
                    # --no-lsd: without --interface, LSD would multicast on the default route.
                    seed = h.spawn('seed-self-tessera', [a.tessera, 'seed', t.path, '-o', seed_dir,
                                                         '--port', str(port), '--no-lsd'], ip=ip, port=port)
                elif kind == 'aria2':
                    seed = H.start_aria2_seed(h, t, seed_dir, name='seed-self-aria2')
                    H.aria2_wait_seeding(seed, t, 300)
                else:
                    seed = H.start_lt_seed(h, t, seed_dir, name='seed-self-lt')
                    seed.wait_for(r'lt_seed: seeding', 60)
                tracker.wait_seeders(t.info_hash, 1, 60)
                self.runs(label, f'self: {LABEL[kind]}->{LABEL[kind]}', [kind], t, src, 'self', [seed])
                seed.stop()
                time.sleep(1)
        self.report()

    def report(self):
        print()
        hdr = f'{"payload":34} {"swarm":30} {"leecher":10} {"runs":>4} {"wall s":>8} {"MB/s":>8} ' \
              f'{"CPU s":>7} {"RSS MiB":>8} {"seed CPU s":>10}'
        print(hdr)
        print('-' * len(hdr))
        med = {}
        for payload, swarm, kind, res, total in self.rows:
            if not res:
                print(f'{payload:34} {swarm:30} {LABEL[kind]:10} {0:>4} {"failed":>8}')
                continue
            w = statistics.median(r['wall'] for r in res)
            c = statistics.median(r['cpu'] for r in res)
            m = statistics.median(r['rss_kib'] for r in res) / 1024
            med[(payload, swarm, kind)] = (w, c, m)
            sc = [r['seed_cpu'] for r in res if r.get('seed_cpu') is not None]
            sc_text = f'{statistics.median(sc):>10.2f}' if sc else f'{"-":>10}'
            print(f'{payload:34} {swarm:30} {LABEL[kind]:10} {len(res):>4} {w:>8.2f} '
                  f'{total / w / 1e6:>8.1f} {c:>7.2f} {m:>8.1f} {sc_text}')
        print()
        for (payload, swarm, kind), (w, c, m) in med.items():
            if kind != 'tessera' or swarm.startswith('self'):
                continue
            for other in ('aria2', 'libtorrent'):
                o = med.get((payload, swarm, other))
                if o:
                    print(f'{payload}: tessera/{LABEL[other]}: wall {w / o[0]:.2f}, CPU {c / o[1]:.2f}, '
                          f'RSS {m / o[2]:.2f}  (< 1 means tessera is better)')
        selfs = {k: v for (p, sw, k), v in med.items() if sw.startswith('self')}
        if 'tessera' in selfs and 'libtorrent' in selfs:
            print(f'self-swarm throughput tessera->tessera / libtorrent->libtorrent: '
                  f'{selfs["libtorrent"][0] / selfs["tessera"][0]:.2f}x  (> 1 means tessera is faster)')
        for n in self.notes:
            print('note:', n)
        print('note: libtorrent leecher RSS includes its Python interpreter; MB = 10^6 bytes')
        print('note: seed CPU s = CPU seconds all seeders of the row spent during one download '
              '(includes idle polling); rounds interleave the leechers'
              + (', after one untimed warm-up download per swarm' if self.args.warmup else ''))
        sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_bin = os.environ.get('TESSERA_BIN') or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', '..', 'build', 'bin', 'tessera')
    ap.add_argument('--tessera', default=os.path.abspath(default_bin))
    ap.add_argument('--runs', type=int, default=3)
    ap.add_argument('--size', type=parse_size, default=parse_size('1G'), help='payload size, e.g. 1G, 256M')
    ap.add_argument('--files', type=int, default=200, help='files in the many-files payload')
    ap.add_argument('--leechers', default=','.join(LEECHERS), help='comma list of ' + ','.join(LEECHERS))
    ap.add_argument('--payloads', default='single,many,self', help='comma list of single,many,self')
    ap.add_argument('--timeout', type=float, default=600, help='seconds per download')
    ap.add_argument('--max-seconds', type=float, default=3600, help='bound on the whole run')
    ap.add_argument('--no-verify', action='store_true')
    ap.add_argument('--no-warmup', dest='warmup', action='store_false',
                    help='skip the untimed warm-up download before each swarm\'s timed runs')
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
