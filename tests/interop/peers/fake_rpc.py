#!/usr/bin/env python3
"""A misbehaving Transmission RPC server, for the RPC client's edge cases (test_remote_verbs.py).

Listens on --bind:--port (HTTP, or HTTPS with --cert/--key) and answers every POST by its path:
  /ok            409 with a session id until the request carries it, then a well-formed reply:
                 `arguments` = {"authorization": <the request's Authorization header or "">,
                 "method": <method>}, the request's tag echoed
  /always409     409 with a new session id every time
  /no-session-id 409 without X-Transmission-Session-Id
  /not-json      200 with a body that is not JSON
  /wrong-tag     200, a success reply whose tag is not the request's
  /error-result  200, `result` = "no fields specified" (an RPC-level failure)
  /huge          200 announcing a 70 MiB body (only its first bytes are sent)
  /digest        401 with a Digest (not Basic) challenge
  /silent        never answers (the connection stays open)
  /forbidden     403
  /misdirected   421
Prints `fake_rpc: listening on PORT` when ready. Stdlib only.
"""
import argparse
import http.server
import json
import os
import ssl
import sys
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    session_id = 'fakesessionid0123456789'
    counter = 0

    def log_message(self, fmt, *args):
        sys.stdout.write('fake_rpc: ' + (fmt % args) + '\n')
        sys.stdout.flush()

    def reply(self, status, body=b'', headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get('Content-Length', '0'))
        body = self.rfile.read(length)
        try:
            request = json.loads(body)
        except ValueError:
            request = {}
        tag = request.get('tag')
        path = self.path
        if path == '/always409':
            Handler.counter += 1
            self.reply(409, b'conflict', [('X-Transmission-Session-Id', f'id{Handler.counter}')])
        elif path == '/no-session-id':
            self.reply(409, b'conflict')
        elif path == '/not-json':
            self.reply(200, b'<html>hello</html>')
        elif path == '/wrong-tag':
            self.reply(200, json.dumps({'result': 'success', 'arguments': {}, 'tag': 999}).encode())
        elif path == '/error-result':
            self.reply(200, json.dumps({'result': 'no fields specified', 'arguments': {}, 'tag': tag}).encode())
        elif path == '/huge':
            self.send_response(200)
            self.send_header('Content-Length', str(70 * 1024 * 1024))
            self.end_headers()
            self.wfile.write(b'{"result":"success"' + b' ' * 4096)
        elif path == '/digest':
            self.reply(401, b'unauthorized', [('WWW-Authenticate', 'Digest realm="x", nonce="abc"')])
        elif path == '/silent':
            time.sleep(3600)
        elif path == '/forbidden':
            self.reply(403, b'forbidden')
        elif path == '/misdirected':
            self.reply(421, b'misdirected')
        elif path == '/ok':
            if self.headers.get('X-Transmission-Session-Id') != Handler.session_id:
                self.reply(409, b'conflict', [('X-Transmission-Session-Id', Handler.session_id)])
                return
            args = {'authorization': self.headers.get('Authorization', ''), 'method': request.get('method')}
            self.reply(200, json.dumps({'result': 'success', 'arguments': args, 'tag': tag}).encode(),
                       [('Content-Type', 'application/json')])
        else:
            self.reply(404, b'not found')


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--bind', default='127.0.0.1')
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--cert')
    ap.add_argument('--key')
    a = ap.parse_args()
    server = http.server.ThreadingHTTPServer((a.bind, a.port), Handler)
    if a.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print(f'fake_rpc: listening on {server.server_address[1]}', flush=True)
    server.serve_forever()


if __name__ == '__main__':
    main()
