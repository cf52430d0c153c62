import { describe, expect, it } from 'vitest';
import { renderXrestore, SECTION_BEGIN, SECTION_END, spliceSection, type XRow } from '../../src/oracle/xrestore-report.js';

const section = `${SECTION_BEGIN}\nnew\n${SECTION_END}\n`;

describe('spliceSection', () => {
  const cases: { why: string; doc: string; out: string }[] = [
    { why: 'appended to a document without one', doc: '# Fidelity\n\ntext\n', out: `# Fidelity\n\ntext\n\n${section}` },
    { why: 'replaced in place', doc: `# F\n\n${SECTION_BEGIN}\nold\n${SECTION_END}\n\n## After\n`, out: `# F\n\n${section}\n## After\n` },
    { why: 'written into an empty document', doc: '', out: section },
  ];
  it.each(cases)('$why', ({ doc, out }) => expect(spliceSection(doc, section)).toBe(out));
  it('is idempotent', () => {
    const once = spliceSection('# F\n', section);
    expect(spliceSection(once, section)).toBe(once);
  });
});

const HOST = { release: '6.18.0-build7', procVersion: 'Linux version 6.18.0-build7 (b@h) #1' };

describe('renderXrestore', () => {
  const row: XRow = {
    suite: 'bullseye',
    release: '5.10.0-46-amd64',
    criu: '3.17.1',
    case: 'dynamic',
    dumpedCounter: 40,
    guest: { counter: '0', release: '5.10.0-46-amd64', lookup_dcookie_errno: 'EINVAL' },
    shim: { counter: '47', release: '5.10.0-46-amd64', lookup_dcookie_errno: 'EINVAL' },
    plain: { counter: '47', release: HOST.release, proc_version: HOST.procVersion, lookup_dcookie_errno: 'ENOSYS' },
    conversions: ['drop-caps: dropped CAP_SYS_RESOURCE'],
    failures: [],
  };
  const text = renderXrestore({ host: HOST, guests: [{ suite: 'bullseye', release: row.release, accel: 'tcg', bootSeconds: 18 }], rows: [row] });
  it('shows the guest, the shim and the plain restore side by side', () => {
    expect(text).toContain('| 5.10.0-46-amd64 | 3.17.1 | dynamic | cr-shim restore | 47 (40) | `5.10.0-46-amd64` |');
    expect(text).toContain("| plain criu restore | 47 (40) | `(this host's uname -r)` | `(this host's /proc/version)` | `ENOSYS` |");
    expect(text).toContain('| guest | 0 (twin) |');
  });
  it("names the host by its release number only, never its build string or /proc/version", () => {
    expect(text).toContain('restored on this host (Linux 6.18.0)');
    expect(text).not.toContain(HOST.release);
    expect(text).not.toContain(HOST.procVersion);
  });
  it('names the conversions', () => expect(text).toContain('applies by itself): drop-caps: dropped CAP_SYS_RESOURCE.'));
  it('escapes a pipe in a failure', () => {
    expect(renderXrestore({ host: HOST, guests: [], rows: [{ ...row, failures: ['a | b'] }] })).toContain('FAIL: a \\| b');
  });
});
