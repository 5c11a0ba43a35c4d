#!/usr/bin/env python3
"""The daemon's event stream, /tessera/events (issue 11), over real sockets with a real tracker
(opentracker) and a real seeder (libtorrent, its upload limited so the download takes seconds):
Python's http.client reads the Server-Sent Events while the RPC adds the torrent. Checked: the
reply's head; `hello` first, carrying the RPC's session id (which the RPC then accepts);
torrent-added with the RPC's id, name and hash; ticks whose percentDone rises to 1 and whose
values, applied in order, equal torrent-get's; torrent-finished; torrent-state (at the finish and
on torrent-stop); torrent-removed after torrent-remove; an Origin of another site gets 403 and
our own origin the stream; with a password, 401 without WWW-Authenticate when X-Tessera-Web: 1
(with it otherwise) and the stream with credentials; over HTTPS, the https:// origin only;
`tessera watch --count N --json` prints the events as JSON lines (over HTTPS too); `tessera
watch` says on stderr that the stream ended when the daemon stops, reconnects when it is back,
and exits 0 on SIGTERM and 130 on SIGINT."""
import base64
import http.client
import json
import os
import queue
import signal
import ssl
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

PIECE = 64 * H.KIB
TICK_FIELDS = ['status', 'percentDone', 'rateDownload', 'rateUpload', 'eta', 'uploadRatio', 'peersConnected',
               'peersSendingToUs', 'peersGettingFromUs', 'uploadedEver', 'downloadedEver', 'haveValid',
               'leftUntilDone', 'sizeWhenDone', 'totalSize', 'recheckProgress', 'metadataPercentComplete',
               'queuePosition', 'error', 'errorString', 'isFinished', 'isStalled', 'name', 'labels',
               'downloadDir', 'activityDate']
# Values that move by themselves between a tick and a torrent-get that follows it.
MOVING = {'rateDownload', 'rateUpload', 'eta', 'peersConnected', 'peersSendingToUs', 'peersGettingFromUs',
          'isStalled', 'activityDate', 'uploadedEver', 'uploadRatio'}


class Stream:
    """An open /tessera/events: its reply, and a thread that parses the SSE messages into a queue
    of (event, id, data) -- data parsed as JSON -- ending with None when the stream closes."""

    def __init__(self, port, headers=None):
        self.conn = http.client.HTTPConnection('127.0.0.1', port, timeout=60)
        self.conn.request('GET', '/tessera/events', headers=headers or {})
        self.reply = self.conn.getresponse()
        self.events = queue.Queue()
        self.seen = []
        if self.reply.status == 200:
            threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        name, ident, data = None, None, []
        try:
            while True:
                line = self.reply.readline()
                if not line:
                    break
                line = line.decode().rstrip('\r\n')
                if line == '':
                    if data:
                        self.events.put((name or 'message', ident, json.loads('\n'.join(data))))
                    name, data = None, []
                elif line.startswith(':'):
                    continue
                elif line.startswith('event: '):
                    name = line[7:]
                elif line.startswith('id: '):
                    ident = int(line[4:])
                elif line.startswith('data: '):
                    data.append(line[6:])
        except (OSError, ValueError) as e:
            self.events.put(('error', None, str(e)))
        self.events.put(None)

    def next(self, timeout=60):
        try:
            e = self.events.get(timeout=timeout)
        except queue.Empty:
            raise H.TestFailure(f'no event within {timeout} s; seen: {[x[0] for x in self.seen[-20:]]}')
        H.check(e is not None, f'the stream closed; seen: {[x[0] for x in self.seen[-20:]]}')
        self.seen.append(e)
        return e

    def until(self, pred, what, timeout=120, apply=None):
        """Reads events (each passed to apply) until pred(event); returns that event."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise H.TestFailure(f'{what}: not within {timeout} s; seen: {[x[0] for x in self.seen[-30:]]}')
            e = self.next(timeout=left)
            if apply:
                apply(e)
            if pred(e):
                return e

    def close(self):
        self.conn.close()


class Rpc:
    def __init__(self, port, session_id='', auth=None):
        self.port, self.sid, self.auth = port, session_id, auth

    def __call__(self, method, **arguments):
        for _ in range(3):
            c = http.client.HTTPConnection('127.0.0.1', self.port, timeout=60)
            headers = {'X-Transmission-Session-Id': self.sid, 'Content-Type': 'application/json'}
            if self.auth:
                headers['Authorization'] = 'Basic ' + base64.b64encode(self.auth.encode()).decode()
            c.request('POST', '/transmission/rpc', body=json.dumps({'method': method, 'arguments': arguments}),
                      headers=headers)
            r = c.getresponse()
            raw = r.read()
            c.close()
            if r.status == 409:
                self.sid = r.getheader('X-Transmission-Session-Id')
                continue
            H.check(r.status == 200, f'{method}: HTTP {r.status} {raw[:200]}')
            reply = json.loads(raw)
            H.check(reply['result'] == 'success', f'{method}: {reply["result"]}')
            return reply['arguments']
        raise H.TestFailure(f'{method}: 409 three times')


def read_while(stream, cond, apply, what, timeout=30, detail=None):
    """Reads events (each passed to apply) while cond() holds."""
    deadline = time.monotonic() + timeout
    while cond():
        left = deadline - time.monotonic()
        if left <= 0:
            raise H.TestFailure(f'{what}: not within {timeout} s {detail() if detail else ""}')
        try:
            e = stream.events.get(timeout=left)
        except queue.Empty:
            continue
        H.check(e is not None, f'{what}: the stream closed')
        stream.seen.append(e)
        apply(e)


def wait_until(pred, timeout):
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def plain_get(port, headers):
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
    c.request('GET', '/tessera/events', headers=headers)
    r = c.getresponse()
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    status = r.status
    c.close()
    return status, hdrs


def body(h, args):
    src = h.mkdir('seed')
    H.make_payload(os.path.join(src, 'alpha'), H.multi_file_layout(6 * H.MIB + 4321, PIECE), seed=11)
    trk_port = h.free_port('127.0.0.1')
    announce = f'http://127.0.0.1:{trk_port}/announce'
    ta = H.make_torrent(os.path.join(src, 'alpha'), h.path('alpha.torrent'), [announce], PIECE)
    H.start_opentracker(h, [ta.info_hash], port=trk_port)
    H.start_lt_seed(h, ta, src, upload_limit=1500 * 1000, name='lt_seed_alpha')  # about 4 s of download

    d = H.start_tessera_daemon(h, args.tessera)
    port = d.extra['rpc_port']

    # ---- the stream: head and hello ------------------------------------------------------
    s = Stream(port, {'Origin': f'http://127.0.0.1:{port}'})
    H.check(s.reply.status == 200, f'GET /tessera/events: {s.reply.status}')
    ctype = s.reply.getheader('Content-Type')
    H.check(ctype == 'text/event-stream', f'Content-Type {ctype!r}')
    H.check(s.reply.getheader('Cache-Control') == 'no-store', 'Cache-Control')
    H.check(s.reply.getheader('Content-Length') is None, 'a Content-Length on the stream')
    name, _, hello = s.next()
    H.check(name == 'hello', f'first event {name}')
    H.check(hello.get('rpc-version') == 16 and hello.get('interval') == 1000 and hello.get('version'), f'hello {hello}')
    sid = hello['session-id']
    H.check(len(sid) == 48 and sid.isalnum(), f'hello session-id {sid!r}')
    rpc = Rpc(port, sid)
    rpc('session-get')  # the id from hello is accepted
    H.check(rpc.sid == sid, 'the RPC answered 409 to the session id of hello')

    # ---- a download ----------------------------------------------------------------------
    with open(ta.path, 'rb') as f:
        metainfo = base64.b64encode(f.read()).decode()
    added = rpc('torrent-add', metainfo=metainfo)['torrent-added']
    tid = added['id']
    e = s.until(lambda e: e[0] == 'torrent-added', 'torrent-added')
    H.check(e[2] == {'id': tid, 'name': 'alpha', 'hashString': ta.info_hash_hex}, f'torrent-added {e[2]}')

    view = {}  # the client's view of torrent tid, from ticks and torrent-state
    percents = []
    states = []

    def apply(ev):
        n, _, data = ev
        if n == 'tick':
            for t in data.get('torrents', []):
                if t['id'] == tid:
                    view.update({k: v for k, v in t.items() if k != 'id'})
                    if 'percentDone' in t:
                        percents.append(t['percentDone'])
        elif n == 'torrent-state' and data['id'] == tid:
            view['status'] = data['status']
            states.append((data['previous'], data['status']))

    fin = s.until(lambda e: e[0] == 'torrent-finished' and e[2]['id'] == tid, 'torrent-finished', apply=apply)
    H.check(fin[2]['name'] == 'alpha' and fin[2]['status'] in (5, 6), f'torrent-finished {fin[2]}')
    H.compare_trees(os.path.join(src, 'alpha'), os.path.join(d.extra['download_dir'], 'alpha'))
    H.log(f'percentDone seen in ticks: {percents}')
    rising = [p for p in percents if 0 < p < 1]
    H.check(len(rising) >= 2 and rising == sorted(rising), f'percentDone did not rise over ticks: {percents}')
    # The finish is also a state change (downloading -> seeding), told at once or by the next tick.
    read_while(s, lambda: not (view.get('percentDone') == 1 and view.get('status') == 6), apply,
               'the tick after the finish')
    H.check(any(new == 6 for _, new in states), f'no torrent-state to seeding: {states}')

    # The view built from the events equals torrent-get, values that move by themselves aside.
    # torrent-get folds the engine's counters first, so the next tick may still bring the last ones.
    got = rpc('torrent-get', ids=[tid], fields=TICK_FIELDS)['torrents'][0]
    for k in MOVING:
        H.check(k in view, f'{k} never sent')

    def differing():
        return {k: (view.get(k), got[k]) for k in TICK_FIELDS if k not in MOVING and view.get(k) != got[k]}

    read_while(s, differing, apply, 'the events to give torrent-get\'s values', timeout=10,
               detail=lambda: f'(events, torrent-get): {differing()}')

    rpc('torrent-stop', ids=[tid])
    e = s.until(lambda e: e[0] == 'torrent-state' and e[2]['id'] == tid and e[2]['status'] == 0,
                'torrent-state after torrent-stop', timeout=30, apply=apply)
    H.check(e[2]['previous'] == 6, f'torrent-state after stop: {e[2]}')
    rpc('torrent-remove', ids=[tid])
    e = s.until(lambda e: e[0] == 'torrent-removed', 'torrent-removed', timeout=30)
    H.check(e[2] == {'id': tid}, f'torrent-removed {e[2]}')
    ids = [x[1] for x in s.seen]
    H.check(ids == sorted(ids) and len(set(ids)) == len(ids), f'event ids not increasing: {ids}')
    s.close()

    # ---- origin ---------------------------------------------------------------------------
    status, _ = plain_get(port, {'Origin': 'http://evil.example'})
    H.check(status == 403, f'Origin of another site: {status}')
    status, _ = plain_get(port, {'Origin': f'https://127.0.0.1:{port}'})
    H.check(status == 403, f'https Origin on an http daemon: {status}')

    # ---- `tessera watch --count N --json` -------------------------------------------------
    w = h.spawn('watch_json', [args.tessera, 'watch', '--json', '--count', '3', '--rpc', d.extra['url']])
    w.wait_for(r'"event":"hello"', 30)
    again = rpc('torrent-add', metainfo=metainfo, paused=True)['torrent-added']
    rc = w.wait(60)
    H.check(rc == 0, f'tessera watch --count 3: exit {rc}\n{w.tail()}')
    lines = [json.loads(x) for x in w.lines() if x.startswith('{')]
    H.check(len(lines) == 3 and all(set(x) == {'event', 'id', 'data'} for x in lines), f'watch --json: {lines}')
    names = [x['event'] for x in lines]
    H.check(names[0] == 'hello' and 'torrent-added' in names, f'watch --json events: {names}')
    H.check(any(x['event'] == 'torrent-added' and x['data']['id'] == again['id'] for x in lines), f'{lines}')

    # ---- `tessera watch` across a daemon restart; SIGTERM and SIGINT ------------------------
    w = h.spawn('watch_text', [args.tessera, 'watch', '--rpc', d.extra['url']])
    w.wait_for(r'hello\s+tessera', 30)
    w.wait_for(r'tick\s+down', 30)  # the first tick names the torrent
    d.stop()
    w.wait_for(r'the event stream ended', 30)
    d = H.start_tessera_daemon(h, args.tessera, name='tessera_daemon_again', config_dir=d.extra['config_dir'],
                               download_dir=d.extra['download_dir'], rpc_port=port)
    H.check(wait_until(lambda: len([x for x in w.lines() if 'hello' in x]) >= 2, 30),
            f'tessera watch did not reconnect:\n{w.tail()}')
    w.signal_group(signal.SIGTERM)
    rc = w.wait(15)
    H.check(rc == 0, f'tessera watch after SIGTERM: exit {rc}')
    w = h.spawn('watch_int', [args.tessera, 'watch', '--rpc', d.extra['url']])
    w.wait_for(r'hello', 30)
    w.signal_group(signal.SIGINT)
    rc = w.wait(15)
    H.check(rc == 130, f'tessera watch after SIGINT: exit {rc}')
    d.stop()

    # ---- with a password --------------------------------------------------------------------
    d = H.start_tessera_daemon(h, args.tessera, name='tessera_daemon_auth',
                               extra=['--rpc-username', 'admin', '--rpc-password', 's3cret'])
    port = d.extra['rpc_port']
    status, hdrs = plain_get(port, {'X-Tessera-Web': '1'})
    H.check(status == 401 and 'www-authenticate' not in hdrs, f'X-Tessera-Web: 1 without credentials: {status} {hdrs}')
    status, hdrs = plain_get(port, {})
    H.check(status == 401 and hdrs.get('www-authenticate', '').startswith('Basic'),
            f'no credentials, no X-Tessera-Web: {status} {hdrs}')
    good = 'Basic ' + base64.b64encode(b'admin:s3cret').decode()
    s = Stream(port, {'Authorization': good, 'X-Tessera-Web': '1'})
    H.check(s.reply.status == 200, f'with credentials: {s.reply.status}')
    H.check(s.next()[0] == 'hello', 'hello with credentials')
    s.close()
    w = h.spawn('watch_auth', [args.tessera, 'watch', '--json', '--count', '1', '--auth', 'admin:s3cret',
                               '--rpc', d.extra['url']])
    rc = w.wait(30)
    H.check(rc == 0 and '"event":"hello"' in w.text(), f'tessera watch --auth: exit {rc}\n{w.tail()}')
    w = h.spawn('watch_noauth', [args.tessera, 'watch', '--rpc', d.extra['url']])
    rc = w.wait(30)
    H.check(rc == 1 and '401' in w.text(), f'tessera watch without credentials: exit {rc}\n{w.tail()}')
    d.stop()

    # ---- over HTTPS ------------------------------------------------------------------------
    cert, key = h.path('cert.pem'), h.path('key.pem')
    r = subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
                        '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1',
                        '-addext', 'subjectAltName=IP:127.0.0.1'], capture_output=True, text=True)
    H.check(r.returncode == 0, f'openssl req: {r.stderr}')
    d = H.start_tessera_daemon(h, args.tessera, name='tessera_daemon_tls', extra=['--rpc-cert', cert, '--rpc-key', key])
    port = d.extra['rpc_port']
    ctx = ssl.create_default_context(cafile=cert)
    for origin, expected in ((f'https://127.0.0.1:{port}', 200), (f'http://127.0.0.1:{port}', 403)):
        c = http.client.HTTPSConnection('127.0.0.1', port, timeout=30, context=ctx)
        c.request('GET', '/tessera/events', headers={'Origin': origin})
        r = c.getresponse()
        H.check(r.status == expected, f'HTTPS stream with Origin {origin}: {r.status}, expected {expected}')
        if expected == 200:
            H.check(r.readline() == b'event: hello\n', 'HTTPS stream: hello first')
        c.close()
    w = h.spawn('watch_tls', [args.tessera, 'watch', '--json', '--count', '1', '--rpc',
                              f'https://127.0.0.1:{port}/transmission/rpc'], env={**os.environ, 'SSL_CERT_FILE': cert})
    rc = w.wait(30)
    H.check(rc == 0 and '"event":"hello"' in w.text(), f'tessera watch over HTTPS: exit {rc}\n{w.tail()}')


if __name__ == '__main__':
    a = H.common_args(__doc__).parse_args()
    H.run_test('test_event_stream', body, a)
