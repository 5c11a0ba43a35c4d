#!/usr/bin/env python3
"""Scripted hostile HTTP(S) trackers for interop tests (test_hostile_tracker.py). One process, one
listener per `--listen IP:PORT:MODE`, each a threaded http.server; every request is logged as one
flushed line `tracker MODE IP:PORT GET <path> from <ip>` (after the reply was sent).

Modes:
  flood   answers every announce with a body just under 2 MiB (tessera's HTTP body limit): a compact
          peer list of distinct addresses from 127.100.0.0 up, all on --flood-port, with the --seeder
          endpoint at position --seeder-index; interval 30 s (the shortest a client honours).
  chain   answers every request with a 302 to the next `chain` listener (round robin, so each hop
          goes to another host), `/announce/hop<N+1>?<query>`: a redirect chain without an end.
  https   (needs --tls-cert/--tls-key) answers every request with a 302 to the first `sink`
          listener over plain http: an https -> http downgrade.
  sink    answers any request with a `failure reason` (a client that followed the downgrade lands
          here, having sent its announce in clear text; failing, it goes on to the next tier
          whether it followed or not, so the flood is reached either way).
"""
import argparse
import http.server
import re
import socket
import ssl
import struct
import sys
import threading
import time

BODY_LIMIT = 2 * 1024 * 1024


def flood_body(port, seeder, seeder_index):
    """bencoded {interval: 30, peers: <compact list>} of at most BODY_LIMIT bytes."""
    head_tail = len(b'd8:intervali30e5:peers') + len(b'e') + len(f'{BODY_LIMIT}:')
    n = (BODY_LIMIT - head_tail) // 6
    base = (127 << 24) | (100 << 16)
    pport = struct.pack('!H', port)
    entries = [struct.pack('!I', base + i) + pport for i in range(n)]
    sip, sport = seeder.rsplit(':', 1)
    entries[seeder_index] = socket.inet_aton(sip) + struct.pack('!H', int(sport))
    peers = b''.join(entries)
    body = b'd8:intervali30e5:peers' + str(len(peers)).encode() + b':' + peers + b'e'
    assert len(body) <= BODY_LIMIT, len(body)
    return body, n


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *_):
        pass

    def reply(self, status, body=b'', location=None):
        self.send_response(status)
        if location:
            self.send_header('Location', location)
        self.send_header('Content-Length', str(len(body)))
        self.send_header('Connection', 'close')
        self.end_headers()
        if body:
            self.wfile.write(body)
        self.close_connection = True

    def do_GET(self):
        cfg = self.server.cfg
        mode = self.server.mode
        query = self.path.split('?', 1)[1] if '?' in self.path else ''
        if mode == 'flood':
            self.reply(200, cfg.flood_body)
        elif mode == 'chain':
            m = re.search(r'/hop(\d+)', self.path)
            hop = int(m.group(1)) if m else 0
            targets = cfg.chain
            nxt = targets[(targets.index(self.server.addr) + 1) % len(targets)]
            self.reply(302, location=f'http://{nxt}/announce/hop{hop + 1}?{query}')
        elif mode == 'https':
            self.reply(302, location=f'http://{cfg.sinks[0]}/announce?{query}')
        else:  # sink
            self.reply(200, b'd14:failure reason22:downgrade was followede')
        print(f'tracker {mode} {self.server.addr} GET {self.path.split("?", 1)[0]} '
              f'from {self.client_address[0]}', flush=True)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--listen', action='append', required=True, help='IP:PORT:MODE')
    ap.add_argument('--seeder', default='127.0.0.1:1', help='IP:PORT put into the flood list')
    ap.add_argument('--seeder-index', type=int, default=0)
    ap.add_argument('--flood-port', type=int, default=1, help='port of every flood address')
    ap.add_argument('--tls-cert')
    ap.add_argument('--tls-key')
    ap.add_argument('--timeout', type=float, default=600)
    args = ap.parse_args()

    cfg = argparse.Namespace()
    listeners = []
    for spec in args.listen:
        ip, port, mode = spec.split(':')
        listeners.append((ip, int(port), mode))
    cfg.chain = [f'{ip}:{port}' for ip, port, mode in listeners if mode == 'chain']
    cfg.sinks = [f'{ip}:{port}' for ip, port, mode in listeners if mode == 'sink']
    if any(mode == 'flood' for _, _, mode in listeners):
        cfg.flood_body, n = flood_body(args.flood_port, args.seeder, args.seeder_index)
        print(f'tracker flood body {len(cfg.flood_body)} bytes, {n} peers, seeder {args.seeder} '
              f'at index {args.seeder_index}', flush=True)

    servers = []
    for ip, port, mode in listeners:
        srv = Server((ip, port), Handler)
        srv.cfg, srv.mode, srv.addr = cfg, mode, f'{ip}:{port}'
        if mode == 'https':
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(args.tls_cert, args.tls_key)
            srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
        print(f'tracker {mode} listening {ip}:{port}', flush=True)

    deadline = time.monotonic() + args.timeout
    try:
        while time.monotonic() < deadline:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    for srv in servers:
        srv.shutdown()
    return 0


if __name__ == '__main__':
    sys.exit(main())
