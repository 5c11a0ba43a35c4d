// A development server for working on the page without rebuilding tessera: serves the page,
// rebuilt by esbuild on every change (watch mode), and forwards /tessera/rpc and /tessera/events
// to a running daemon. Loopback only.
//   node dev-server.mjs [--port 8090] [--daemon http://127.0.0.1:9091] [--rpc-path /tessera/rpc]
// --rpc-path: where the daemon answers the RPC (an older daemon without /tessera/rpc:
// /transmission/rpc). The daemon's Basic credentials, when it has any, come from the page's login.
import { context } from 'esbuild';
import { createServer, request } from 'node:http';
import { readFile, mkdtemp, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname, extname, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const port = Number(opt('--port', '8090'));
const daemon = new URL(opt('--daemon', 'http://127.0.0.1:9091'));
const rpcPath = opt('--rpc-path', '/tessera/rpc');

const out = await mkdtemp(join(tmpdir(), 'tessera-web-'));
const ctx = await context({
  entryPoints: { app: join(here, 'src/main.jsx') },
  outdir: out,
  bundle: true,
  format: 'esm',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  sourcemap: 'inline',
  logLevel: 'info',
});
await ctx.watch();
const css = await context({
  entryPoints: [join(here, 'src/app.css')], outdir: out, bundle: true, logLevel: 'info',
});
await css.watch();
for (const f of ['index.html', 'icon.svg']) await copyFile(join(here, 'src', f), join(out, f));

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };

createServer(async (req, res) => {
  const path = new URL(req.url, 'http://x').pathname;
  if (path === '/tessera/rpc' || path === '/tessera/events') {
    const target = path === '/tessera/rpc' ? rpcPath : path;
    const headers = { ...req.headers, host: daemon.host };
    delete headers.origin;
    const up = request({ host: daemon.hostname, port: daemon.port, path: target, method: req.method, headers }, (r) => {
      // An older daemon challenges the page's own requests too: drop the challenge, as the new
      // daemon does for X-Tessera-Web requests, so the browser shows no password dialog.
      if (r.statusCode === 401 && req.headers['x-tessera-web']) delete r.headers['www-authenticate'];
      res.writeHead(r.statusCode, r.headers);
      r.pipe(res);
    });
    up.on('error', (e) => { res.writeHead(502); res.end(String(e)); });
    req.pipe(up);
    return;
  }
  if (path === '/' || path === '/tessera/web') {
    res.writeHead(301, { Location: '/tessera/web/' });
    return res.end();
  }
  if (!path.startsWith('/tessera/web/')) { res.writeHead(404); return res.end(); }
  const rel = normalize(path.slice('/tessera/web/'.length) || 'index.html');
  if (rel.startsWith('..')) { res.writeHead(404); return res.end(); }
  try {
    const body = await readFile(join(out, rel));
    res.writeHead(200, { 'Content-Type': TYPES[extname(rel)] || 'application/octet-stream', 'Cache-Control': 'no-cache' });
    res.end(body);
  } catch {
    res.writeHead(404);
    res.end();
  }
}).listen(port, '127.0.0.1', () => console.log(`page at http://127.0.0.1:${port}/tessera/web/ -> daemon ${daemon.href}`));
