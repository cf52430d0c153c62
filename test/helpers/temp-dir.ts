import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A fresh directory under the system's temp dir, unique to this call; the caller removes it. */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `cr-shim-${prefix}-`));
}
