/** The one error line, and every notice line: control characters from user files escaped, never a second line. */
import { describe, expect, it } from 'vitest';
import { errorLine, escapeControl, noticeLine } from '../../src/cli/error-line.js';

describe('errorLine', () => {
  it.each([
    ['a newline in a path', 'img\nsecond', 'img\\nsecond'],
    ['an escape sequence from a manifest', 'release \u001b[2J\u001b]0;owned\u0007', 'release \\x1b[2J\\x1b]0;owned\\x07'],
    ['carriage return and tab', 'a\rb\tc', 'a\\rb\\tc'],
    ['DEL and a C1 control', 'x\u007fy\u009bz', 'x\\x7fy\\x9bz'],
    ['plain text and non-ASCII letters', 'données: 5.10', 'données: 5.10'],
  ])('%s', (_what, raw, escaped) => {
    expect(escapeControl(raw)).toBe(escaped);
    const line = errorLine({ op: 'read manifest', message: raw, hint: `fix ${raw}` });
    expect(line).toBe(`cr-shim: read manifest: ${escaped}; fix ${escaped}\n`);
    expect(line.split('\n')).toHaveLength(2);
    expect(noticeLine(`left behind: ${raw}`, 'cr-shim serve')).toBe(`cr-shim serve: left behind: ${escaped}\n`);
  });
});
