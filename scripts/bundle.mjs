/**
 * `npm run build`'s second step, after tsc: bundle the CLI into dist/cli/ with
 * esbuild, so that `cr-shim run` loads a handful of files instead of some 75
 * modules. Node's ESM loader resolves, reads and compiles each module on its
 * own: about 45 ms of `run`'s start-up on a small VM, a third of `node -e 0`.
 *
 * Entries: main.js (the CLI, replacing tsc's), the two worker threads the
 * CLI starts by URL next to it (worker.js: the notify supervisor, tracer.js:
 * the ptrace one) and handover-main.js, the native front's TypeScript helper
 * (docs/FRONT.md), which starts worker.js the same way. The front runs it as
 * dist/supervisor/handover-main.js: that file becomes a one-line import of
 * the bundled one, so its chunks and worker are the CLI's, built together
 * (one build id covers the front entry's WORKER record and its reader). Each command stays its own chunk, imported only when it
 * runs (src/cli/main.ts), and modules shared between entries are shared chunks.
 *
 * Every output file sits in dist/cli/, two levels below the package root as
 * every module under src/ and dist/ does: paths resolved from import.meta.url
 * (build/Release/, tables/, package.json) stay right. The rest of dist/ is
 * tsc's, unbundled, for what runs a module by path (dist/bench/startup-probe.js,
 * dist/docs/generate-supported.js). Packages (koffi, ajv) stay in node_modules.
 */
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = path.join(root, 'dist', 'cli');

// The previous bundle's chunks and command files (NAME-HASH.js, esbuild's base32 hash): stale ones
// would pile up. tsc's files there (main.js, args.js, ...) never carry such a suffix.
for (const f of fs.existsSync(outdir) ? fs.readdirSync(outdir) : []) {
  if (/^[a-z0-9-]+-[A-Z2-7]{8}\.js(\.map)?$/.test(f)) fs.rmSync(path.join(outdir, f));
}

await build({
  absWorkingDir: root,
  entryPoints: {
    main: 'src/cli/main.ts',
    worker: 'src/supervisor/worker.ts',
    tracer: 'src/mechanisms/ptrace/tracer.ts',
    'handover-main': 'src/supervisor/handover-main.ts',
  },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});

// tsc's unbundled helper would load some 20 modules and tsc's unbundled worker beside it.
const handover = path.join(root, 'dist', 'supervisor', 'handover-main.js');
fs.writeFileSync(handover, "// The native front's TypeScript helper (docs/FRONT.md): the bundle, built by scripts/bundle.mjs.\nimport '../cli/handover-main.js';\n");
fs.rmSync(`${handover}.map`, { force: true });

// The build id: a hash of every file the bundle wrote. The session cache keys its entries on it
// (src/supervisor/run-cache.ts), so a rebuilt CLI never starts from a run an older one compiled.
const hash = createHash('sha256');
for (const f of fs.readdirSync(outdir).filter((f) => f.endsWith('.js')).sort()) {
  hash.update(f).update('\0').update(fs.readFileSync(path.join(outdir, f)));
}
fs.writeFileSync(path.join(outdir, 'build-id'), `${hash.digest('hex')}\n`);
