// Bundles index.js with esbuild into OUT/plotly.min.js (an IIFE that sets the global
// `Plotly`, as plotly.js's own dist files do) and writes OUT/traces.json: plotly.js's
// version and the trace types the bundle registers, read from what esbuild put in it.
//
//     node build.mjs OUT        (run by build.sh, beside the installed node_modules)
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(process.argv[2] || 'dist');
const version = require('plotly.js/package.json').version;
const esbuildVersion = require('esbuild/package.json').version;

// What plotly.js's own minified bundles leave out: attribute descriptions and other
// schema documentation (its tasks/compress_attributes.js does the same to its dist files).
const DOCS = [
  /\s*description: '.*',?/g,
  /\s*description: \[[\s\S]*?\]\.join\([\s\S]*?\),?/g,
  /\s*requiredOpts: \[[\s\S]*?\],?/g,
  /\s*otherOpts: \[[\s\S]*?\],?/g,
  /\s*role: '.*',?/g,
  /\s*hrName: '.*',?/g,
];
const stripDocs = {
  name: 'strip-docs',
  setup(b) {
    b.onLoad({ filter: /[\\/]plotly\.js[\\/]src[\\/].*\.js$/ }, async (args) => {
      let text = await fs.promises.readFile(args.path, 'utf8');
      for (const re of DOCS) text = text.replace(re, '');
      return { contents: text, loader: 'js' };
    });
  },
};

fs.mkdirSync(out, { recursive: true });
const result = await build({
  entryPoints: [path.join(here, 'index.js')],
  outfile: path.join(out, 'plotly.min.js'),
  bundle: true,
  minify: true,
  format: 'iife',
  globalName: 'Plotly',
  // plotly.js's own settings (its esbuild-config.js).
  target: 'es2016',
  define: { global: 'window', 'define.amd': 'false' },
  alias: { regl: '@plotly/regl' },
  // Only map traces (not bundled) use maplibre's stylesheet; the registry names it anyway.
  loader: { '.css': 'empty' },
  plugins: [stripDocs],
  banner: {
    js: `/** plotly.js v${version} (partial bundle for ParkGrid) | Copyright 2012-2026, Plotly, Inc. | MIT license */`,
  },
  metafile: true,
  logLevel: 'warning',
});

// A trace type's module (src/traces/NAME/index.js) is reached only through Plotly.register,
// so the ones esbuild bundled are the ones registered: scatter (the core's) and index.js's.
const inputs = Object.keys(Object.values(result.metafile.outputs)[0].inputs);
const traces = inputs
  .map((file) => file.match(/plotly\.js\/src\/traces\/([a-z0-9]+)\/index\.js$/))
  .filter(Boolean)
  .map((m) => m[1])
  .sort();
const wanted = [...fs.readFileSync(path.join(here, 'index.js'), 'utf8').matchAll(
  /require\('plotly\.js\/lib\/([a-z0-9]+)'\)/g,
)].map((m) => m[1]).filter((name) => name !== 'core');
const missing = wanted.filter((name) => !traces.includes(name));
if (missing.length) throw new Error(`not bundled as trace types: ${missing.join(', ')}`);

const size = fs.statSync(path.join(out, 'plotly.min.js')).size;
fs.writeFileSync(
  path.join(out, 'traces.json'),
  JSON.stringify({ 'plotly.js': version, esbuild: esbuildVersion, traces }, null, 2) + '\n',
);
console.log(`plotly.js ${version}: ${traces.join(', ')} -> ${out}/plotly.min.js (${size} bytes)`);
