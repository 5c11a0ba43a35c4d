#!/usr/bin/env python3
"""`kill -9` of `tessera daemon` while five torrents download from real seeders (libtorrent,
upload-limited so the kill lands mid-download), added over the RPC (issue 10, test 6). After a
restart on the same config dir all five come back by themselves (nothing re-added), finish, and
their data verifies byte for byte; the seeders' upload counters show that only what was in flight
at the kill was fetched twice (the verified pieces were kept: resume data or the start-up check).
"""
import base64
import json
import os
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

PIECE = 64 * H.KIB
SIZE = 6 * H.MIB + 12345
RATE = 768 * H.KIB          # each seeder's upload limit, bytes/s
COUNT = 5
# Fetched twice at most: what was requested but not verified when the daemon died. tessera keeps
# at most a few pieces in flight per peer at these rates; 2 MiB per torrent is a generous bound
# and still far below a restart from scratch (6 MiB per torrent).
MAX_REFETCH_PER_TORRENT = 2 * H.MIB


class Rpc:
    """A minimal Transmission RPC client (the 409 session-id handshake, JSON bodies)."""

    def __init__(self, url):
        self.url, self.sid, self.tag = url, '', 0

    def __call__(self, method, **arguments):
        body = json.dumps({'method': method, 'arguments': arguments, 'tag': self.tag}).encode()
        self.tag += 1
        for _ in range(3):
            req = urllib.request.Request(self.url, data=body, headers={'X-Transmission-Session-Id': self.sid})
            try:
                with urllib.request.urlopen(req, timeout=30) as r:
                    reply = json.loads(r.read())
            except urllib.error.HTTPError as e:
                if e.code == 409:
                    self.sid = e.headers.get('X-Transmission-Session-Id', '')
                    continue
                raise
            H.check(reply.get('result') == 'success', f'{method}: {reply}')
            return reply['arguments']
        raise H.TestFailure(f'{method}: no session id accepted')


def torrents(rpc):
    return {t['hashString']: t for t in rpc('torrent-get', fields=['hashString', 'percentDone', 'haveValid',
                                                                    'status', 'name'])['torrents']}


def body(h, args):
    src = h.mkdir('seed')
    trk_port = h.free_port('127.0.0.1')
    announce = f'http://127.0.0.1:{trk_port}/announce'
    ts = []
    for i in range(COUNT):
        name = f'item{i}'
        H.make_payload(os.path.join(src, name), H.multi_file_layout(SIZE, PIECE), seed=10 + i, fast=True)
        ts.append(H.make_torrent(os.path.join(src, name), h.path(f'{name}.torrent'), [announce], PIECE))
    H.start_opentracker(h, [t.info_hash for t in ts], port=trk_port)
    seeds = [H.start_lt_seed(h, t, src, upload_limit=RATE, name=f'lt_seed{i}') for i, t in enumerate(ts)]

    config = h.mkdir('daemon-config')
    dl = h.mkdir('daemon-downloads')
    d = H.start_tessera_daemon(h, args.tessera, config_dir=config, download_dir=dl)
    rpc = Rpc(d.extra['url'])
    for t in ts:
        with open(t.path, 'rb') as f:
            added = rpc('torrent-add', metainfo=base64.b64encode(f.read()).decode())
        H.check('torrent-added' in added, f'add {t.name}: {added}')

    # Kill once every torrent is between a quarter and three quarters done.
    deadline = time.monotonic() + 120
    while True:
        now = torrents(rpc)
        done = [now[t.info_hash_hex]['percentDone'] for t in ts if t.info_hash_hex in now]
        if len(done) == COUNT and min(done) >= 0.25:
            break
        H.check(time.monotonic() < deadline, f'downloads did not get going: {done}\n{d.tail()}')
        time.sleep(0.2)
    H.check(max(done) < 1.0, f'a torrent finished before the kill (raise SIZE or lower RATE): {done}')
    d.kill9()
    killed_at = {t.info_hash_hex: now[t.info_hash_hex]['haveValid'] for t in ts}
    H.log(f'killed with {[round(x, 2) for x in done]} done')

    d = H.start_tessera_daemon(h, args.tessera, name='tessera_daemon_restarted', config_dir=config, download_dir=dl)
    rpc = Rpc(d.extra['url'])
    first = torrents(rpc)
    H.check(sorted(first) == sorted(t.info_hash_hex for t in ts), f'after the restart: {sorted(first)}')
    deadline = time.monotonic() + 240
    while True:
        now = torrents(rpc)
        if all(now[t.info_hash_hex]['percentDone'] == 1 for t in ts):
            break
        H.check(time.monotonic() < deadline, f'not finished after the restart: {now}\n{d.tail()}')
        time.sleep(0.3)
    for t in ts:
        H.compare_trees(os.path.join(src, t.name), os.path.join(dl, t.name))

    # Every byte of the downloads was counted once a seeder prints two more stats lines.
    for p in seeds:
        seen = len([l for l in p.lines() if 'lt_seed: uploaded' in l])
        deadline = time.monotonic() + 10
        while len([l for l in p.lines() if 'lt_seed: uploaded' in l]) < seen + 2:
            H.check(time.monotonic() < deadline, f'{p.name} stopped printing its counter')
            time.sleep(0.1)
    total_refetch = 0
    for t, p in zip(ts, seeds):
        uploaded = H.lt_seed_uploaded(p)
        refetch = uploaded - t.total_size
        H.log(f'{t.name}: seeder uploaded {uploaded} for {t.total_size} bytes '
              f'(verified at the kill: {killed_at[t.info_hash_hex]}); fetched twice: {refetch}')
        H.check(uploaded >= t.total_size - killed_at[t.info_hash_hex], f'{t.name}: uploaded too little?')
        H.check(refetch <= MAX_REFETCH_PER_TORRENT, f'{t.name}: {refetch} bytes fetched twice')
        total_refetch += refetch
    H.log(f'fetched twice in all: {total_refetch} bytes of {COUNT * SIZE}')


if __name__ == '__main__':
    a = H.common_args(__doc__).parse_args()
    H.run_test('test_daemon_kill9', body, a)
