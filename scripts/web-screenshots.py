#!/usr/bin/env python3
"""Screenshots of tessera's web interface for the docs (issue 11): a realistic scene in a real
`tessera daemon` (three torrents downloading from libtorrent seeders through opentracker, two
seeding to libtorrent leechers, one paused, labels), the page in headless Chromium, and four PNGs:

  web-desktop.png   1280x800, the list
  web-details.png   1280x800, the details of a downloading torrent on its peers tab
  web-phone.png     375x812, the phone layout
  web-dark.png      1280x800, prefers-color-scheme: dark

  /usr/bin/python3 scripts/web-screenshots.py --tessera build/bin/tessera [--out docs/screenshots]
Everything runs on loopback; the work dir is removed at the end (--keep keeps it).
"""
import argparse
import base64
import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'interop'))
import harness as H  # noqa: E402
import web_browser as W  # noqa: E402

PIECE = 64 * H.KIB
GRID = '[role=grid][aria-label=Torrents]'
MAX_PNG = 300 * 1024

# name, layout, seeder upload limit (bytes/s, 0: no seeder), labels, how it is in the daemon.
SCENE = [
    ('Big Buck Bunny (2008) 1080p', [('Big Buck Bunny (2008) 1080p.mkv', 46 * H.MIB + 12345),
                                     ('Big Buck Bunny (2008) 1080p.en.srt', 31337), ('poster.jpg', 412345)],
     600 * H.KIB, ['video'], 'download'),
    ('debian-12.8.0-amd64-netinst.iso', None, 500 * H.KIB, ['linux'], 'download'),
    ('Project Gutenberg - Top 100 (EPUB)', [(f'{i:03d} - {t}.epub', 380000 + 9173 * i) for i, t in enumerate(
        ['Pride and Prejudice', 'Frankenstein', 'Moby Dick', 'Alice in Wonderland', 'Dracula', 'Ulysses',
         'The Odyssey', 'War and Peace', 'Middlemarch', 'Little Women', 'Jane Eyre', 'Emma'], 1)],
     100 * H.KIB, ['books'], 'download'),
    ('Sintel (2010) 4K', [('Sintel (2010) 4K.mkv', 28 * H.MIB + 999), ('Sintel (2010) 4K.nfo', 2345)],
     0, ['video'], 'seed'),
    ('archlinux-2024.12.01-x86_64.iso', None, 0, ['linux'], 'seed'),
    ('Tears of Steel (2012) 720p', [('Tears of Steel (2012) 720p.mp4', 22 * H.MIB + 4242)], 0, ['video'], 'paused'),
]
ISO_SIZE = {'debian-12.8.0-amd64-netinst.iso': 38 * H.MIB + 5555, 'archlinux-2024.12.01-x86_64.iso': 31 * H.MIB + 777}


def build_scene(h, tessera, dev_server, web_ui_dir=None):
    """Starts the tracker, seeders and daemon with SCENE in it; returns (daemon, rpc, page url,
    {name: id})."""
    src = h.mkdir('seed')
    trk_port = h.free_port('127.0.0.1')
    announce = f'http://127.0.0.1:{trk_port}/announce'
    ts = {}
    for i, (name, layout, _, _, _) in enumerate(SCENE):
        if layout is None:
            path = os.path.join(src, name)
            H.make_payload(src, [(name, ISO_SIZE[name])], seed=40 + i, fast=True)
        else:
            path = os.path.join(src, name)
            H.make_payload(path, layout, seed=40 + i, fast=True)
        ts[name] = H.make_torrent(path, h.path(f'{i}.torrent'), [announce], PIECE)
    tracker = H.start_opentracker(h, [t.info_hash for t in ts.values()], port=trk_port)
    for name, _, limit, _, how in SCENE:
        if how == 'download':
            for k in range(2):
                H.start_lt_seed(h, ts[name], src, upload_limit=limit // 2, name=f'lt_seed_{len(h.procs)}')
    for name, _, limit, _, how in SCENE:
        if how == 'download':
            tracker.wait_seeders(ts[name].info_hash, 2)
    d = H.start_tessera_daemon(h, tessera, settings={'pex-enabled': False, 'download-queue-enabled': False},
                               extra=['--web-ui-dir', web_ui_dir] if web_ui_dir else [])
    # Someone downloads the seeding torrents from the daemon (libtorrent): they upload, at the
    # per-torrent upload limits set below.
    rpc = W.Rpc(d.extra['url'])
    ids = {}
    for name, _, _, labels, how in SCENE:
        with open(ts[name].path, 'rb') as f:
            args = {'metainfo': base64.b64encode(f.read()).decode()}
        if how == 'seed':
            args['download-dir'] = src
        if how == 'paused':
            args['paused'] = True
        added = rpc('torrent-add', **args)
        ids[name] = (added.get('torrent-added') or added.get('torrent-duplicate'))['id']
        rpc('torrent-set', ids=[ids[name]], labels=labels)
        if how == 'seed':
            rpc('torrent-set', ids=[ids[name]], uploadLimited=True, uploadLimit=120 + 90 * len(ids))  # kB/s
            H.start_leecher(h, 'libtorrent', ts[name], h.mkdir(f'leech_{len(ids)}'), name=f'lt_leech_{len(ids)}')
    if dev_server:
        port = h.free_port('127.0.0.1')
        h.spawn('dev_server', ['node', os.path.join(ROOT, 'web', 'dev-server.mjs'), '--port', str(port),
                               '--daemon', f'http://{d.extra["rpc"]}', '--rpc-path', '/transmission/rpc'])
        H.wait_port('127.0.0.1', port, timeout=60)
        url = f'http://127.0.0.1:{port}/tessera/web/'
    else:
        url = f'http://{d.extra["rpc"]}/tessera/web/'
    return d, rpc, url, ids


def settle(b, rpc, ids):
    """Waits until the scene looks alive: every downloading torrent between 25% and 90% with a
    rate, the seeding ones seeding and uploading, and the page showing every row."""
    down = [ids[n] for n, _, _, _, how in SCENE if how == 'download']
    seed = [ids[n] for n, _, _, _, how in SCENE if how == 'seed']

    def ready():
        ts = {t['id']: t for t in rpc.torrents(['id', 'status', 'percentDone', 'rateDownload', 'rateUpload'])}
        return (all(0.25 <= ts[i]['percentDone'] <= 0.9 and ts[i]['rateDownload'] > 0 for i in down)
                and all(ts[i]['status'] == 6 and ts[i]['rateUpload'] > 0 for i in seed))
    try:
        W.wait_until('the scene is alive', ready, timeout=180, interval=0.2)
    except H.TestFailure:
        raise H.TestFailure('the scene is not alive after 180 s: ' + str(rpc.torrents(
            ['id', 'name', 'status', 'percentDone', 'rateDownload', 'rateUpload', 'peersConnected'])))
    b.wait_until('the page shows every torrent', lambda: b.js(
        f'return document.querySelectorAll(\'{GRID} [role=row][data-id]\').length') == len(ids), timeout=30)


def shoot(b, path):
    b.js('if (document.activeElement) document.activeElement.blur()')
    # Two frames: whatever the last tick changed is painted.
    b.js_async('const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done()))')
    b.screenshot(path)
    size = os.path.getsize(path)
    H.log(f'{path}: {size // 1024} KiB')
    H.check(size < MAX_PNG, f'{path} is {size} bytes (bound {MAX_PNG})')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--tessera', required=True)
    ap.add_argument('--out', default=os.path.join(ROOT, 'docs', 'screenshots'))
    ap.add_argument('--dev-server', action='store_true', help='the page from web/dev-server.mjs')
    ap.add_argument('--web-ui-dir', help='the daemon serves the page from this directory (node web/build.mjs --outdir DIR)')
    ap.add_argument('--keep', action='store_true')
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    with H.Harness('web_screenshots', keep=args.keep) as h:
        d, rpc, url, ids = build_scene(h, args.tessera, args.dev_server, args.web_ui_dir)
        b = W.Browser(h)
        try:
            b.get(url)
            settle(b, rpc, ids)
            first = ids[SCENE[0][0]]
            b.click(f'{GRID} [role=row][data-id="{first}"] [data-col=name]')
            shoot(b, os.path.join(args.out, 'web-desktop.png'))

            b.click('button[data-action=details]')
            b.wait_for('[role=region][aria-label=Details]')
            b.click('[role=region][aria-label=Details] [role=tab][data-tab=peers]')
            b.wait_until('the peers tab lists the seeders', lambda: b.js(
                'return document.querySelectorAll("[role=region][aria-label=Details] [data-peer]").length') >= 2,
                timeout=30)
            shoot(b, os.path.join(args.out, 'web-details.png'))
            b.click('[role=region][aria-label=Details] button[data-action=close-details]')
            b.wait_gone('[role=region][aria-label=Details]')

            b.set_dark(True)
            shoot(b, os.path.join(args.out, 'web-dark.png'))
        finally:
            b.quit()
        phone = W.Browser(h, phone=True, name='phone')
        try:
            phone.get(url)
            settle(phone, rpc, ids)
            shoot(phone, os.path.join(args.out, 'web-phone.png'))
        finally:
            phone.quit()
        for p in h.procs:
            p.stop()


if __name__ == '__main__':
    main()
