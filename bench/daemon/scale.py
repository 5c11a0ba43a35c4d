#!/usr/bin/env python3
"""Daemon scale benchmark: N small torrents (default 1,000), seeded from disk, in one
`tessera daemon` and, in the same run, in one `transmission-daemon` 3.00 (issue 10, test 7).

For each daemon:
  add       all N torrents over the RPC (torrent-add, metainfo), until every one seeds;
  restart   stop it (SIGTERM), start it again on the same config dir: seconds until all N are
            back and seeding (goal < 5 s), and how many pieces it hashed again (goal: none;
            tessera: its log's "re-verify" counts; Transmission: its "Verifying" states seen);
  idle      CPU seconds (user+sys, /proc/<pid>/stat) over --idle seconds with nothing to do,
            as a percentage of one core (goal < 1%), from --settle seconds after the restart
            (the start-up's own work, such as the first resume-data writes, is not idling);
  rss       resident memory after the idle period (goal < 150 MiB);
  get       torrent-get of the web client's Stats fields for all N, median of 10 (goal < 50 ms).

  /usr/bin/python3 bench/daemon/scale.py --tessera build/bin/tessera            # 1,000 torrents
  /usr/bin/python3 bench/daemon/scale.py --tessera build/bin/tessera --count 200 --idle 10
Nothing leaves loopback: no tracker, DHT, LSD or PEX.
"""
import argparse
import base64
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tests', 'interop'))
import harness as H  # noqa: E402

STATS_FIELDS = ['id', 'error', 'errorString', 'eta', 'isFinished', 'isStalled', 'leftUntilDone',
                'metadataPercentComplete', 'peersConnected', 'peersGettingFromUs', 'peersSendingToUs',
                'percentDone', 'queuePosition', 'rateDownload', 'rateUpload', 'recheckProgress',
                'seedRatioMode', 'seedRatioLimit', 'sizeWhenDone', 'status', 'trackers', 'downloadDir',
                'uploadedEver', 'uploadRatio', 'webseedsSendingToUs']
CLK_TCK = os.sysconf('SC_CLK_TCK')


class Rpc:
    def __init__(self, url):
        self.url, self.sid = url, ''

    def __call__(self, method, **arguments):
        body = json.dumps({'method': method, 'arguments': arguments}).encode()
        for _ in range(3):
            req = urllib.request.Request(self.url, data=body, headers={'X-Transmission-Session-Id': self.sid})
            try:
                with urllib.request.urlopen(req, timeout=300) as r:
                    reply = json.loads(r.read())
                H.check(reply['result'] == 'success', f'{method}: {reply["result"]}')
                return reply['arguments']
            except urllib.error.HTTPError as e:
                if e.code != 409:
                    raise
                self.sid = e.headers['X-Transmission-Session-Id']
        raise H.TestFailure('no session id accepted')


def wait_up(url, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            H.check(time.monotonic() < deadline, f'{url} does not answer')
            time.sleep(0.05)


def cpu_seconds(pid):
    with open(f'/proc/{pid}/stat') as f:
        parts = f.read().rsplit(')', 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / CLK_TCK


def rss_mib(pid):
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024
    return 0.0


def wait_all_seeding(rpc, count, timeout):
    t0 = time.monotonic()
    verifying_seen = 0
    while True:
        ts = rpc('torrent-get', fields=['id', 'status', 'percentDone'])['torrents']
        verifying_seen = max(verifying_seen, sum(1 for t in ts if t['status'] in (1, 2)))
        if len(ts) == count and all(t['status'] == 6 and t['percentDone'] == 1 for t in ts):
            return time.monotonic() - t0, verifying_seen
        H.check(time.monotonic() - t0 < timeout,
                f'{sum(1 for t in ts if t["status"] == 6)}/{count} seeding after {timeout} s')
        time.sleep(0.1)


def make_torrents(h, count):
    src = h.mkdir('data')
    tdir = h.mkdir('torrents')
    ts = []
    for i in range(count):
        name = f't{i:05d}.bin'
        path = os.path.join(src, name)
        with open(path, 'wb') as f:
            f.write(os.urandom(40000 + i % 997))
        ts.append(H.make_torrent(path, os.path.join(tdir, name + '.torrent'), [], 16 * H.KIB))
    return src, ts


class Tessera:
    name = 'tessera'

    def __init__(self, h, binary, data):
        self.h, self.binary, self.data = h, binary, data
        self.config = h.mkdir('tessera-config')
        self.port = h.free_port('127.0.0.1')

    def start(self, tag):
        with open(os.path.join(self.config, 'settings.json'), 'w') as f:
            json.dump({'dht-enabled': False, 'lpd-enabled': False, 'pex-enabled': False,
                       'bind-address-ipv4': '127.0.0.1', 'download-dir': self.data, 'download-queue-enabled': False,
                       'rpc-port': self.port, 'peer-port': 0}, f)
        self.p = self.h.spawn(f'tessera-{tag}', [self.binary, 'daemon', '--config-dir', self.config])
        url = f'http://127.0.0.1:{self.port}/transmission/rpc'
        wait_up(url)
        return Rpc(url)

    def rehashed(self):
        # "resume data vouches for N pieces, M to re-verify": M summed over the restart's log.
        return sum(int(m) for m in re.findall(r'(\d+) to re-verify', self.p.text()))


class Transmission:
    name = 'transmission-daemon'

    def __init__(self, h, data):
        self.h, self.data = h, data
        self.config = h.mkdir('transmission-config')
        self.port = h.free_port('127.0.0.1')
        self.peer_port = h.free_port('127.0.0.1')

    def start(self, tag):
        settings = {'bind-address-ipv4': '127.0.0.1', 'peer-port': self.peer_port, 'port-forwarding-enabled': False,
                    'utp-enabled': False, 'dht-enabled': False, 'lpd-enabled': False, 'pex-enabled': False,
                    'rpc-bind-address': '127.0.0.1', 'rpc-port': self.port, 'rpc-whitelist': '127.0.0.1',
                    'rpc-host-whitelist-enabled': False, 'download-dir': self.data, 'download-queue-enabled': False,
                    'seed-queue-enabled': False, 'incomplete-dir-enabled': False, 'message-level': 1}
        path = os.path.join(self.config, 'settings.json')
        if os.path.exists(path):
            with open(path) as f:
                kept = json.load(f)
            kept.update(settings)
            settings = kept
        with open(path, 'w') as f:
            json.dump(settings, f)
        self.p = self.h.spawn(f'transmission-{tag}', ['transmission-daemon', '-f', '-g', self.config])
        url = f'http://127.0.0.1:{self.port}/transmission/rpc'
        wait_up(url)
        return Rpc(url)

    def rehashed(self):
        return None


def measure(d, ts, args):
    row = {'daemon': d.name}
    rpc = d.start('add')
    t0 = time.monotonic()
    for t in ts:
        with open(t.path, 'rb') as f:
            rpc('torrent-add', metainfo=base64.b64encode(f.read()).decode())
    row['add_s'] = time.monotonic() - t0
    wait_all_seeding(rpc, len(ts), args.timeout)
    row['add_to_seeding_s'] = time.monotonic() - t0
    d.p.stop(grace=60)

    t0 = time.monotonic()
    rpc = d.start('restart')
    _, verifying = wait_all_seeding(rpc, len(ts), args.timeout)
    row['restart_total_s'] = time.monotonic() - t0  # from the process start to all N seeding
    row['rehashed'] = d.rehashed() if d.rehashed() is not None else f'{verifying} seen verifying'

    time.sleep(args.settle)  # a benchmark's settling time, not a test wait
    c0, w0 = cpu_seconds(d.p.pid), time.monotonic()
    time.sleep(args.idle)  # a benchmark's measuring window, not a test wait
    row['idle_cpu_pct'] = 100 * (cpu_seconds(d.p.pid) - c0) / (time.monotonic() - w0)
    row['rss_mib'] = rss_mib(d.p.pid)
    times = []
    for _ in range(10):
        t1 = time.monotonic()
        got = rpc('torrent-get', fields=STATS_FIELDS)['torrents']
        times.append(time.monotonic() - t1)
        H.check(len(got) == len(ts), f'torrent-get returned {len(got)}')
    row['get_ms'] = 1000 * statistics.median(times)
    d.p.stop(grace=60)
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--tessera', required=True)
    ap.add_argument('--count', type=int, default=1000)
    ap.add_argument('--idle', type=float, default=60.0, help='seconds of the idle CPU window')
    ap.add_argument('--settle', type=float, default=30.0, help='seconds after the restart before the idle window')
    ap.add_argument('--timeout', type=float, default=600.0)
    ap.add_argument('--no-transmission', action='store_true')
    ap.add_argument('--keep', action='store_true')
    args = ap.parse_args()
    with H.Harness('bench_daemon_scale', keep=args.keep) as h:
        data, ts = make_torrents(h, args.count)
        daemons = [Tessera(h, args.tessera, h.mkdir('tessera-data'))]
        if not args.no_transmission and shutil.which('transmission-daemon'):
            daemons.append(Transmission(h, h.mkdir('transmission-data')))
        for d in daemons:
            for t in ts:  # each daemon seeds its own copy of the data
                shutil.copy(os.path.join(data, t.name), os.path.join(d.data, t.name))
        rows = [measure(d, ts, args) for d in daemons]
        print(f'\n{args.count} torrents of ~40 kB, seeded from disk; idle window {args.idle:.0f} s, '
              f'{args.settle:.0f} s after the restart')
        cols = [('daemon', '{:<20}'), ('add_s', '{:>8.1f}'), ('add_to_seeding_s', '{:>10.1f}'),
                ('restart_total_s', '{:>10.2f}'), ('rehashed', '{:>18}'), ('idle_cpu_pct', '{:>9.2f}'),
                ('rss_mib', '{:>8.1f}'), ('get_ms', '{:>8.1f}')]
        heads = ['daemon', 'add (s)', 'seeding (s)', 'restart (s)', 'pieces re-hashed', 'idle CPU %', 'RSS MiB',
                 'get (ms)']
        print(' '.join(f'{hd:>{len(fmt.format(rows[0][k])) if k != "daemon" else 20}}' for hd, (k, fmt) in zip(heads, cols)))
        for r in rows:
            print(' '.join(fmt.format(r[k]) for k, fmt in cols))
        for p in h.procs:
            p.stop()


if __name__ == '__main__':
    main()
