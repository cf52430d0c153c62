/**
 * Typed errors. Each names the operation that failed and keeps its cause, so the
 * CLI can print one line ("cr-shim: <op>: <message>") and a debugger can see the chain.
 */
export class ShimError extends Error {
  /** The operation that failed, e.g. "seccomp NOTIF_RECV" or "load table x86_64/linux-5.10". */
  readonly op: string;
  /** errno name or a cr-shim code such as 'EUSAGE'; used for exit codes and tests. */
  readonly code: string | undefined;
  /** What the user can do about it; printed after the message. */
  readonly hint: string | undefined;
  /** The exit status the CLI should use; default 2 for usage errors, 125 otherwise. */
  readonly exitStatus: number | undefined;

  constructor(op: string, message: string, opts: { cause?: unknown; code?: string; hint?: string; exitStatus?: number } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.op = op;
    this.code = opts.code;
    this.hint = opts.hint;
    this.exitStatus = opts.exitStatus;
  }
}

/** A table, persona or manifest file that fails its schema or cannot be read. */
export class TableError extends ShimError {}
/** Bad command-line input: unknown release, missing program, bad flag. */
export class UsageError extends ShimError {}
/** A classic BPF program that is invalid, or a plan that cannot be compiled. */
export class BpfError extends ShimError {
  /** Instruction index at fault, when there is one. */
  readonly pc: number | undefined;
  constructor(op: string, message: string, opts: { cause?: unknown; code?: string; hint?: string; pc?: number } = {}) {
    super(op, message, opts);
    this.pc = opts.pc;
  }
}
/** A kernel call made by the supervisor failed. `code` is the errno name. */
export class KernelError extends ShimError {}
