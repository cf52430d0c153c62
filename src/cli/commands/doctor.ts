/**
 * `cr-shim doctor [--criu PATH] [--json]`: which criu cr-shim uses and what `criu check` says,
 * and the kernel features cr-shim needs, one line each (src/criu/kernel-features.ts probes them).
 *
 * Exit status: 0 everything required is there; 1 something required is missing; 2 usage.
 */
import os from 'node:os';
import { ShimError, UsageError } from '../../errors.js';
import { criuCheck, locateCriu } from '../../criu/binary.js';
import { probeKernelFeatures, type Feature } from '../../criu/kernel-features.js';
import type { CommandSpec, Parsed } from '../args.js';
import { flag, str } from '../args.js';
import { writeStdout } from '../stdout.js';

export const doctorSpec: CommandSpec = {
  name: 'doctor',
  usage: 'cr-shim doctor [--criu PATH] [--json]',
  summary: 'Report the criu in use and its criu check, and each kernel feature cr-shim needs: ok or missing.',
  options: [
    { name: 'criu', value: 'PATH', help: 'the criu to check (default: $CR_SHIM_CRIU, the private root of scripts/setup-criu.sh, PATH)' },
    { name: 'json', help: 'print the findings as JSON' },
  ],
};

const SOURCE_TEXT = { flag: '--criu', env: '$CR_SHIM_CRIU', 'private-root': 'the private root of scripts/setup-criu.sh', PATH: 'PATH' } as const;

async function criuFeatures(explicit: string | undefined): Promise<Feature[]> {
  try {
    const criu = await locateCriu(explicit === undefined ? {} : { explicit });
    const check = await criuCheck(criu.path);
    // criu prints the verdict on stdout and its warnings on stderr (4.2 warns here that hardware
    // breakpoints do not work): the verdict is the line that says so, else the last one.
    const lines = check.output.trim().split('\n').filter((l) => !/RLIMIT_NOFILE/.test(l));
    const verdict = lines.find((l) => /^Looks good/.test(l)) ?? lines.at(-1) ?? '';
    return [
      {
        name: 'criu',
        state: 'ok',
        detail: `${criu.version} at ${criu.path} (from ${SOURCE_TEXT[criu.source]}${criu.suite ? `, Debian ${criu.suite}` : ''}); at least ${criu.floor.major}.${criu.floor.minor} here: ${criu.floor.reason}`,
        required: true,
      },
      { name: 'criu check', state: check.ok ? 'ok' : 'missing', detail: verdict, required: true },
    ];
  } catch (err) {
    if (!(err instanceof ShimError)) throw err;
    return [{ name: 'criu', state: 'missing', detail: `${err.message}${err.hint ? `; ${err.hint}` : ''}`, required: true }];
  }
}

export async function doctorCommand(p: Parsed): Promise<number> {
  if (p.positionals.length > 0) throw new UsageError('doctor', `unexpected argument ${p.positionals[0]}`, { code: 'EUSAGE', hint: `usage: ${doctorSpec.usage}` });
  const features: Feature[] = [
    ...(await criuFeatures(str(p.options.criu))),
    { name: 'kernel', state: 'info', detail: `${os.release()} ${os.arch() === 'x64' ? 'x86_64' : os.arch()}`, required: false },
    ...(await probeKernelFeatures()),
  ];
  const healthy = features.every((f) => !f.required || f.state === 'ok');
  const width = Math.max(...features.map((f) => f.name.length)) + 2;
  const out = flag(p.options.json)
    ? `${JSON.stringify({ ok: healthy, features }, null, 2)}\n`
    : features.map((f) => `${f.name.padEnd(width)}${f.state.padEnd(9)}${f.detail}\n`).join('') + (healthy ? '' : 'something cr-shim needs is missing (lines marked missing above)\n');
  await writeStdout(out);
  return healthy ? 0 : 1;
}
