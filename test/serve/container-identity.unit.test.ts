// What a restore's images directory says about its container: Podman's layout, a bundle's annotations, nothing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { containerIdentity } from '../../src/serve/container-identity.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-identity-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const ID = 'b'.repeat(64);

function layout(files: Record<string, unknown>): string {
  const base = fs.mkdtempSync(path.join(root, 'c-'));
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(base, rel)), { recursive: true });
    fs.writeFileSync(path.join(base, rel), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return base;
}

describe('containerIdentity', () => {
  it('Podman: the id from the path and config.dump, the name and labels from config.dump, annotations from the bundle', () => {
    const base = layout({
      [`overlay-containers/${ID}/userdata/checkpoint/inventory.img`]: '',
      [`overlay-containers/${ID}/userdata/config.dump`]: { id: ID, name: 'legacy-db', labels: { 'org.example.tier': 'legacy', n: 1 } },
      [`overlay-containers/${ID}/userdata/config.json`]: { annotations: { 'org.example.tier': 'annotation', 'io.container.manager': 'libpod' } },
    });
    expect(containerIdentity(path.join(base, `overlay-containers/${ID}/userdata/checkpoint`))).toEqual({
      ids: [ID],
      names: ['legacy-db'],
      // A label wins over an annotation of the same name; a value that is not a string is left out.
      labels: { 'org.example.tier': 'legacy', 'io.container.manager': 'libpod' },
    });
  });

  it('a Kubernetes bundle: the name from its annotations', () => {
    const base = layout({ 'bundle/config.json': { annotations: { 'io.kubernetes.cri.container-name': 'app' } }, 'bundle/images/x': '' });
    expect(containerIdentity(path.join(base, 'bundle/images'))).toMatchObject({ ids: [], names: ['app'] });
  });

  it('nothing to read, or files that are not what they should be: an empty identity, never a throw', () => {
    const base = layout({ 'img/inventory.img': '', 'config.json': '[1,2]', 'config.dump': 'not json' });
    expect(containerIdentity(path.join(base, 'img'))).toEqual({ ids: [], names: [], labels: {} });
  });
});
