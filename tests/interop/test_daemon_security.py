#!/usr/bin/env python3
"""The daemon's RPC front against hostile or careless clients, over real sockets (issue 10, test 5):
a request without the session id gets 409 with X-Transmission-Session-Id (a bare GET too); a
foreign Host header gets 421 (auth off: DNS rebinding); a source address outside the whitelist
(the client bound to 127.0.0.2) gets 403; a 100 MiB body gets 413 before it is sent; malformed
bodies get a JSON error and the daemon stays up; with a password, a wrong one gets 401 with
WWW-Authenticate, and repeated failures lock the source out (403, even with the right password)
while another source still gets in; a non-loopback --rpc-bind without a password refuses to start."""
import base64
import http.client
import json
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402


def request(port, method='POST', path='/transmission/rpc', body=b'', headers=None, source='127.0.0.1'):
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=30, source_address=(source, 0))
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        c.close()


def session_id(port, headers=None):
    status, hdrs, _ = request(port, 'GET', headers=headers)
    H.check(status == 409 and 'X-Transmission-Session-Id' in hdrs, f'bare GET: {status} {hdrs}')
    return hdrs['X-Transmission-Session-Id']


def rpc_body(method, **arguments):
    return json.dumps({'method': method, 'arguments': arguments, 'tag': 3}).encode()


def body(h, args):
    d = H.start_tessera_daemon(h, args.tessera)
    port = d.extra['rpc_port']

    sid = session_id(port)
    H.check(len(sid) == 48 and sid.isalnum(), f'session id {sid!r}')
    status, hdrs, _ = request(port, body=rpc_body('session-get'))
    H.check(status == 409 and hdrs.get('X-Transmission-Session-Id') == sid, f'POST without id: {status}')
    status, _, _ = request(port, body=rpc_body('session-get'), headers={'X-Transmission-Session-Id': 'x' * 48})
    H.check(status == 409, f'POST with a wrong id: {status}')
    ok = {'X-Transmission-Session-Id': sid}
    status, _, raw = request(port, path='/transmission/rpc/', body=rpc_body('session-get'), headers=ok)
    H.check(status == 200 and json.loads(raw)['arguments']['rpc-version'] == 16, f'trailing slash: {status} {raw[:200]}')

    status, _, raw = request(port, body=rpc_body('session-get'), headers={**ok, 'Host': 'evil.example:9091'})
    H.check(status == 421 and b'rpc-host-whitelist' in raw, f'foreign Host: {status} {raw[:200]}')
    status, _, _ = request(port, body=rpc_body('session-get'), headers={**ok, 'Host': 'localhost:9091'})
    H.check(status == 200, f'Host localhost: {status}')

    status, _, _ = request(port, body=rpc_body('session-get'), headers=ok, source='127.0.0.2')
    H.check(status == 403, f'source 127.0.0.2 outside the whitelist: {status}')

    # 100 MiB announced: refused from the header, before the body is sent.
    with socket.create_connection(('127.0.0.1', port), timeout=30) as s:
        s.sendall(b'POST /transmission/rpc HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Transmission-Session-Id: ' +
                  sid.encode() + b'\r\nContent-Length: 104857600\r\n\r\n' + b'{' * 65536)
        head = s.recv(4096).decode('latin-1')
    H.check(head.startswith('HTTP/1.1 413'), f'100 MiB body: {head[:100]!r}')

    for bad in (b'not json', b'{"method":', json.dumps({'method': 'torrent-add', 'arguments': {'metainfo': '%%%'}}).encode(),
                json.dumps({'method': 'torrent-add', 'arguments': {'metainfo': base64.b64encode(b'd4:infoi1ee').decode()}}).encode(),
                json.dumps({'method': 'torrent-get', 'arguments': {'fields': 'id', 'ids': {'x': [1]}}}).encode(),
                b'[' * 100000):
        status, _, raw = request(port, body=bad, headers=ok)
        H.check(status == 200, f'malformed body {bad[:40]!r}: HTTP {status}')
        reply = json.loads(raw)
        H.check(isinstance(reply.get('result'), str) and isinstance(reply.get('arguments'), dict),
                f'malformed body {bad[:40]!r}: {reply}')
        H.log(f'malformed body {bad[:40]!r}: {reply["result"]!r}')
    status, _, raw = request(port, body=rpc_body('session-stats'), headers=ok)
    H.check(status == 200 and json.loads(raw)['result'] == 'success', 'the daemon did not survive malformed bodies')

    # With a password.
    d.stop()
    d = H.start_tessera_daemon(h, args.tessera, name='tessera_daemon_auth', config_dir=d.extra['config_dir'],
                               extra=['--rpc-username', 'admin', '--rpc-password', 's3cret'],
                               settings={'rpc-whitelist': '127.0.0.1,127.0.0.3,::1'})
    port = d.extra['rpc_port']

    def auth(user, password):
        return {'Authorization': 'Basic ' + base64.b64encode(f'{user}:{password}'.encode()).decode()}
    status, hdrs, _ = request(port, 'GET')
    H.check(status == 401 and hdrs.get('WWW-Authenticate', '').startswith('Basic realm="Transmission"'),
            f'no credentials: {status} {hdrs}')
    sid = session_id(port, auth('admin', 's3cret'))
    good = {**auth('admin', 's3cret'), 'X-Transmission-Session-Id': sid}
    status, _, _ = request(port, body=rpc_body('session-get'), headers=good)
    H.check(status == 200, f'right password: {status}')
    statuses = []
    for i in range(50):
        status, _, _ = request(port, body=rpc_body('session-get'),
                               headers={**auth('admin', f'guess{i}'), 'X-Transmission-Session-Id': sid})
        statuses.append(status)
    H.check(statuses[0] == 401 and statuses[-1] == 403, f'50 wrong passwords: {statuses}')
    H.log(f'locked out after {statuses.index(403)} failures')
    status, _, _ = request(port, body=rpc_body('session-get'), headers=good)
    H.check(status == 403, f'the right password from a locked-out source: {status}')
    status, _, _ = request(port, body=rpc_body('session-get'), headers=good, source='127.0.0.3')
    H.check(status == 200, f'another source during the lockout: {status}')
    d.stop()

    # A non-loopback RPC address without a password: refuses to start.
    p = h.spawn('tessera_daemon_open', [args.tessera, 'daemon', '--config-dir', h.mkdir('open-config'),
                                        '--rpc-bind', '0.0.0.0', '--rpc-port', str(h.free_port('127.0.0.1')),
                                        '--port', '0', '--download-dir', h.mkdir('open-dl')])
    rc = p.wait(30)
    H.check(rc is not None and rc != 0, f'non-loopback bind without auth: exit {rc}\n{p.tail()}')
    H.log(f'--rpc-bind 0.0.0.0 without auth: exit {rc}: {p.lines()[-1] if p.lines() else ""}')


if __name__ == '__main__':
    a = H.common_args(__doc__).parse_args()
    H.run_test('test_daemon_security', body, a)
