#!/usr/bin/env python3
"""Encrypted (MSE/PE, RC4) against plaintext download on loopback, in one run.

One libtorrent seeder per mode (TCP only, no tracker): `forced` (out/in pe_forced, RC4 only) and
`plaintext` (pe_disabled both ways). tessera downloads the payload (default 1 GiB, one file,
1 MiB pieces) from each, dialling it with --peer; with the forced seeder tessera runs
`--encryption forced`, with the plaintext one `--encryption disabled`. --runs rounds, the order
alternating per round; each download goes into a fresh directory and is compared with the
source. Per mode: median wall seconds, MB/s, tessera's CPU seconds (user+sys, /usr/bin/time) and
CPU seconds per GiB, the seeder's CPU during the download; then the ratio encrypted/plaintext
throughput (issue 13's goal: >= 0.7) and the load average at the start and end.

  bench/encryption/run.py --tessera build/bin/tessera --runs 3
"""
import argparse
import os
import shutil
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tests', 'interop'))
import harness as H  # noqa: E402


def proc_cpu(pid):
    try:
        with open(f'/proc/{pid}/stat') as f:
            parts = f.read().rsplit(')', 1)[1].split()
        return (int(parts[11]) + int(parts[12])) / os.sysconf('SC_CLK_TCK')
    except (OSError, IndexError, ValueError):
        return None


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--tessera', default=os.path.abspath(os.path.join(root, 'build', 'bin', 'tessera')))
    ap.add_argument('--runs', type=int, default=3)
    ap.add_argument('--size-mib', type=int, default=1024)
    ap.add_argument('--timeout', type=float, default=600)
    ap.add_argument('--keep', action='store_true')
    args = ap.parse_args()
    load0 = os.getloadavg()
    h = H.Harness('bench_encryption', keep=args.keep)
    results = {'forced': [], 'plaintext': []}
    try:
        # One file of pseudo-random bytes, written fast (the harness's fast mode).
        H.make_payload(h.path('seed'), [('payload.bin', args.size_mib * H.MIB)], seed=5, fast=True)
        src = h.path('seed', 'payload.bin')
        t = H.make_torrent(src, h.path('payload.torrent'), [], H.MIB)
        seeders = {}
        for mode in ('forced', 'plaintext'):
            seeders[mode] = H.start_lt_seed(h, t, h.path('seed'), enc=mode, name=f'lt_{mode}')
        for p in seeders.values():
            p.wait_for(r'lt_seed: seeding', 120)
        tess_mode = {'forced': 'forced', 'plaintext': 'disabled'}
        order = ['forced', 'plaintext']
        for r in range(args.runs + 1):  # round 0: untimed warm-up of both seeders' caches
            for mode in (order if r % 2 == 0 else order[::-1]):
                seed = seeders[mode]
                out = h.path(f'out-{mode}-{r}')
                timing = h.path(f'time-{mode}-{r}.txt')
                c0 = proc_cpu(seed.pid)
                p = H.start_leecher(h, 'tessera', t, out, tessera=args.tessera, peers=[f'{seed.ip}:{seed.port}'],
                                    name=f'leech-{mode}-{r}', extra=['--no-dht', '--encryption', tess_mode[mode]],
                                    wrap=H.time_wrap(timing))
                rc = p.wait(args.timeout)
                c1 = proc_cpu(seed.pid)
                H.check(rc == 0, f'{mode} run {r}: tessera exit {rc}')
                e, cpu, _ = H.read_time(timing)
                H.check(os.path.getsize(os.path.join(out, t.name)) == args.size_mib * H.MIB, 'size differs')
                H.check(H.same_file(src, os.path.join(out, t.name)), f'{mode} run {r}: data differs')
                shutil.rmtree(out, ignore_errors=True)
                seed_cpu = None if c0 is None or c1 is None else c1 - c0
                H.log(f'{mode} run {r}: {e:.2f} s wall, {cpu:.2f} s CPU, seeder {seed_cpu} s CPU')
                if r > 0:
                    results[mode].append((e, cpu, seed_cpu or 0.0))
    finally:
        h.close()
    gib = args.size_mib / 1024
    print(f'\nload average at start {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}, '
          f'at end {" ".join(f"{x:.2f}" for x in os.getloadavg())}')
    print('| mode | wall s | MB/s | tessera CPU s | CPU s per GiB | seeder CPU s |')
    print('|---|---:|---:|---:|---:|---:|')
    med = {}
    for mode, rows in results.items():
        w = statistics.median(x[0] for x in rows)
        c = statistics.median(x[1] for x in rows)
        sc = statistics.median(x[2] for x in rows)
        med[mode] = (w, c)
        print(f'| {mode} | {w:.2f} | {args.size_mib * H.MIB / w / 1e6:.1f} | {c:.2f} | {c / gib:.2f} | {sc:.2f} |')
    print(f'\nencrypted/plaintext throughput: {med["plaintext"][0] / med["forced"][0]:.2f}x (goal >= 0.7)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
