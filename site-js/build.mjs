// Build static/verifier.js: one minified IIFE from src/main.js and the pinned npm packages.
//
//   node site-js/build.mjs [--outfile PATH]
//
// The output is deterministic (no timestamps, no absolute paths), so the committed bundle can
// be rebuilt and compared byte for byte. Licence comments of the bundled packages are kept at
// the end of the file.
import * as esbuild from 'esbuild';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const flag = process.argv.indexOf('--outfile');
const outfile = flag >= 0 ? path.resolve(process.argv[flag + 1]) :
  path.join(here, '..', 'badgeflow', 'templates', 'site', 'static', 'verifier.js');

await esbuild.build({
  absWorkingDir: here,
  entryPoints: ['src/main.js'],
  outfile,
  bundle: true,
  minify: true,
  format: 'iife',
  platform: 'browser',
  target: ['es2022'],
  charset: 'utf8',
  legalComments: 'eof',
  sourcemap: false,
  logLevel: 'warning'
});
console.log(`wrote ${path.relative(process.cwd(), outfile)}`);
