/**
 * The messages of `cr-shim serve`'s socket, one SOCK_SEQPACKET message each
 * (native/criu-plugin.c is the other side and states when it sends them):
 *
 *   REQUEST ::= "dump " PID                    is the tree under cr-shim?
 *             | "dumped " PID " " DIR          its images are written: record cr-shim.json, drop our filter
 *             | "restore " DIR                 which filter, if any, the restored tree gets
 *             | "listener " SID " " PID        + one fd (SCM_RIGHTS): a restored process's listener
 *             | "end " SID " " RET             CRIU's verdict on the restore (0: the tree runs)
 *   REPLY   ::= "shimmed " RELEASE | "plain" | "ok" | "error " TEXT
 *             | "filter " SID "\n" BYTES       raw struct sock_filter
 *
 * DIR is the rest of the line (a path may hold spaces). Pure: parsing and
 * formatting only, so every case is a row of data in the tests.
 */

export type Request =
  | { verb: 'dump'; pid: number }
  | { verb: 'dumped'; pid: number; dir: string }
  | { verb: 'restore'; dir: string }
  | { verb: 'listener'; sid: string; pid: number }
  | { verb: 'end'; sid: string; ret: number };

export type Reply =
  | { kind: 'shimmed'; release: string }
  | { kind: 'plain' }
  | { kind: 'ok' }
  | { kind: 'error'; text: string }
  | { kind: 'filter'; sid: string; filter: Uint8Array };

const PID = /^[1-9][0-9]{0,9}$/;
const SID = /^[A-Za-z0-9_-]{1,48}$/;
const RET = /^-?[0-9]{1,10}$/;

/** Parse one request; a string saying what is wrong when it is not one. */
export function parseRequest(data: Buffer | string): Request | string {
  const text = typeof data === 'string' ? data : data.toString('utf8');
  if (text.includes('\n') || text.includes('\0')) return 'a request is one line';
  const space = text.indexOf(' ');
  const verb = space < 0 ? text : text.slice(0, space);
  const rest = space < 0 ? '' : text.slice(space + 1);
  const [a = '', b = ''] = rest.split(' ');
  switch (verb) {
    case 'dump':
      return PID.test(rest) ? { verb, pid: Number(rest) } : `dump: bad pid "${rest}"`;
    case 'dumped': {
      const dir = rest.slice(a.length + 1);
      if (!PID.test(a)) return `dumped: bad pid "${a}"`;
      return dir.startsWith('/') ? { verb, pid: Number(a), dir } : `dumped: "${dir}" is not an absolute path`;
    }
    case 'restore':
      return rest.startsWith('/') ? { verb, dir: rest } : `restore: "${rest}" is not an absolute path`;
    case 'listener':
      if (!SID.test(a)) return `listener: bad session "${a}"`;
      return PID.test(b) && rest === `${a} ${b}` ? { verb, sid: a, pid: Number(b) } : `listener: bad pid "${b}"`;
    case 'end':
      if (!SID.test(a)) return `end: bad session "${a}"`;
      return RET.test(b) && rest === `${a} ${b}` ? { verb, sid: a, ret: Number(b) } : `end: bad status "${b}"`;
    default:
      return `unknown request "${verb.slice(0, 32)}"`;
  }
}

/** One reply as the plugin reads it. */
export function formatReply(r: Reply): Buffer {
  switch (r.kind) {
    case 'shimmed':
      return Buffer.from(`shimmed ${r.release}`);
    case 'plain':
    case 'ok':
      return Buffer.from(r.kind);
    case 'error':
      // One line: the plugin logs it as it is.
      return Buffer.from(`error ${r.text.replace(/\s+/g, ' ').slice(0, 400)}`);
    case 'filter':
      return Buffer.concat([Buffer.from(`filter ${r.sid}\n`), r.filter]);
  }
}
