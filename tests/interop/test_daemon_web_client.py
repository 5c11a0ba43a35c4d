#!/usr/bin/env python3
"""Transmission's own web client (Debian's transmission-common, /usr/share/transmission/web) served
by `tessera daemon --web-home`, driven in headless Chromium through Selenium with the system
browser and driver (issue 10, test 2): a torrent added over the RPC appears in the page with its
name and reaches 100% (downloaded from a real libtorrent seeder); selecting it and pressing the
page's Pause button stops it (the daemon reports status 0); the browser console shows no
JavaScript error. Screenshots of both moments are kept in the work dir (--keep)."""
import base64
import json
import os
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
import web_browser as W  # noqa: E402

WEB_HOME = '/usr/share/transmission/web'
PIECE = 32 * H.KIB


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


def body(h, args):
    if not os.path.exists(os.path.join(WEB_HOME, 'index.html')):
        raise H.TestFailure(f'{WEB_HOME} missing (scripts/setup.sh installs transmission-common)')
    W.require_tools()
    src = h.mkdir('seed')
    H.make_payload(os.path.join(src, 'webby'), H.multi_file_layout(3 * H.MIB + 99, PIECE), seed=9)
    trk_port = h.free_port('127.0.0.1')
    announce = f'http://127.0.0.1:{trk_port}/announce'
    t = H.make_torrent(os.path.join(src, 'webby'), h.path('webby.torrent'), [announce], PIECE)
    H.start_opentracker(h, [t.info_hash], port=trk_port)
    H.start_lt_seed(h, t, src, upload_limit=1 * H.MIB)

    d = H.start_tessera_daemon(h, args.tessera, extra=['--web-home', WEB_HOME])
    base = f'http://{d.extra["rpc"]}'
    url = d.extra['url']
    b = W.Browser(h, size=(1200, 800))
    drv = b.drv
    wait_until = b.wait_until
    try:
        drv.get(base + '/transmission/web/')
        wait_until('the web client loaded', lambda: drv.execute_script(
            'return document.getElementById("torrent_list") !== null'))
        with open(t.path, 'rb') as f:
            added = rpc(url, 'torrent-add', metainfo=base64.b64encode(f.read()).decode())
        tid = added['torrent-added']['id']

        def row_text():
            return drv.execute_script(
                'var r = document.querySelector("#torrent_list li.torrent");'
                'return r ? [r.querySelector(".torrent_name").textContent,'
                '            r.querySelector(".torrent_progress_details").textContent] : null')
        row = wait_until('the torrent appears in the page', row_text, timeout=30)
        H.check(row[0] == 'webby', f'name shown: {row}')
        row = wait_until('the page shows it complete', lambda: (lambda r: r if r and ', uploaded ' in r[1] else None)(row_text()),
                         timeout=120)
        H.log(f'page shows: {row}')
        H.check(rpc(url, 'torrent-get', ids=[tid], fields=['percentDone'])['torrents'][0]['percentDone'] == 1,
                'the page says done, the daemon does not')
        drv.save_screenshot(h.path('web-complete.png'))

        drv.find_element('css selector', '#torrent_list li.torrent').click()
        drv.find_element('id', 'toolbar-pause').click()
        wait_until('Pause in the page stops the torrent',
                   lambda: rpc(url, 'torrent-get', ids=[tid], fields=['status'])['torrents'][0]['status'] == 0,
                   timeout=20)
        wait_until('the page shows it paused', lambda: 'Paused' in drv.execute_script(
            'return document.querySelector("#torrent_list li.torrent .torrent_peer_details").textContent'), timeout=20)
        drv.save_screenshot(h.path('web-paused.png'))
        # Only the 409 of the session-id handshake is allowed (web_browser.ALWAYS_ALLOWED).
        errors = b.console_errors()
        H.check(not errors, 'JavaScript errors in the console:\n  ' + '\n  '.join(errors))
    finally:
        b.quit()


if __name__ == '__main__':
    a = H.common_args(__doc__).parse_args()
    H.run_test('test_daemon_web_client', body, a)
