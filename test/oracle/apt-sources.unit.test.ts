import { describe, expect, it } from 'vitest';
import { debianArchive, parseDeb822Sources, parseOneLineSources } from '../../src/oracle/apt-sources.js';

const DEB822 = `Types: deb
# http://snapshot.example/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main

Types: deb-src
URIs: http://src.example/debian
Suites: bookworm
Components: main

Enabled: no
Types: deb
URIs: http://disabled.example/debian
Suites: bookworm
Components: main
`;

const ONE_LINE = `# comment
deb [arch=amd64 signed-by=/k.gpg] http://one.example/debian bullseye main contrib
deb http://one.example/debian-security bullseye-security main
deb-src http://one.example/debian bullseye main
deb https://vendor.example/apt stable main
`;

const CASES = [
  { what: 'deb822 (Debian 12 default)', sources: parseDeb822Sources(DEB822), archive: 'http://mirror.example/debian', security: 'http://mirror.example/debian-security' },
  { what: 'one-line sources.list', sources: parseOneLineSources(ONE_LINE), archive: 'http://one.example/debian', security: 'http://one.example/debian-security' },
  { what: 'no security suite', sources: parseOneLineSources('deb http://x.example/debian trixie main\n'), archive: 'http://x.example/debian', security: undefined },
];

describe('debianArchive', () => {
  it.each(CASES)('$what', ({ sources, archive, security }) => {
    expect(debianArchive(sources)).toEqual({ archive, security });
  });

  it('ignores deb-src and disabled paragraphs', () => {
    expect(parseDeb822Sources(DEB822).map((s) => s.uri)).toEqual(['http://mirror.example/debian', 'http://mirror.example/debian-security']);
  });

  it('names the file and the fix when there is no Debian archive', () => {
    expect(() => debianArchive(parseOneLineSources('deb https://vendor.example/apt stable-x extra\n'), '/etc/apt')).toThrow(/no Debian archive .* in \/etc\/apt/);
  });
});
