/**
 * Integration tests need the native addon and the compiled CLI, which
 * `npm install` (node-gyp) and `npm run build` (tsc) produce; `npm test`
 * builds first. Checked per test file, not in global setup, so tests of the
 * test programs and pure-TypeScript units run without them.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

import { REPO_ROOT } from './programs.js';

const REQUIRED = [
  { file: 'build/Release/cr_shim_notify.node', fix: 'run npm install (builds the native addon)' },
  { file: 'build/Release/cr-shim', fix: 'run npm install (builds the native front, bin/cr-shim\'s program)' },
  { file: 'dist/cli/main.js', fix: 'run npm run build (compiles the CLI)' },
] as const;

/** Throws a one-line error naming the missing file and the command that makes it. */
export function requireShimBuilt(): void {
  for (const { file, fix } of REQUIRED) {
    if (!existsSync(path.join(REPO_ROOT, file))) {
      throw new Error(`${file} is missing: ${fix}`);
    }
  }
}
