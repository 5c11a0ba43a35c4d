#!/usr/bin/env python3
"""tessera's own web interface, served by a real `tessera daemon` from the copy embedded in the
binary (issue 11): the binary is copied alone into an empty directory and started there with no
--web-home, no TRANSMISSION_WEB_HOME and no web file anywhere near it. `/` redirects to
/tessera/web/; /tessera/web/ is an index.html whose script and stylesheet (app.js, app.css) are
served with their JavaScript and CSS types, every file with the Content-Security-Policy and the
other security headers, an ETag that gives 304 when sent back, and 405 for a POST;
/tessera/rpc answers Transmission's RPC after the 409 session id handshake. With a password: the
files are served without credentials, /tessera/rpc gives 401 with WWW-Authenticate to an
ordinary client and without it when the request carries X-Tessera-Web: 1 (the page's own login
form), and the right credentials get through."""
import base64
import gzip
import html.parser
import http.client
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
       "form-action 'none'; frame-ancestors 'none'")


def request(port, method, path, body=None, headers=None):
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


class Assets(html.parser.HTMLParser):
    """The script and stylesheet URLs of a page."""
    def __init__(self):
        super().__init__()
        self.scripts, self.styles = [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == 'script' and a.get('src'):
            self.scripts.append(a['src'])
        if tag == 'link' and a.get('rel') == 'stylesheet' and a.get('href'):
            self.styles.append(a['href'])


def check_ui_file(port, name, hdrs, what):
    H.check(hdrs.get('content-security-policy') == CSP, f'{what}: CSP {hdrs.get("content-security-policy")!r}')
    for k, v in (('x-content-type-options', 'nosniff'), ('referrer-policy', 'no-referrer'),
                 ('x-frame-options', 'DENY'), ('cache-control', 'no-cache')):
        H.check(hdrs.get(k) == v, f'{what}: {k} {hdrs.get(k)!r}')
    etag = hdrs.get('etag', '')
    H.check(len(etag) == 18 and etag.startswith('"') and etag.endswith('"'), f'{what}: ETag {etag!r}')
    status, again, raw = request(port, 'GET', f'/tessera/web/{name}', headers={'If-None-Match': etag})
    H.check(status == 304 and raw == b'' and again.get('etag') == etag, f'{what} revalidated: {status}')


def fetch_page(port, what):
    """Fetches the page and what it loads; returns the index's bytes."""
    status, hdrs, _ = request(port, 'GET', '/')
    H.check(status == 301 and hdrs.get('location') == '/tessera/web/', f'{what}: / -> {status} {hdrs.get("location")}')
    status, hdrs, _ = request(port, 'GET', '/tessera/web')
    H.check(status == 301 and hdrs.get('location') == '/tessera/web/', f'{what}: /tessera/web -> {status}')
    status, hdrs, index = request(port, 'GET', '/tessera/web/')
    H.check(status == 200 and hdrs.get('content-type', '').startswith('text/html'),
            f'{what}: /tessera/web/ -> {status} {hdrs.get("content-type")}')
    check_ui_file(port, 'index.html', hdrs, f'{what}: index.html')
    page = Assets()
    page.feed(index.decode())
    H.check(page.scripts == ['app.js'] and page.styles == ['app.css'],
            f'{what}: the page loads {page.scripts} and {page.styles}')
    for name, kind in (('app.js', 'text/javascript'), ('app.css', 'text/css'), ('icon.svg', 'image/svg+xml')):
        status, hdrs, raw = request(port, 'GET', f'/tessera/web/{name}')
        H.check(status == 200 and hdrs.get('content-type', '').startswith(kind) and raw,
                f'{what}: {name} -> {status} {hdrs.get("content-type")} {len(raw)} bytes')
        check_ui_file(port, name, hdrs, f'{what}: {name}')
    # A browser accepts gzip: the bundle comes compressed (built so), and inflates to the same bytes.
    _, _, plain = request(port, 'GET', '/tessera/web/app.js')
    status, hdrs, raw = request(port, 'GET', '/tessera/web/app.js', headers={'Accept-Encoding': 'gzip, br'})
    H.check(status == 200 and hdrs.get('content-encoding') == 'gzip' and gzip.decompress(raw) == plain,
            f'{what}: app.js with gzip -> {status} {hdrs.get("content-encoding")} {len(raw)} of {len(plain)} bytes')
    status, hdrs, _ = request(port, 'POST', '/tessera/web/index.html', body=b'x')
    H.check(status == 405 and hdrs.get('allow') == 'GET, HEAD', f'{what}: POST a file -> {status}')
    status, _, _ = request(port, 'GET', '/tessera/web/missing.js')
    H.check(status == 404, f'{what}: a missing file -> {status}')
    status, _, _ = request(port, 'GET', '/tessera/web/%2e%2e/rpc')
    H.check(status == 404, f'{what}: an escape -> {status}')
    return index


def rpc(port, headers, method='session-get'):
    return request(port, 'POST', '/tessera/rpc', body=json.dumps({'method': method}).encode(),
                   headers=headers)


def body(h, args):
    # The binary alone, in an empty directory: nothing to serve the page from but itself.
    bare = h.mkdir('bare')
    tessera = shutil.copy2(args.tessera, os.path.join(bare, 'tessera'))
    os.environ.pop('TRANSMISSION_WEB_HOME', None)
    os.chdir(bare)
    d = H.start_tessera_daemon(h, tessera)
    port = d.extra['rpc_port']
    d.wait_for(rf'tessera daemon: web interface on http://127\.0\.0\.1:{port}/tessera/web/$', 10)

    index = fetch_page(port, 'no password')
    H.log(f'/tessera/web/: {len(index)} bytes of index.html, app.js and app.css served')

    status, hdrs, _ = rpc(port, {})
    sid = hdrs.get('x-transmission-session-id', '')
    H.check(status == 409 and len(sid) == 48, f'/tessera/rpc without a session id: {status}')
    status, _, raw = rpc(port, {'X-Transmission-Session-Id': sid})
    H.check(status == 200 and json.loads(raw)['arguments']['rpc-version'] == 16,
            f'/tessera/rpc session-get: {status} {raw[:200]}')
    d.stop()

    # With a password: the files stay public, the RPC asks (quietly for the page's login form).
    d = H.start_tessera_daemon(h, tessera, name='tessera_daemon_auth', config_dir=d.extra['config_dir'],
                               extra=['--rpc-username', 'admin', '--rpc-password', 's3cret'])
    port = d.extra['rpc_port']
    H.check(fetch_page(port, 'with a password') == index, 'the page changed with a password')
    status, hdrs, _ = rpc(port, {})
    H.check(status == 401 and hdrs.get('www-authenticate', '').startswith('Basic realm="Transmission"'),
            f'/tessera/rpc without credentials: {status} {hdrs}')
    status, hdrs, _ = rpc(port, {'X-Tessera-Web': '1'})
    H.check(status == 401 and 'www-authenticate' not in hdrs,
            f'/tessera/rpc without credentials from the page: {status} {hdrs}')
    wrong = {'Authorization': 'Basic ' + base64.b64encode(b'admin:guess').decode(), 'X-Tessera-Web': '1'}
    status, hdrs, _ = rpc(port, wrong)
    H.check(status == 401 and 'www-authenticate' not in hdrs, f'a wrong password from the page: {status} {hdrs}')
    good = {'Authorization': 'Basic ' + base64.b64encode(b'admin:s3cret').decode(), 'X-Tessera-Web': '1'}
    status, hdrs, _ = rpc(port, good)
    sid = hdrs.get('x-transmission-session-id', '')
    H.check(status == 409 and sid, f'the right password from the page, no session id: {status}')
    status, _, raw = rpc(port, {**good, 'X-Transmission-Session-Id': sid})
    H.check(status == 200 and json.loads(raw)['result'] == 'success', f'the right password: {status} {raw[:200]}')
    d.stop()


if __name__ == '__main__':
    a = H.common_args(__doc__).parse_args()
    H.run_test('test_daemon_web_ui_files', body, a)
