/**
 * What `cr-shim serve` does with a plain image (one without cr-shim.json): the node's default
 * (`--plain none|image|RELEASE`) and, per container, the rules of `--policy FILE`
 * (tables/schema/serve-policy.schema.json, validated as every JSON file cr-shim reads is):
 *
 *   POLICY ::= { "plain"?: KERNEL, "rules": [ RULE... ] }       first matching rule decides
 *   RULE   ::= { "container": NAME-OR-ID, "kernel": KERNEL }    a name, an id, or an id prefix (12+)
 *            | { "label": { "name": N, "value"?: V }, "kernel": KERNEL }
 *   KERNEL ::= "none" | "image" | RELEASE
 *
 * Pure but for reading the file: matching is data in, decision out (container-identity.ts reads
 * what a restore's directory says about its container).
 */
import fs from 'node:fs';
import { TableError } from '../errors.js';
import { validateJson } from '../tables/load.js';
import type { ContainerIdentity } from './container-identity.js';

/** none: restored as it is; image: the kernel the image's vDSO note names; release: that persona. */
export type PlainPolicy = { kind: 'none' } | { kind: 'image' } | { kind: 'release'; release: string };

export interface PolicyRule {
  container?: string;
  label?: { name: string; value?: string };
  kernel: string;
}

export interface PolicyFile {
  plain?: string;
  rules: PolicyRule[];
}

/** The shortest id prefix a rule may name (docker's and podman's short id). */
const MIN_ID_PREFIX = 12;

/** A KERNEL value as a policy. */
export function plainPolicyOf(kernel: string): PlainPolicy {
  if (kernel === 'none' || kernel === 'image') return { kind: kernel };
  return { kind: 'release', release: kernel };
}

/** Read and validate a policy file. Throws TableError naming the file, the JSON path and the reason. */
export function loadPolicy(file: string): PolicyFile {
  const op = `read policy ${file}`;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (cause) {
    throw new TableError(op, `${file}: cannot read: ${(cause as Error).message}`, { cause, code: (cause as NodeJS.ErrnoException).code });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (cause) {
    throw new TableError(op, `${file}: /: not JSON: ${(cause as Error).message}`, { cause, code: 'ESCHEMA' });
  }
  return validateJson<PolicyFile>(data, 'serve-policy', file);
}

function matches(rule: PolicyRule, who: ContainerIdentity): boolean {
  if (rule.container !== undefined) {
    const c = rule.container;
    return who.names.includes(c) || who.ids.some((id) => id === c || (c.length >= MIN_ID_PREFIX && id.startsWith(c)));
  }
  if (rule.label !== undefined) {
    const v = who.labels[rule.label.name];
    return v !== undefined && (rule.label.value === undefined || rule.label.value === v);
  }
  return false;
}

/** What a plain image restored for `who` gets: the first matching rule's kernel, else the policy's plain, else `fallback`. */
export function decidePlain(policy: PolicyFile | undefined, who: ContainerIdentity, fallback: PlainPolicy): { policy: PlainPolicy; why: string } {
  const i = policy?.rules.findIndex((r) => matches(r, who)) ?? -1;
  if (i >= 0) {
    const r = policy!.rules[i]!;
    const what = r.container !== undefined ? `container ${r.container}` : `label ${r.label!.name}${r.label!.value !== undefined ? `=${r.label!.value}` : ''}`;
    return { policy: plainPolicyOf(r.kernel), why: `policy rule ${i} (${what})` };
  }
  if (policy?.plain !== undefined) return { policy: plainPolicyOf(policy.plain), why: 'the policy\'s plain' };
  return { policy: fallback, why: '--plain' };
}
