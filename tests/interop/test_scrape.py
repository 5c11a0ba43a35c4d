#!/usr/bin/env python3
"""Tracker scrape (BEP 48 over HTTP, BEP 15 over UDP): tessera's figures equal opentracker's.

One opentracker (HTTP and UDP on one port) tracks two torrents: `over-http` announced to
http://127.0.0.1:P/announce, `over-udp` to udp://127.0.0.1:P (no path: BEP 15 needs none). Each
swarm holds two python3-libtorrent seeds and one python3-libtorrent leecher with every file
skipped (it downloads nothing and stays a leecher), and the test waits until opentracker counts
them (2 seeds, 1 leecher).

`tessera daemon` then seeds both (the data is already in its download directory). Its first
scrape follows its first successful announce; once trackerStats says the scrape succeeded, its
seederCount, leecherCount and downloadCount must equal what opentracker answers to the test's
own scrape of the same hash, over the same protocol (an HTTP scrape for `over-http`, a BEP 15 UDP
connect + scrape for `over-udp`): one seed more than before tessera came, 1 leecher, and 1
download (a third python3-libtorrent peer downloaded the torrent whole and left before tessera
came; opentracker counted its `completed`). The other scrape
fields of trackerStats are checked against Transmission 3.00's meaning, and
transmission-remote 3.00's `-it` prints "Tracker had N seeders and 1 leechers".

A third torrent, `no-scrape`, announces to http://127.0.0.1:Q/tracker (a recording HTTP tracker
in this script): BEP 48 derives no scrape URL from a path without `announce`, so tessera never
sends it anything but announces, and trackerStats shows no scrape (`scrape` "", hasScraped false,
scrapeState 0).
"""
import base64
import json
import os
import random
import socket
import struct
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
import libtorrent as lt  # noqa: E402

PIECE = 32 * H.KIB
TOTAL = 2 * H.MIB + 777
TIMEOUT = 120


def rpc(url, method, **arguments):
    body = json.dumps({'method': method, 'arguments': arguments}).encode()
    sid = ''
    for _ in range(3):
        req = urllib.request.Request(url, data=body, headers={'X-Transmission-Session-Id': sid})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                reply = json.loads(r.read())
                H.check(reply['result'] == 'success', f'{method}: {reply}')
                return reply['arguments']
        except urllib.error.HTTPError as e:
            if e.code != 409:
                raise
            sid = e.headers['X-Transmission-Session-Id']
    raise H.TestFailure('no session id accepted')


def http_scrape(port, info_hash):
    """(complete, downloaded, incomplete) opentracker gives for info_hash by BEP 48; None when the
    hash is not in `files`."""
    url = f'http://127.0.0.1:{port}/scrape?info_hash=' + urllib.parse.quote_from_bytes(info_hash)
    with urllib.request.urlopen(url, timeout=5) as r:
        d = lt.bdecode(r.read()) or {}
    st = d.get(b'files', {}).get(info_hash)
    if st is None:
        return None
    return st.get(b'complete'), st.get(b'downloaded'), st.get(b'incomplete')


def udp_scrape(port, info_hash):
    """(seeders, completed, leechers) opentracker gives for info_hash by BEP 15 (connect, then
    scrape), as (complete, downloaded, incomplete) for comparison with http_scrape."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(('127.0.0.1', 0))
        s.settimeout(2)
        s.connect(('127.0.0.1', port))
        for _ in range(5):
            try:
                tid = random.getrandbits(32)
                s.send(struct.pack('>QII', 0x41727101980, 0, tid))
                action, rtid, cid = struct.unpack('>IIQ', s.recv(2048)[:16])
                H.check(action == 0 and rtid == tid, f'UDP connect reply: action {action}')
                tid = random.getrandbits(32)
                s.send(struct.pack('>QII', cid, 2, tid) + info_hash)
                reply = s.recv(2048)
                action, rtid = struct.unpack('>II', reply[:8])
                H.check(action == 2 and rtid == tid and len(reply) >= 20, f'UDP scrape reply: {reply!r}')
                seeders, completed, leechers = struct.unpack('>iii', reply[8:20])
                return seeders, completed, leechers
            except socket.timeout:
                continue
    raise H.TestFailure('opentracker did not answer a UDP scrape')


class RecordingTracker:
    """An HTTP tracker on 127.0.0.1 that records every request target and answers each with an
    empty peer list (interval 30 minutes)."""

    def __init__(self):
        targets = self.targets = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                targets.append(self.path)
                body = b'd8:intervali1800e5:peers0:e'
                self.send_response(200)
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def wait(what, cond, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise H.TestFailure(f'timed out waiting for {what}')
        time.sleep(0.2)


def start_idle_leecher(h, t, name):
    """A python3-libtorrent leecher with every file skipped: it stays a leecher for the whole test."""
    ip = h.next_ip()
    port = h.free_port(ip)
    out = h.mkdir(name)
    p = h.spawn(name, [H.PYTHON, '-u', os.path.join(H.PEERS_DIR, 'lt_leech.py'), '--torrent', t.path,
                       '--save-path', out, '--ip', ip, '--port', str(port), '--timeout', '600',
                       '--skip-all'], ip=ip, port=port)
    p.kind = 'libtorrent'
    return p


def tracker_stats(url, tid):
    return rpc(url, 'torrent-get', ids=[tid], fields=['trackerStats'])['torrents'][0]['trackerStats']


def body(h, args):
    src = h.mkdir('data')
    trk_port = h.free_port('127.0.0.1')
    rec = RecordingTracker()
    try:
        run(h, args, src, trk_port, rec)
    finally:
        rec.close()


def run(h, args, src, trk_port, rec):
    made = {}
    for i, (name, announce) in enumerate([('over-http', f'http://127.0.0.1:{trk_port}/announce'),
                                          ('over-udp', f'udp://127.0.0.1:{trk_port}'),
                                          ('no-scrape', f'http://127.0.0.1:{rec.port}/tracker')]):
        H.make_payload(os.path.join(src, name), H.multi_file_layout(TOTAL, PIECE), seed=40 + i)
        made[name] = H.make_torrent(os.path.join(src, name), h.path(f'{name}.torrent'), [announce], PIECE)
    t_http, t_udp, t_none = made['over-http'], made['over-udp'], made['no-scrape']
    H.start_opentracker(h, [t_http.info_hash, t_udp.info_hash], port=trk_port)
    full = []
    for t in (t_http, t_udp):
        for k in range(2):
            H.start_lt_seed(h, t, src, name=f'lt_seed_{t.name}_{k}')
        start_idle_leecher(h, t, f'lt_leech_{t.name}')
        full.append(H.start_leecher(h, 'libtorrent', t, h.path(f'full_{t.name}'), name=f'lt_full_{t.name}'))
    for p in full:
        H.wait_leecher(p, TIMEOUT)
    # The full leechers finished (opentracker's `downloaded` counts them) and left (a `stopped`
    # announce, normally: then 2 seeds remain). The figures settle once two scrapes agree.
    settled = {}
    for t in (t_http, t_udp):
        def stable(t=t):
            a = http_scrape(trk_port, t.info_hash)
            ok = a and a[1] == 1 and a[2] == 1 and a[0] in (2, 3) and http_scrape(trk_port, t.info_hash) == a
            return a if ok else None
        settled[t.name] = wait(f'opentracker to count 1 download and 1 leecher of {t.name}', stable)
    H.log(f'opentracker before tessera (complete, downloaded, incomplete): {settled}')

    d = H.start_tessera_daemon(h, args.tessera, download_dir=src)
    url = d.extra['url']
    ids = {}

    def add(t):
        with open(t.path, 'rb') as f:
            added = rpc(url, 'torrent-add', metainfo=base64.b64encode(f.read()).decode())
        ids[t.name] = added['torrent-added']['id']

    # The torrent without a scrape URL first: by the time the others have been scraped, a scrape
    # of it (were one planned after its first announce) would have been sent.
    add(t_none)
    wait('the recording tracker to get an announce', lambda: rec.targets)
    add(t_http)
    add(t_udp)

    for t, own_scrape, scheme in ((t_http, http_scrape, 'HTTP'), (t_udp, udp_scrape, 'UDP')):
        st = wait(f'tessera to scrape {t.name} ({scheme})',
                  lambda t=t: (lambda s: s if s['lastScrapeSucceeded'] else None)(tracker_stats(url, ids[t.name])[0]))
        theirs = own_scrape(trk_port, t.info_hash)
        ours = (st['seederCount'], st['downloadCount'], st['leecherCount'])
        H.log(f'{t.name}: tessera scraped {ours} (complete, downloaded, incomplete); opentracker says {theirs}')
        H.check(ours == tuple(theirs), f'{t.name}: tessera {ours} != opentracker {theirs} over {scheme}')
        before = settled[t.name]
        H.check(ours == (before[0] + 1, 1, 1), f'{t.name}: expected tessera as one more seed than {before}: {ours}')
        now = time.time()
        H.check(st['hasScraped'] is True and st['lastScrapeTimedOut'] is False, f'{t.name}: {st}')
        H.check(st['lastScrapeResult'] == 'Success', f'{t.name}: lastScrapeResult {st["lastScrapeResult"]!r}')
        H.check(0 < st['lastScrapeStartTime'] <= st['lastScrapeTime'] <= now + 1, f'{t.name}: times {st}')
        # The next scrape is planned 30 minutes after this one (Transmission 3.00's interval).
        H.check(abs(st['nextScrapeTime'] - (st['lastScrapeTime'] + 1800)) <= 2, f'{t.name}: nextScrapeTime {st}')
        H.check(st['scrapeState'] == 1, f'{t.name}: scrapeState {st["scrapeState"]} (1: waiting)')
        expected_url = (f'http://127.0.0.1:{trk_port}/scrape' if scheme == 'HTTP' else f'udp://127.0.0.1:{trk_port}')
        H.check(st['scrape'] == expected_url, f'{t.name}: scrape URL {st["scrape"]!r}')
        out = H.remote_ok(d, '-t', str(ids[t.name]), '-it')
        H.check(f'Tracker had {ours[0]} seeders and 1 leechers' in out, f'transmission-remote -it:\n{out}')

    none = tracker_stats(url, ids['no-scrape'])[0]
    H.log(f'no-scrape: {none}')
    H.check(none['lastAnnounceSucceeded'] is True, f'no-scrape: the announce failed: {none}')
    H.check(none['scrape'] == '' and none['hasScraped'] is False and none['scrapeState'] == 0
            and none['lastScrapeTime'] == 0 and none['nextScrapeTime'] == 0, f'no-scrape: {none}')
    H.check(rec.targets and all(x.startswith('/tracker?') and 'peer_id=' in x for x in rec.targets),
            f'the recording tracker got more than announces: {rec.targets}')
    H.log(f'the tracker without `announce` in its path got {len(rec.targets)} announce(s), no scrape')


if __name__ == '__main__':
    H.run_test('test_scrape', body, H.common_args(__doc__).parse_args())
