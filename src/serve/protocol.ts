/**
 * The messages of `cr-shim serve`'s socket, one SOCK_SEQPACKET message each
 * (native/criu-plugin.c is the other side and states when it sends them):
 *
 *   REQUEST ::= "dump " PID                    is the tree under cr-shim?
 *             | "dumped " PID " " DIR          its images are written: record cr-shim.json, drop our filter
 *             | "restore " DIR                 which filter, if any, the restored tree gets
 *             | "listener " SID " " PID        + one fd (SCM_RIGHTS): a restored process's listener
 *             | "end " SID " " RET             CRIU's verdict on the restore (0: the tree runs)
 *             | "adopt " VERSION " " RELEASE [" io-uring"]
 *                                              cr-shim restore or attach hands a tree over: its filter
 *             | "resume " SID " " ROOT " " MODE   every listener is handed over: guard the tree and
 *                                              supervise it (MODE "stopped": SIGCONT it, after a
 *                                              restore; "running": it runs already, after attach)
 *             | "wait " SID                    answered once the tree is gone
 *             | "restore-image " VERSION " " JSON
 *                                              cr-shim restore as a thin client: the service checks,
 *                                              restores, injects, supervises and reaps the tree;
 *                                              JSON is an ImageRestoreSpec. Answered by any number
 *                                              of "notice" then one "exit" or "failed"
 *             | "signal " SIGNUM               to the root of this connection's restore-image
 *                                              (SIGINT during CRIU: the partial tree is killed); no reply
 *   REPLY   ::= "shimmed " RELEASE | "plain" | "ok" | "gone" | "error " TEXT
 *             | "filter " SID "\n" BYTES       raw struct sock_filter
 *             | "notice " TEXT                 a line restore prints on stderr
 *             | "exit " STATUS                 the restored root's shell status
 *             | "failed " JSON                 the error restore would have ended with: RemoteFailure
 *
 * The plugin's requests are unversioned (it is built with the service); the CLI's hand-over
 * starts with "adopt VERSION", and a service refuses a version it does not speak, before
 * anything is restored, so the CLI can supervise the tree itself instead.
 *
 * DIR is the rest of the line (a path may hold spaces). Pure: parsing and
 * formatting only, so every case is a row of data in the tests.
 */

export type Request =
  | { verb: 'dump'; pid: number }
  | { verb: 'dumped'; pid: number; dir: string }
  | { verb: 'restore'; dir: string }
  | { verb: 'listener'; sid: string; pid: number }
  | { verb: 'end'; sid: string; ret: number }
  | { verb: 'adopt'; version: number; release: string; ioUring: boolean }
  | { verb: 'resume'; sid: string; root: number; mode: ResumeMode }
  | { verb: 'wait'; sid: string }
  | { verb: 'restore-image'; version: number; spec: ImageRestoreSpec }
  | { verb: 'signal'; signal: number };

/** What `cr-shim restore IMG` asks the service to do, as it would itself (src/restore/restore.ts). */
export interface ImageRestoreSpec {
  /** IMG, absolute (the service's working directory is not the client's). */
  dir: string;
  /** --kernel. */
  kernel?: string;
  /** --criu, or the client's $CR_SHIM_CRIU. */
  criu?: string;
  /** Options for criu, after --. */
  criuArgs: string[];
  ioUring: boolean;
  /** --criu-timeout and --criu-log-limit. */
  limits: { timeoutMs: number; maxLogBytes: number };
}

/**
 * An error the service's restore ended with, as the client rebuilds it: the same line and the
 * same exit status as the in-process restore's (src/cli/exit-status.ts decides on the client).
 */
export interface RemoteFailure {
  op: string;
  message: string;
  hint?: string;
  code?: string;
  exitStatus?: number;
  /** 'usage': a UsageError (a malformed request, status 2); 'internal': not a ShimError (a bug). */
  kind?: 'usage' | 'internal';
}

/** After a restore the tree is held stopped; after attach it runs. */
export type ResumeMode = 'stopped' | 'running';

/** The version of the hand-over requests (adopt, resume, wait) this build speaks. */
export const HAND_OVER_VERSION = 1;

export type Reply =
  | { kind: 'shimmed'; release: string }
  | { kind: 'plain' }
  | { kind: 'ok' }
  | { kind: 'gone' }
  | { kind: 'error'; text: string }
  | { kind: 'filter'; sid: string; filter: Uint8Array }
  | { kind: 'notice'; text: string }
  | { kind: 'exit'; status: number }
  | { kind: 'failed'; failure: RemoteFailure };

const PID = /^[1-9][0-9]{0,9}$/;
const SID = /^[A-Za-z0-9_-]{1,48}$/;
const RET = /^-?[0-9]{1,10}$/;
const VERSION = /^[1-9][0-9]{0,4}$/;
/** A release as `--kernel` takes it (2.6.32, 5.4.0-150-generic, 6.1.0-56-amd64). */
const RELEASE = /^[A-Za-z0-9][A-Za-z0-9._+~-]{0,63}$/;
const MODES: readonly ResumeMode[] = ['stopped', 'running'];
const SIGNUM = /^[1-9][0-9]?$/;
const STATUS = /^[0-9]{1,3}$/;

const isStr = (v: unknown): v is string => typeof v === 'string';
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

/** The JSON of restore-image, checked field by field; a string saying what is wrong. */
function parseSpec(json: string): ImageRestoreSpec | string {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return 'restore-image: the request is not JSON';
  }
  if (typeof v !== 'object' || v === null) return 'restore-image: the request is not an object';
  const limits = v.limits as Record<string, unknown> | undefined;
  if (!isStr(v.dir) || !v.dir.startsWith('/')) return 'restore-image: dir is not an absolute path';
  if (v.kernel !== undefined && !isStr(v.kernel)) return 'restore-image: kernel is not a string';
  if (v.criu !== undefined && !isStr(v.criu)) return 'restore-image: criu is not a string';
  if (!Array.isArray(v.criuArgs) || !v.criuArgs.every(isStr)) return 'restore-image: criuArgs is not a list of strings';
  if (typeof v.ioUring !== 'boolean') return 'restore-image: ioUring is not a boolean';
  if (typeof limits !== 'object' || limits === null || !isCount(limits.timeoutMs) || !isCount(limits.maxLogBytes)) return 'restore-image: bad limits';
  return {
    dir: v.dir,
    ...(v.kernel !== undefined ? { kernel: v.kernel } : {}),
    ...(v.criu !== undefined ? { criu: v.criu } : {}),
    criuArgs: v.criuArgs,
    ioUring: v.ioUring,
    limits: { timeoutMs: limits.timeoutMs, maxLogBytes: limits.maxLogBytes },
  };
}

function parseFailure(json: string): RemoteFailure | string {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return 'bad "failed" reply';
  }
  if (typeof v !== 'object' || v === null || !isStr(v.op) || !isStr(v.message)) return 'bad "failed" reply';
  return {
    op: v.op,
    message: v.message,
    ...(isStr(v.hint) ? { hint: v.hint } : {}),
    ...(isStr(v.code) ? { code: v.code } : {}),
    ...(typeof v.exitStatus === 'number' && Number.isInteger(v.exitStatus) ? { exitStatus: v.exitStatus } : {}),
    ...(v.kind === 'usage' || v.kind === 'internal' ? { kind: v.kind } : {}),
  };
}

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
    case 'adopt': {
      const [version = '', release = '', flag, more] = rest.split(' ');
      if (!VERSION.test(version)) return `adopt: bad version "${version}"`;
      if (!RELEASE.test(release)) return `adopt: bad release "${release.slice(0, 64)}"`;
      if ((flag !== undefined && flag !== 'io-uring') || more !== undefined) return `adopt: unknown flag "${(flag ?? more ?? '').slice(0, 32)}"`;
      return { verb, version: Number(version), release, ioUring: flag === 'io-uring' };
    }
    case 'resume': {
      const [sid = '', root = '', mode = '', more] = rest.split(' ');
      if (!SID.test(sid)) return `resume: bad session "${sid}"`;
      if (!PID.test(root)) return `resume: bad pid "${root}"`;
      if (!(MODES as readonly string[]).includes(mode) || more !== undefined) return `resume: bad mode "${mode}" (stopped or running)`;
      return { verb, sid, root: Number(root), mode: mode as ResumeMode };
    }
    case 'wait':
      return SID.test(rest) ? { verb, sid: rest } : `wait: bad session "${rest}"`;
    case 'restore-image': {
      if (!VERSION.test(a)) return `restore-image: bad version "${a.slice(0, 16)}"`;
      const spec = parseSpec(rest.slice(a.length + 1));
      return typeof spec === 'string' ? spec : { verb, version: Number(a), spec };
    }
    case 'signal':
      return SIGNUM.test(rest) ? { verb, signal: Number(rest) } : `signal: bad signal number "${rest.slice(0, 16)}"`;
    default:
      return `unknown request "${verb.slice(0, 32)}"`;
  }
}

/** One request as the CLI sends it (the inverse of parseRequest for the hand-over verbs). */
export function formatRequest(r: Request): string {
  switch (r.verb) {
    case 'adopt':
      return `adopt ${r.version} ${r.release}${r.ioUring ? ' io-uring' : ''}`;
    case 'resume':
      return `resume ${r.sid} ${r.root} ${r.mode}`;
    case 'wait':
      return `wait ${r.sid}`;
    case 'listener':
      return `listener ${r.sid} ${r.pid}`;
    case 'dump':
    case 'restore':
      return `${r.verb} ${r.verb === 'dump' ? r.pid : r.dir}`;
    case 'dumped':
      return `dumped ${r.pid} ${r.dir}`;
    case 'end':
      return `end ${r.sid} ${r.ret}`;
    case 'restore-image':
      return `restore-image ${r.version} ${JSON.stringify(r.spec)}`;
    case 'signal':
      return `signal ${r.signal}`;
  }
}

/** A reply as the CLI reads it; a string saying what is wrong when it is not one. */
export function parseReply(data: Buffer): Reply | string {
  const nl = data.indexOf(0x0a);
  const head = data.subarray(0, nl < 0 ? data.length : nl).toString('utf8');
  const space = head.indexOf(' ');
  const kind = space < 0 ? head : head.slice(0, space);
  const rest = space < 0 ? '' : head.slice(space + 1);
  switch (kind) {
    case 'plain':
    case 'ok':
    case 'gone':
      return rest === '' && nl < 0 ? { kind } : `bad "${kind}" reply`;
    case 'shimmed':
      return RELEASE.test(rest) ? { kind, release: rest } : `bad release "${rest.slice(0, 64)}"`;
    case 'error':
      return { kind, text: rest };
    case 'notice':
      return nl < 0 ? { kind, text: rest } : 'a notice is one line';
    case 'exit':
      return STATUS.test(rest) && nl < 0 ? { kind, status: Number(rest) } : `bad status "${rest.slice(0, 16)}"`;
    case 'failed': {
      const failure = nl < 0 ? parseFailure(rest) : 'bad "failed" reply';
      return typeof failure === 'string' ? failure : { kind, failure };
    }
    case 'filter':
      // struct sock_filter is 8 bytes; a filter has at least one instruction.
      if (!SID.test(rest) || nl < 0) return 'bad "filter" reply';
      return (data.length - nl - 1) % 8 === 0 && data.length > nl + 1 ? { kind, sid: rest, filter: new Uint8Array(data.subarray(nl + 1)) } : 'a filter that is not whole instructions';
    default:
      return `unknown reply "${kind.slice(0, 32)}"`;
  }
}

/** One reply as the plugin reads it. */
export function formatReply(r: Reply): Buffer {
  switch (r.kind) {
    case 'shimmed':
      return Buffer.from(`shimmed ${r.release}`);
    case 'plain':
    case 'ok':
    case 'gone':
      return Buffer.from(r.kind);
    case 'error':
      // One line: the plugin logs it as it is.
      return Buffer.from(`error ${r.text.replace(/\s+/g, ' ').slice(0, 400)}`);
    case 'filter':
      return Buffer.concat([Buffer.from(`filter ${r.sid}\n`), r.filter]);
    case 'notice':
      return Buffer.from(`notice ${r.text.replace(/\n/g, ' ')}`);
    case 'exit':
      return Buffer.from(`exit ${r.status}`);
    case 'failed':
      // JSON.stringify escapes newlines: still one line.
      return Buffer.from(`failed ${JSON.stringify(r.failure)}`);
  }
}
