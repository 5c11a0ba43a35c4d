#!/usr/bin/env python3
"""5,000 torrents in one `tessera daemon` under `ulimit -n 1024` (issue 10, test 7's test part):
the daemon starts with a catalogue of 5,000 small torrents whose data is on disk (written here as
the daemon itself writes them: <config>/torrents/<hash>.torrent and <hash>.json), every one is
checked and seeds, the RPC lists them all, and a stop and a restart bring them back without
hashing again. Today's open-file pool (max-open-files, 40) is what makes this possible: each
torrent used to hold its files and its directory open, and the 507th failed with EMFILE."""
import hashlib
import json
import os
import resource
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

COUNT = 5000
PIECE = 16 * H.KIB
NOFILE = 1024


def bencode(v):
    if isinstance(v, int):
        return b'i%de' % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b'%d:%s' % (len(v), v)
    if isinstance(v, list):
        return b'l' + b''.join(bencode(x) for x in v) + b'e'
    return b'd' + b''.join(bencode(k) + bencode(v[k]) for k in sorted(v, key=lambda k: k.encode())) + b'e'


def rpc(url, method, sid, **arguments):
    body = json.dumps({'method': method, 'arguments': arguments}).encode()
    for _ in range(3):
        req = urllib.request.Request(url, data=body, headers={'X-Transmission-Session-Id': sid[0]})
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                reply = json.loads(r.read())
                H.check(reply['result'] == 'success', f'{method}: {reply["result"]}')
                return reply['arguments']
        except urllib.error.HTTPError as e:
            if e.code != 409:
                raise
            sid[0] = e.headers['X-Transmission-Session-Id']
    raise H.TestFailure('no session id accepted')


def limited_nofile():
    resource.setrlimit(resource.RLIMIT_NOFILE, (NOFILE, NOFILE))


def start(h, tessera, config, name):
    port = h.free_port('127.0.0.1')
    argv = ['/bin/sh', '-c', f'ulimit -n {NOFILE} && exec "$0" "$@"', tessera, 'daemon', '--config-dir', config,
            '--rpc-port', str(port), '--port', '0']
    p = h.spawn(name, argv, ip='127.0.0.1', port=port)
    p.wait_for(r'tessera daemon: RPC on', 120)
    with open(f'/proc/{p.pid}/limits') as f:
        line = next(l for l in f if l.startswith('Max open files'))
    H.check(int(line.split()[3]) == NOFILE, f'the daemon runs with {line.strip()}')
    return p, f'http://127.0.0.1:{port}/transmission/rpc'


def wait_all_seeding(url, timeout):
    sid = ['']
    deadline = time.monotonic() + timeout
    while True:
        ts = rpc(url, 'torrent-get', sid, fields=['id', 'status', 'percentDone', 'error'])['torrents']
        seeding = sum(1 for t in ts if t['status'] == 6 and t['percentDone'] == 1)
        errors = [t for t in ts if t['error']]
        H.check(not errors, f'{len(errors)} torrents in error, e.g. {errors[:3]}')
        if len(ts) == COUNT and seeding == COUNT:
            return ts
        H.check(time.monotonic() < deadline, f'{seeding}/{len(ts)} seeding after {timeout} s')
        time.sleep(0.5)


def body(h, args):
    config = h.mkdir('config')
    tdir = h.mkdir('config', 'torrents')
    data = h.mkdir('data')
    with open(os.path.join(config, 'settings.json'), 'w') as f:
        json.dump({'dht-enabled': False, 'lpd-enabled': False, 'pex-enabled': False,
                   'bind-address-ipv4': '127.0.0.1', 'download-dir': data}, f)
    now = int(time.time())
    for i in range(COUNT):
        name = f'item{i:05d}.bin'
        payload = hashlib.sha256(b'%d' % i).digest() * (700 + i % 50)  # 22.4 to 24 kB
        with open(os.path.join(data, name), 'wb') as f:
            f.write(payload)
        pieces = b''.join(hashlib.sha1(payload[o:o + PIECE]).digest() for o in range(0, len(payload), PIECE))
        info = bencode({'name': name, 'length': len(payload), 'piece length': PIECE, 'pieces': pieces})
        ih = hashlib.sha1(info).hexdigest()
        with open(os.path.join(tdir, ih + '.torrent'), 'wb') as f:
            f.write(b'd4:info' + info + b'e')
        with open(os.path.join(tdir, ih + '.json'), 'w') as f:
            json.dump({'info_hash': ih, 'download_dir': data, 'paused': False, 'added_date': now,
                       'queue_position': i}, f)
    H.log(f'{COUNT} torrents written')

    t0 = time.monotonic()
    p, url = start(h, args.tessera, config, 'tessera_daemon')
    wait_all_seeding(url, 600)
    H.log(f'all {COUNT} seeding {time.monotonic() - t0:.1f} s after the start, under ulimit -n {NOFILE}')
    open_fds = len(os.listdir(f'/proc/{p.pid}/fd'))
    H.log(f'open descriptors: {open_fds}')
    H.check(open_fds < NOFILE // 2, f'{open_fds} descriptors open')
    H.check('Too many open files' not in p.text(), 'EMFILE in the log')
    p.stop(grace=120)
    H.check(p.returncode() == 0, f'stop: exit {p.returncode()}\n{p.tail()}')

    t0 = time.monotonic()
    p, url = start(h, args.tessera, config, 'tessera_daemon_restart')
    wait_all_seeding(url, 300)
    H.log(f'restart: all {COUNT} seeding after {time.monotonic() - t0:.1f} s')
    import re
    rechecked = sum(int(m) for m in re.findall(r'(\d+) to re-verify', p.text()))
    H.check(rechecked == 0, f'{rechecked} pieces hashed again after a clean restart')


if __name__ == '__main__':
    a = H.common_args(__doc__).parse_args()
    H.run_test('test_daemon_many', body, a)
