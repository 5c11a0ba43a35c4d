// Builds tessera's web interface into one directory of static files, which the CMake build embeds
// in the tessera binary (cmake/embed_web.cmake). Usage: node build.mjs --outdir DIR [--dev]
//   DIR/index.html, DIR/app.js (one ES module bundle: Preact and the app), DIR/app.css, DIR/icon.svg
// --dev: no minification, inline source maps (for working on the page with --web-ui-dir).
import { build } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const at = args.indexOf('--outdir');
if (at < 0 || !args[at + 1]) {
  console.error('usage: node build.mjs --outdir DIR [--dev]');
  process.exit(2);
}
const outdir = args[at + 1];
const dev = args.includes('--dev');

await mkdir(outdir, { recursive: true });
await build({
  entryPoints: { app: join(here, 'src/main.jsx'), 'app-css': join(here, 'src/app.css') },
  outdir,
  bundle: true,
  format: 'esm',
  target: ['chrome100', 'firefox100', 'safari15'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: !dev,
  sourcemap: dev ? 'inline' : false,
  legalComments: 'none',
  logLevel: 'warning',
  entryNames: '[name]',
});
// esbuild names a CSS entry after its key: rename app-css.css to app.css.
const { rename } = await import('node:fs/promises');
await rename(join(outdir, 'app-css.css'), join(outdir, 'app.css'));
for (const f of ['index.html', 'icon.svg']) await copyFile(join(here, 'src', f), join(outdir, f));
