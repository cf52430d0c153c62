// serve --policy: which kernel a plain image gets, per container, as data; and the file's refusals.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ContainerIdentity } from '../../src/serve/container-identity.js';
import { decidePlain, loadPolicy, type PlainPolicy, type PolicyFile } from '../../src/serve/policy.js';

const ID = 'a3f1c9e0b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2f4a6';
const legacy: ContainerIdentity = { ids: [ID], names: ['legacy-db'], labels: { 'org.example.tier': 'legacy', 'io.kubernetes.container.name': 'db' } };
const nobody: ContainerIdentity = { ids: [], names: [], labels: {} };

const POLICY: PolicyFile = {
  rules: [
    { container: 'web', kernel: 'none' },
    { container: ID.slice(0, 12), kernel: '3.10.0' },
    { label: { name: 'org.example.tier', value: 'legacy' }, kernel: '2.6.32' },
    { label: { name: 'org.example.keep' }, kernel: 'image' },
  ],
};

const ROWS: { why: string; policy: PolicyFile | undefined; who: ContainerIdentity; fallback: PlainPolicy; expect: PlainPolicy; because: string }[] = [
  { why: 'no policy: --plain', policy: undefined, who: legacy, fallback: { kind: 'image' }, expect: { kind: 'image' }, because: '--plain' },
  { why: 'an id prefix of 12 matches before the label', policy: POLICY, who: legacy, fallback: { kind: 'none' }, expect: { kind: 'release', release: '3.10.0' }, because: `policy rule 1 (container ${ID.slice(0, 12)})` },
  { why: 'a name', policy: POLICY, who: { ...nobody, names: ['web'] }, fallback: { kind: 'image' }, expect: { kind: 'none' }, because: 'policy rule 0 (container web)' },
  { why: 'a label with its value', policy: POLICY, who: { ...legacy, ids: [] }, fallback: { kind: 'none' }, expect: { kind: 'release', release: '2.6.32' }, because: 'policy rule 2 (label org.example.tier=legacy)' },
  { why: 'a label with another value does not match', policy: POLICY, who: { ...nobody, labels: { 'org.example.tier': 'new' } }, fallback: { kind: 'none' }, expect: { kind: 'none' }, because: '--plain' },
  { why: 'a label present, any value', policy: POLICY, who: { ...nobody, labels: { 'org.example.keep': '' } }, fallback: { kind: 'none' }, expect: { kind: 'image' }, because: 'policy rule 3 (label org.example.keep)' },
  { why: 'an id prefix shorter than 12 never matches', policy: { rules: [{ container: ID.slice(0, 6), kernel: '4.19' }] }, who: legacy, fallback: { kind: 'none' }, expect: { kind: 'none' }, because: '--plain' },
  { why: 'the policy\'s plain before --plain', policy: { plain: '4.19', rules: [] }, who: nobody, fallback: { kind: 'none' }, expect: { kind: 'release', release: '4.19' }, because: "the policy's plain" },
];

describe('decidePlain', () => {
  it.each(ROWS)('$why', (row) => {
    expect(decidePlain(row.policy, row.who, row.fallback)).toEqual({ policy: row.expect, why: row.because });
  });
});

const FILES: { why: string; text: string; error: RegExp | undefined }[] = [
  { why: 'a valid policy', text: JSON.stringify(POLICY), error: undefined },
  { why: 'not JSON', text: '{ rules: ', error: /: \/: not JSON: / },
  { why: 'no rules', text: '{}', error: /: \/: must have required property 'rules'/ },
  { why: 'a rule naming both a container and a label', text: JSON.stringify({ rules: [{ container: 'a', label: { name: 'b' }, kernel: 'none' }] }), error: /: \/rules\/0: must match exactly one schema in oneOf/ },
  { why: 'a rule with no kernel', text: JSON.stringify({ rules: [{ container: 'a' }] }), error: /: \/rules\/0: must have required property 'kernel'/ },
  { why: 'a kernel that is not one', text: JSON.stringify({ rules: [{ container: 'a', kernel: '../4.19' }] }), error: /: \/rules\/0\/kernel: must match pattern/ },
  { why: 'an unknown key', text: JSON.stringify({ rules: [], default: 'none' }), error: /: \/: must NOT have additional properties \(default\)/ },
];

describe('loadPolicy', () => {
  it.each(FILES)('$why', ({ text, error }) => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-policy-')), 'policy.json');
    fs.writeFileSync(file, text);
    if (error === undefined) expect(loadPolicy(file)).toEqual(JSON.parse(text));
    else expect(() => loadPolicy(file)).toThrow(error);
    fs.rmSync(path.dirname(file), { recursive: true });
  });
});
