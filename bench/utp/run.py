#!/usr/bin/env python3
"""uTP (BEP 29) download against libtorrent's own uTP leecher, and against TCP, in one run.

Two python3-libtorrent 2.0.8 seeders of the same payload (default 1 GiB, one file, 1 MiB pieces,
no tracker), each on its own 127.0.0.x: one with TCP turned off (uTP only, `lt_seed.py
--transport utp`) and one with uTP turned off (TCP only). Then, --runs rounds, the order rotated
per round after one untimed warm-up round (the seeders' page cache):

  tessera uTP     tessera download --peer <uTP seeder>   (TCP refused, then uTP: the connect policy)
  libtorrent uTP  lt_leech.py --transport utp --peer <uTP seeder>
  tessera TCP     tessera download --peer <TCP seeder> --no-utp

Each download goes into a fresh directory and is compared with the payload; /usr/bin/time gives
the leecher's wall and CPU seconds (user+sys). Reported per leecher: median wall s, MB/s, CPU s
per GiB, and the ratios the issue names: tessera uTP / libtorrent uTP throughput (goal >= 3) and
tessera uTP / tessera TCP throughput. The load average at the start and the end are printed: the
seeders run on the same two cores.

  /usr/bin/python3 bench/utp/run.py --tessera build/bin/tessera --runs 3
  /usr/bin/python3 bench/utp/run.py --size-mib 256 --runs 1
"""
import argparse
import os
import shutil
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tests', 'interop'))
import harness as H  # noqa: E402


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--tessera', default=os.path.abspath(os.path.join(root, 'build', 'bin', 'tessera')))
    ap.add_argument('--runs', type=int, default=3)
    ap.add_argument('--size-mib', type=int, default=1024)
    ap.add_argument('--timeout', type=float, default=900)
    ap.add_argument('--keep', action='store_true')
    args = ap.parse_args()
    load0 = os.getloadavg()
    h = H.Harness('bench_utp', keep=args.keep)
    kinds = ['tessera uTP', 'libtorrent uTP', 'tessera TCP']
    results = {k: [] for k in kinds}
    try:
        H.make_payload(h.path('seed'), [('payload.bin', args.size_mib * H.MIB)], seed=7, fast=True)
        src = h.path('seed', 'payload.bin')
        t = H.make_torrent(src, h.path('payload.torrent'), [], H.MIB)
        utp_seed = H.start_lt_seed(h, t, h.path('seed'), transport='utp', name='lt_seed_utp')
        tcp_seed = H.start_lt_seed(h, t, h.path('seed'), name='lt_seed_tcp')
        for p in (utp_seed, tcp_seed):
            p.wait_for(r'lt_seed: seeding', 120)
        for r in range(args.runs + 1):  # round 0: untimed warm-up
            order = kinds[r % len(kinds):] + kinds[:r % len(kinds)]
            for kind in order:
                out = h.path(f'out-{kind.replace(" ", "_")}-{r}')
                timing = h.path(f'time-{kind.replace(" ", "_")}-{r}.txt')
                wrap = H.time_wrap(timing)
                name = f'{kind.replace(" ", "_")}-{r}'
                if kind == 'libtorrent uTP':
                    os.makedirs(out, exist_ok=True)
                    ip = h.next_ip()
                    port = h.free_port(ip)
                    p = h.spawn(name, wrap + [H.PYTHON, '-u', os.path.join(H.PEERS_DIR, 'lt_leech.py'),
                                              '--torrent', t.path, '--save-path', out, '--ip', ip,
                                              '--port', str(port), '--timeout', str(args.timeout),
                                              '--transport', 'utp', '--peer', f'{utp_seed.ip}:{utp_seed.port}'],
                                ip=ip, port=port)
                else:
                    seed = utp_seed if kind == 'tessera uTP' else tcp_seed
                    extra = ['--no-dht'] + (['--no-utp'] if kind == 'tessera TCP' else [])
                    p = H.start_leecher(h, 'tessera', t, out, tessera=args.tessera,
                                        peers=[f'{seed.ip}:{seed.port}'], name=name, extra=extra, wrap=wrap)
                rc = p.wait(args.timeout)
                H.check(rc == 0, f'{name}: exit {rc}\n{p.tail()}')
                e, cpu, _ = H.read_time(timing)
                H.check(H.same_file(src, os.path.join(out, t.name)), f'{name}: data differs')
                shutil.rmtree(out, ignore_errors=True)
                H.log(f'{name}: {e:.2f} s wall, {cpu:.2f} s CPU')
                if r > 0:
                    results[kind].append((e, cpu))
    finally:
        h.close()
    gib = args.size_mib / 1024
    print(f'\nload average at start {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}, '
          f'at end {" ".join(f"{x:.2f}" for x in os.getloadavg())}')
    print(f'{args.size_mib} MiB, medians of {args.runs} runs')
    print('| leecher | wall s | MB/s | CPU s | CPU s per GiB |')
    print('|---|---:|---:|---:|---:|')
    med = {}
    for kind in kinds:
        w = statistics.median(x[0] for x in results[kind])
        c = statistics.median(x[1] for x in results[kind])
        med[kind] = w
        print(f'| {kind} | {w:.2f} | {args.size_mib * H.MIB / w / 1e6:.1f} | {c:.2f} | {c / gib:.2f} |')
    print(f'\ntessera uTP / libtorrent uTP throughput: {med["libtorrent uTP"] / med["tessera uTP"]:.2f}x (goal >= 3)')
    print(f'tessera uTP / tessera TCP throughput: {med["tessera TCP"] / med["tessera uTP"]:.2f}x')
    return 0


if __name__ == '__main__':
    sys.exit(main())
