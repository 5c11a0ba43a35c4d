#!/usr/bin/env python3
"""The web interface's update cycle (issue 11): what keeping the page current costs the browser
with 1,000 torrents in the daemon. Not a test: it prints a table (docs/performance.md, "The web
interface's update cycle").

A `tessera daemon` seeds N small torrents from disk (bench/daemon/scale.py makes and adds them);
the page (/tessera/web/?poll=0) is open in headless Chromium at 1280x800. Two situations, each
measured over --seconds:

  stream     the real event stream of the daemon (N torrents seeding, mostly idle: a tick carries
             only what changed, and nothing leaves loopback, so little changes);
  verify     the real stream while the daemon verifies all N at once (torrent-verify of every
             torrent when the window starts): state events and ticks of many torrents changing;
  synthetic  every second, a tick in which ALL N torrents change (rates, progress, eta, peers,
             counters, ratio), handed to the page's own window.__tessera.applyEvent('tick', ...)
             from a setInterval the bench injects: the daemon is not the bottleneck.

For each: the main thread's time from Chrome's DevTools metrics (Performance.getMetrics deltas:
ScriptDuration, RecalcStyleDuration + LayoutDuration, TaskDuration) in ms per second of wall
time (goal for scripting: < 16 ms per second), and, for the synthetic ticks, one update cycle:
  apply   JSON.parse of the tick's data (as the stream reader does) and applyEvent (the store
          merging N deltas, the speed history),
  render  the next animation frame's work (a rAF callback registered before the tick starts the
          clock, one registered after it stops it): js, the store's notification and Preact's
          re-render of what changed; layout, the style and layout that follow (forced by reading
          offsetHeight),
  cycle   apply + render (the work, without the wait for the frame); latency: from the tick to
          the end of the layout, the wait for the frame included,
median and p95 over the ticks.

  /usr/bin/python3 bench/web/update_cycle.py --tessera build/bin/tessera
  /usr/bin/python3 bench/web/update_cycle.py --tessera build/bin/tessera --count 200 --seconds 10
--web-ui-dir DIR: the daemon serves a page built apart (node web/build.mjs --outdir DIR);
--dev-server: the page from web/dev-server.mjs (a daemon without the embedded page).
"""
import argparse
import base64
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'tests', 'interop'))
sys.path.insert(0, os.path.join(HERE, '..', 'daemon'))
import harness as H  # noqa: E402
import web_browser as W  # noqa: E402
import scale  # noqa: E402

METRICS = ('ScriptDuration', 'RecalcStyleDuration', 'LayoutDuration', 'TaskDuration')

# The synthetic ticks: every torrent of the store changes every second. Each cycle is timed
# (see the module's description); results in window.__bench.
SYNTHETIC = r'''
const ids = [...window.__tessera.store.torrents.keys()];
const cycles = [];
let n = 0;
window.__bench = { cycles, ticks: 0 };
window.__benchTimer = setInterval(() => {
  n++;
  const torrents = ids.map((id, i) => {
    const rate = ((i * 7919 + n * 104729) % 5000000);
    const pd = ((i + n) % 1000) / 1000;
    return { id, rateDownload: rate, rateUpload: (rate * 3) % 1000000, percentDone: pd,
             eta: 1 + ((i + n) % 7200), peersConnected: (i + n) % 50, peersSendingToUs: (i + n) % 20,
             peersGettingFromUs: (i * n) % 30, uploadedEver: n * 1000003 + i, downloadedEver: n * 2000003 + i,
             uploadRatio: ((i + n) % 300) / 100, leftUntilDone: Math.round((1 - pd) * 1e9), haveValid: Math.round(pd * 1e9) };
  });
  const data = { torrents, session: { downloadSpeed: n * 1000, uploadSpeed: n * 2000,
                 torrentCount: ids.length, activeTorrentCount: ids.length, pausedTorrentCount: 0 } };
  const text = JSON.stringify(data);  // what the stream's data line carries
  let frameStart = 0;
  requestAnimationFrame(() => { frameStart = performance.now(); });
  const t0 = performance.now();
  window.__tessera.applyEvent('tick', JSON.parse(text));
  const t1 = performance.now();
  requestAnimationFrame(() => {
    const tj = performance.now();
    void document.body.offsetHeight;  // style and layout of what the render changed, now
    const t2 = performance.now();
    cycles.push({ apply: t1 - t0, js: tj - frameStart, layout: t2 - tj, render: t2 - frameStart, latency: t2 - t0 });
  });
  window.__bench.ticks++;
}, 1000);
'''


def metrics(b):
    got = {m['name']: m['value'] for m in b.cdp('Performance.getMetrics')['metrics']}
    return {k: got.get(k, 0.0) for k in METRICS}


def window(b, seconds):
    """Main-thread ms per second over `seconds` of wall time (a benchmark's window, not a wait)."""
    counts = 'const t = window.__tessera; return [t.streamCounts.ticks, t.streamCounts.events, Object.assign({}, t.rpcCounts)]'
    m0, t0 = metrics(b), time.monotonic()
    ticks0, events0, rpc0 = b.js(counts)
    time.sleep(seconds)
    m1, t1 = metrics(b), time.monotonic()
    ticks1, events1, rpc1 = b.js(counts)
    wall = t1 - t0
    per = {k: 1000 * (m1[k] - m0[k]) / wall for k in METRICS}
    return {'script': per['ScriptDuration'], 'style_layout': per['RecalcStyleDuration'] + per['LayoutDuration'],
            'task': per['TaskDuration'], 'stream_ticks': ticks1 - ticks0, 'events': events1 - events0,
            'rpc': {k: v - rpc0.get(k, 0) for k, v in rpc1.items() if v != rpc0.get(k, 0)}, 'wall': wall}


def pct(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))] if s else float('nan')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--tessera', required=True)
    ap.add_argument('--count', type=int, default=1000)
    ap.add_argument('--seconds', type=float, default=30.0, help='length of each measuring window')
    ap.add_argument('--dev-server', action='store_true', help='the page from web/dev-server.mjs')
    ap.add_argument('--web-ui-dir', help='the daemon serves the page from this directory (node web/build.mjs --outdir DIR)')
    ap.add_argument('--keep', action='store_true')
    args = ap.parse_args()
    with H.Harness('bench_web_update_cycle', keep=args.keep) as h:
        data, ts = scale.make_torrents(h, args.count)
        d = H.start_tessera_daemon(h, args.tessera, download_dir=data,
                                   settings={'pex-enabled': False, 'download-queue-enabled': False,
                                             'seed-queue-enabled': False},
                                   extra=['--web-ui-dir', args.web_ui_dir] if args.web_ui_dir else [])
        rpc = scale.Rpc(d.extra['url'])
        t0 = time.monotonic()
        for t in ts:
            with open(t.path, 'rb') as f:
                rpc('torrent-add', metainfo=base64.b64encode(f.read()).decode())
        scale.wait_all_seeding(rpc, len(ts), 600)
        H.log(f'{args.count} torrents seeding after {time.monotonic() - t0:.1f} s')
        if args.dev_server:
            port = h.free_port('127.0.0.1')
            h.spawn('dev_server', ['node', os.path.join(W.ROOT, 'web', 'dev-server.mjs'), '--port', str(port),
                                   '--daemon', f'http://{d.extra["rpc"]}', '--rpc-path', '/transmission/rpc'])
            H.wait_port('127.0.0.1', port, timeout=60)
            url = f'http://127.0.0.1:{port}/tessera/web/?poll=0'
        else:
            url = f'http://{d.extra["rpc"]}/tessera/web/?poll=0'
        b = W.Browser(h)
        try:
            b.get(url)
            b.wait_until('the page holds every torrent', lambda: b.js(
                'return window.__tessera && window.__tessera.store.torrents.size') == args.count, timeout=120)
            b.wait_until('the page is live', lambda: b.js(
                'const e = document.querySelector("[data-connection]"); return e && e.dataset.connection') == 'live')
            rows = b.js('return document.querySelectorAll("[role=grid][aria-label=Torrents] [role=row][data-id]").length')
            b.cdp('Performance.enable', {'timeDomain': 'timeTicks'})
            load0 = os.getloadavg()[0]
            time.sleep(3)  # the first render and the first full tick settle (a benchmark's pause)
            stream = window(b, args.seconds)
            rpc('torrent-verify')
            verify = window(b, args.seconds)
            scale.wait_all_seeding(rpc, len(ts), 600)
            b.js(SYNTHETIC)
            b.wait_until('the synthetic ticks run', lambda: b.js('return window.__bench.cycles.length') >= 2)
            synth = window(b, args.seconds)
            b.js('clearInterval(window.__benchTimer)')
            cycles = b.js('return window.__bench.cycles')[1:]  # the first one is in no window
            errors = b.console_errors()
            chrome = f'Chromium {b.drv.capabilities.get("browserVersion", "?")}'
        finally:
            b.quit()
        print(f'\n{args.count} torrents in the daemon, {rows} rows in the DOM, {chrome}, headless, 1280x800; '
              f'windows of {args.seconds:.0f} s; load average {load0:.2f} before, {os.getloadavg()[0]:.2f} after')
        print(f'{"situation":<34}{"ticks":>7}{"events":>8}{"script ms/s":>13}{"style+layout ms/s":>19}'
              f'{"task ms/s":>11}  RPC calls of the page')
        for name, r, ticks in (('stream (idle seeding)', stream, stream['stream_ticks']),
                               (f'stream (all {args.count} verified)', verify, verify['stream_ticks']),
                               (f'synthetic (all {args.count} change)', synth, len(cycles))):
            print(f'{name:<34}{ticks:>7}{r["events"]:>8}{r["script"]:>13.1f}{r["style_layout"]:>19.1f}'
                  f'{r["task"]:>11.1f}  {r["rpc"] or "none"}')
        print(f'\none synthetic update cycle, over {len(cycles)} ticks (ms):')
        print(f'{"":<10}{"median":>9}{"p95":>9}{"max":>9}')
        for k in ('apply', 'js', 'layout', 'render', 'cycle', 'latency'):
            vals = [c['apply'] + c['render'] if k == 'cycle' else c[k] for c in cycles]
            print(f'{k:<10}{statistics.median(vals):>9.1f}{pct(vals, 0.95):>9.1f}{max(vals):>9.1f}')
        for p in h.procs:
            p.stop()
        H.check(not errors, 'errors in the console:\n  ' + '\n  '.join(errors[:10]))


if __name__ == '__main__':
    main()
