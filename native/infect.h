/*
 * Putting one held process under a seccomp filter by ptrace injection: the part
 * shared by cr-shim-inject (which seizes the tasks itself) and the CRIU plugin
 * (where CRIU already holds every task, ptrace-stopped, as their tracer).
 * Verbs, as in CRIU's compel: prepare (find a syscall site), syscall, cure.
 *
 * Kernel facts this relies on (x86_64):
 *  - The `syscall` instruction (0f 05) exists in [vdso]: no code is written.
 *    rip = site, rax = nr, orig_rax = -1 (no restart fix-ups on resume), args
 *    in rdi rsi rdx r10 r8 r9; run to syscall-exit-stop with PTRACE_SYSCALL
 *    (the tracer must have set PTRACE_O_TRACESYSGOOD); then the saved
 *    registers go back unchanged, which keeps an interrupted call's restart
 *    semantics.
 *  - NEW_LISTENER with TSYNC needs TSYNC_ESRCH (5.7), or the return value would
 *    be ambiguous; ESRCH then means the threads' filters differ. EACCES: the task lacks CAP_SYS_ADMIN and no_new_privs; set
 *    it (permanent, inherited) and retry. EBUSY: a thread already sits under a
 *    filter with a live listener (one per thread at most).
 *  - The listener must not stay in the task: the program could answer its own
 *    notifications, and CRIU refuses to dump a task holding one.
 *  - A signal met while the thread runs the injected call is dequeued by the
 *    ptrace stop; it is noted in `requeue`, for the caller to send again.
 */
#ifndef CR_SHIM_INFECT_H
#define CR_SHIM_INFECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct user_regs_struct;

#define INFECT_MAX_FILTER_BYTES (4096 * 8) /* BPF_MAXINSNS struct sock_filter */

struct infect_thread {
	pid_t tid;
	bool held;	/* seized and in a ptrace-stop */
	int requeue;	/* a signal dequeued while held, to send again before letting go */
};

/* Where a failure happened: OP is one word (seize, seccomp, ...), ERR an errno value. */
struct infect_failure {
	pid_t pid;
	const char *op;
	int err;
};

/* Record a failure in *f (EIO when err is 0); returns -1. */
int infect_fail(struct infect_failure *f, pid_t pid, const char *op, int err);

/*
 * Called once the filter is in and its listener is fd REMOTE_FD inside PID:
 * copy it out (pidfd_getfd) and hand it on. Returns 0, or -1 with errno; the
 * injector then cures the task and reports OP "take-listener".
 */
typedef int (*infect_take_fn)(void *ctx, pid_t pid, long remote_fd);

/*
 * Install the filter (raw struct sock_filter bytes) in process PID through its
 * held thread T, hand the listener to TAKE, close the task's copy and put T's
 * registers back. When PID's threads run under different filters TSYNC refuses
 * (ESRCH): with THREADS (all N threads of PID, held ones used) every held
 * thread then installs the filter itself, one listener each, each handed to
 * TAKE; without (NULL) the refusal is the failure. Returns 0, or -1 with *f set
 * (registers restored and no scratch mapping left behind where the task is
 * still there).
 */
int infect_process(pid_t pid, struct infect_thread *t, struct infect_thread *threads, size_t n,
		   const unsigned char *filter, size_t len, infect_take_fn take, void *ctx, struct infect_failure *f);

/*
 * Install the filter in held thread T alone, without TSYNC (with TAKE: one listener, handed to
 * TAKE, the task's copy closed; TAKE NULL: no listener), each call made from the syscall
 * instruction at SITE (0: one found in [vdso]) with SAVED as the registers around it. T's registers are left for the caller to set:
 * it decides what the thread returns to. *INSTALLED says whether the filter went in (it cannot
 * be taken out again). Returns 0, or -1 with *f set and no scratch mapping left behind.
 */
int infect_thread_only(pid_t pid, struct infect_thread *t, const struct user_regs_struct *saved, uint64_t site,
		       const unsigned char *filter, size_t len, infect_take_fn take, void *ctx, bool *installed,
		       struct infect_failure *f);

#endif
