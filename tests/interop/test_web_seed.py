#!/usr/bin/env python3
"""Web seeds (BEP 19) against a real HTTP server, with no peer at all.

nginx (run unprivileged from this test, with its own config in the work dir) serves the payload
on 127.0.0.x: one server serves the files (ranges supported), a second answers 404 to every
request. For multi-file torrents of odd file sizes whose pieces span files, with 16 KiB, 256 KiB
and 1 MiB pieces, made by libtorrent with both URLs in `url-list` and no tracker, `tessera
download` is given no peer. Then:
  - the download completes (exit 0) and every file is byte-identical to the served one;
  - tessera logs the 404 web seed as dropped, and sent it at least one request (nginx's log);
  - the good server answered with 206 partial content (ranged requests, nginx's access log);
  - over HTTPS (the same nginx, a self-signed certificate for 127.0.0.x that the test trusts with
    OpenSSL's SSL_CERT_FILE) the 256 KiB torrent completes too; without that trust it does not
    (the seed's requests fail at the TLS handshake).
Exits 77 (skip) when nginx is not installed (scripts/setup.sh installs it).
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
import libtorrent as lt  # noqa: E402

TIMEOUT = 120
NGINX = shutil.which('nginx') or ('/usr/sbin/nginx' if os.path.exists('/usr/sbin/nginx') else None)


def make_cert(h, ip):
    """A self-signed certificate for `ip` (subjectAltName IP), and its key."""
    cert, key = h.path('tls-cert.pem'), h.path('tls-key.pem')
    r = subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
                        '-days', '2', '-subj', f'/CN={ip}', '-addext', f'subjectAltName=IP:{ip}'],
                       capture_output=True, text=True, timeout=60)
    H.check(r.returncode == 0, f'openssl req: {r.stderr}')
    return cert, key


def nginx_conf(h, root, good, bad, tls, cert, key):
    d = h.mkdir('nginx')
    for sub in ('tmp', 'logs'):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    # As root, nginx's workers would switch to `nobody`, who cannot enter the test's 0700 work dir.
    user = 'user root root;\n' if os.geteuid() == 0 else ''
    conf = f"""{user}daemon off;
master_process on;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/logs/error.log info;
events {{ worker_connections 64; }}
http {{
  access_log {d}/logs/access.log;
  client_body_temp_path {d}/tmp/body;
  proxy_temp_path {d}/tmp/proxy;
  fastcgi_temp_path {d}/tmp/fastcgi;
  uwsgi_temp_path {d}/tmp/uwsgi;
  scgi_temp_path {d}/tmp/scgi;
  types {{ application/octet-stream bin; }}
  default_type application/octet-stream;
  keepalive_requests 10000;
  server {{ listen {good[0]}:{good[1]}; root {root}; }}
  server {{ listen {bad[0]}:{bad[1]}; location / {{ return 404; }} }}
  server {{ listen {tls[0]}:{tls[1]} ssl; ssl_certificate {cert}; ssl_certificate_key {key}; root {root}; }}
}}
"""
    path = os.path.join(d, 'nginx.conf')
    with open(path, 'w') as f:
        f.write(conf)
    return d, path


def wait_listening(addr, timeout=15):
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(addr, timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise H.TestFailure(f'nothing listens on {addr[0]}:{addr[1]} after {timeout} s')
            time.sleep(0.1)


def make_web_seed_torrent(h, root, name, piece, urls):
    """v1 torrent of root/name (multi-file) with `urls` as its url-list and no tracker."""
    fs = lt.file_storage()
    lt.add_files(fs, os.path.join(root, name))
    ct = lt.create_torrent(fs, piece, flags=lt.create_torrent.v1_only)
    for u in urls:
        ct.add_url_seed(u)
    lt.set_piece_hashes(ct, root)
    path = h.path(f'{name}.torrent')
    with open(path, 'wb') as f:
        f.write(lt.bencode(ct.generate()))
    return H.TorrentFile(path)


def body(h, args):
    H.check(args.leecher == 'tessera', 'this test is about tessera: --leecher tessera only')
    root = h.mkdir('www')
    good = (h.next_ip(), 0)
    good = (good[0], h.free_port(good[0]))
    bad = (h.next_ip(), 0)
    bad = (bad[0], h.free_port(bad[0]))
    pieces = [16 * H.KIB, 256 * H.KIB, 1 * H.MIB]
    layouts = {}
    for i, piece in enumerate(pieces):
        name = f'ws{piece // H.KIB}k'
        # Odd sizes: files end mid-piece, a piece spans up to four files, one file is tiny.
        layout = [('a.bin', 3 * piece + 4097), ('sub/b.bin', 777), ('sub/deep/c.bin', piece // 3 + 1),
                  ('sub/deep/d e.bin', 2 * piece + 12345), ('z.txt', 1)]
        H.make_payload(os.path.join(root, name), layout, seed=19 + i)
        layouts[name] = piece
    tls = (good[0], h.free_port(good[0]))
    cert, key = make_cert(h, good[0])
    d, conf = nginx_conf(h, root, good, bad, tls, cert, key)
    nginx = h.spawn('nginx', [NGINX, '-p', d, '-c', conf, '-e', os.path.join(d, 'logs', 'error.log')],
                    ip=good[0], port=good[1])
    wait_listening(good)
    wait_listening(bad)
    wait_listening(tls)
    good_url = f'http://{good[0]}:{good[1]}/'
    bad_url = f'http://{bad[0]}:{bad[1]}/'
    for name, piece in layouts.items():
        # The bad server first: the torrent starts both, and the 404s come back at once.
        t = make_web_seed_torrent(h, root, name, piece, [bad_url, good_url])
        out = h.mkdir(f'out-{name}')
        p = H.start_tessera_download(h, os.path.abspath(args.tessera), t, out, name=f'tessera_{name}')
        rc = p.wait(TIMEOUT)
        H.check(rc == 0, f'{name}: tessera download: exit {rc}; last lines:\n{p.tail(15)}')
        H.compare_trees(os.path.join(root, name), os.path.join(out, name))
        H.check(re.search(r'web seed ' + re.escape(bad_url) + r'.*dropped', p.text()) is not None,
                f'{name}: the 404 web seed was not dropped; last lines:\n{p.tail(15)}')
        H.log(f'{name}: {t.num_pieces} pieces of {piece // H.KIB} KiB from the web seed; 404 seed dropped')
    # HTTPS: the same server over TLS with a self-signed certificate, trusted through OpenSSL's
    # SSL_CERT_FILE (the client verifies against the default CA paths, which that variable names).
    name = 'ws256k'
    t = make_web_seed_torrent(h, root, name, layouts[name], [f'https://{tls[0]}:{tls[1]}/'])
    out = h.mkdir('out-tls')
    os.environ['SSL_CERT_FILE'] = cert
    try:
        p = H.start_tessera_download(h, os.path.abspath(args.tessera), t, out, name='tessera_tls')
    finally:
        del os.environ['SSL_CERT_FILE']
    rc = p.wait(TIMEOUT)
    H.check(rc == 0, f'https: tessera download: exit {rc}; last lines:\n{p.tail(15)}')
    H.compare_trees(os.path.join(root, name), os.path.join(out, name))
    H.log(f'{name} over https from the web seed')
    # Not trusted: the same download without the certificate never completes a piece.
    out = h.mkdir('out-untrusted')
    p = H.start_tessera_download(h, os.path.abspath(args.tessera), t, out, name='tessera_untrusted',
                                 log_level='info')
    p.wait_for(r'web seed https://.*request failed.*could not connect', 30)
    H.check(p.alive(), 'the download with an untrusted certificate ended')
    p.stop()
    H.check(H.verified_pieces(t, out) == 0, 'pieces verified from a server whose certificate is not trusted')
    with open(os.path.join(d, 'logs', 'access.log')) as f:
        access = f.read()
    H.check(re.search(r'"GET /ws16k/sub/deep/d%20e\.bin HTTP/1\.1" 206 ', access) is not None,
            'no 206 reply for the percent-encoded file name in nginx\'s access log')
    H.check(re.search(r'" 404 ', access) is not None, 'the 404 server saw no request')
    H.check(nginx.alive(), 'nginx exited')
    n206 = len(re.findall(r'" 206 ', access))
    H.log(f'nginx answered {n206} ranged requests (206)')


if __name__ == '__main__':
    a = H.common_args(__doc__).parse_args()
    if NGINX is None:
        print('SKIP test_web_seed: nginx is not installed (scripts/setup.sh installs it)')
        sys.exit(77)
    H.run_test('test_web_seed', body, a)
