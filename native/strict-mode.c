/*
 * cr-shim-strict: SECCOMP_MODE_STRICT for a thread under cr-shim's filter. The kernel refuses
 * strict mode to a task that already has a filter (kernel/seccomp.c seccomp_may_assign_mode:
 * mode FILTER cannot become STRICT), so the thread gets an equivalent filter instead: read,
 * write, exit and rt_sigreturn allowed (ia32: read, write, exit, sigreturn: mode1_syscalls and
 * mode1_syscalls_32), every other call SECCOMP_RET_KILL_THREAD.
 *
 *   cr-shim-strict enter TID
 *       TID is blocked in the notify loop's notification for prctl(PR_SET_SECCOMP,
 *       SECCOMP_MODE_STRICT) or seccomp(SECCOMP_SET_MODE_STRICT, 0, NULL) (native/notify-core.c,
 *       verdict enterStrict). Its wait is interrupted, the filter goes on that thread alone, and
 *       the call returns 0. When the filter could not go in, the call returns EINVAL (what the
 *       kernel answers a filtered task).
 *   cr-shim-strict filter
 *       Write the filter (raw struct sock_filter) to stdout: restore puts the same program in
 *       an image's strict threads (src/criu/convert.ts, strict-to-filter).
 *   Exit status: 0, or the errno of the step that failed (named on stderr); `enter` also writes it
 *   as an int32 to fd 3 when that is open (the loop's pipe: cr-shim may reap us before it reads
 *   our status, native/strict-client.c).
 *
 * Why KILL_THREAD and not a listener of its own, answered with strict mode's exact death
 * (do_exit(SIGKILL) of the thread, __secure_computing_strict): the kernel allows one filter
 * with a live listener per thread's chain (has_duplicate_listener: EBUSY), and cr-shim's filter
 * holds it; a USER_NOTIF from a filter without a listener fails the call with ENOSYS. So the
 * kernel ends the thread itself: KILL_THREAD ranks before every other action of every filter
 * (seccomp_run_filters keeps the lowest), so no call cr-shim's filter answers can slip through.
 * What differs: a thread of several ends with do_exit(SIGSYS) instead of do_exit(SIGKILL) (its
 * exit code shows only for a thread-group leader whose siblings later end by exit()); the
 * process's last thread gets SIGSYS with a core dump (status "killed by signal 31", core per
 * RLIMIT_CORE) instead of SIGKILL; the audit log names SIGSYS.
 *
 * Kernel facts this relies on (x86_64; measured by test/native/strict-facts.test.ts and
 * test/supervisor/strict-mode.test.ts; the interrupted call's registers are checked below):
 *  - A thread waiting for a user notification sleeps interruptibly (seccomp_do_user_notification,
 *    without SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, which cr-shim never sets). PTRACE_INTERRUPT
 *    sets a pending trap and wakes it: the wait returns -ERESTARTSYS, the notification is
 *    dropped from the listener (an answer now fails with ENOENT), the call is skipped with
 *    rax = -ERESTARTSYS, and the thread traps in PTRACE_EVENT_STOP on its way out (get_signal).
 *  - At that stop the restart has not been decided yet: arch_do_signal_or_restart looks at
 *    orig_rax and rax afterwards. orig_rax = -1 cancels the restart, so the registers we set
 *    are what the thread returns to; rip is just past the 2-byte `syscall` it executed, so
 *    rip - 2 is a syscall instruction to inject from.
 *  - PTRACE_O_SUSPEND_SECCOMP (root, CONFIG_CHECKPOINT_RESTORE) keeps every filter, the new
 *    one included, from judging the injected calls (mmap, seccomp, munmap); without it cr-shim's
 *    filter could send them to the very loop that waits for us.
 *  - seccomp() without TSYNC filters the calling thread alone; threads it creates later inherit
 *    the filter (strict mode forbids clone anyway).
 *  - No_new_privs may be set on the thread first (native/infect.c, on EACCES): invisible here,
 *    since a thread in strict mode can never call execve, the only place no_new_privs acts.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "infect.h"

#ifndef PTRACE_O_SUSPEND_SECCOMP
#define PTRACE_O_SUSPEND_SECCOMP (1 << 21)
#endif
#define ERESTARTSYS 512
#define RESULT_FD 3

/* i386 numbers of strict mode's calls (arch/x86/include/asm/seccomp.h __NR_seccomp_*_32). */
#define I386_EXIT 1
#define I386_READ 3
#define I386_WRITE 4
#define I386_SIGRETURN 119

/* Instruction indices in STRICT. */
#define IA32_CHECK 8
#define KILL 14
#define ALLOW 15
#define JEQ_TO(i, k, target) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (target) - (i) - 1, 0)

/* Strict mode as a filter: its four calls per ABI allowed, every other call ends the thread. */
static const struct sock_filter STRICT[] = {
	/* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 4 /* arch */),
	/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, IA32_CHECK - 1 - 1),
	/* 2 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0 /* nr */),
	/* 3 */ JEQ_TO(3, __NR_read, ALLOW),
	/* 4 */ JEQ_TO(4, __NR_write, ALLOW),
	/* 5 */ JEQ_TO(5, __NR_exit, ALLOW),
	/* 6 */ JEQ_TO(6, __NR_rt_sigreturn, ALLOW),
	/* 7 */ BPF_JUMP(BPF_JMP | BPF_JA, KILL - 7 - 1, 0, 0),
	/* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 0, KILL - IA32_CHECK - 1),
	/* 9 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0 /* nr */),
	/* 10 */ JEQ_TO(10, I386_READ, ALLOW),
	/* 11 */ JEQ_TO(11, I386_WRITE, ALLOW),
	/* 12 */ JEQ_TO(12, I386_EXIT, ALLOW),
	/* 13 */ JEQ_TO(13, I386_SIGRETURN, ALLOW),
	/* 14 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_THREAD),
	/* 15 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
};

/* Tgid of TID from /proc/TID/status; 0 when gone. */
static pid_t tgid_of(pid_t tid)
{
	char path[64], line[256];
	pid_t tgid = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	fclose(f);
	return tgid;
}

/*
 * Seize TID and leave it in PTRACE_EVENT_STOP; a signal dequeued on the way is noted in
 * t->requeue. On failure a thread already seized is let go by our exit (exit_ptrace).
 */
static int hold(struct infect_thread *t, unsigned options)
{
	int status;
	if (ptrace(PTRACE_SEIZE, t->tid, 0, (void *)(uintptr_t)options) < 0)
		return -1;
	if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0)
		return -1;
	for (;;) {
		pid_t r = waitpid(t->tid, &status, __WALL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			errno = ESRCH;
			return -1;
		}
		if (status >> 16 == PTRACE_EVENT_STOP) {
			t->held = true;
			return 0;
		}
		/* Signal-delivery-stop: keep the signal for later; the interrupt's trap comes next. */
		t->requeue = WSTOPSIG(status);
		if (ptrace(PTRACE_CONT, t->tid, 0, 0) < 0)
			return -1;
	}
}

static void let_go(pid_t tgid, struct infect_thread *t)
{
	if (!t->held)
		return;
	if (t->requeue)
		syscall(SYS_tgkill, tgid, t->tid, t->requeue);
	ptrace(PTRACE_DETACH, t->tid, 0, 0);
	t->held = false;
}

/* rip - 2 when it holds `syscall` (0f 05), else 0 (infect finds one in [vdso]). */
static uint64_t site_before(pid_t tid, uint64_t rip)
{
	unsigned char code[2];
	struct iovec local = { code, 2 }, remote = { (void *)(uintptr_t)(rip - 2), 2 };
	if (process_vm_readv(tid, &local, 1, &remote, 1, 0) == 2 && code[0] == 0x0f && code[1] == 0x05)
		return rip - 2;
	return 0;
}

static int fail(const char *op, int err)
{
	fprintf(stderr, "cr-shim-strict: %s: %s\n", op, strerror(err));
	return err ? err : EIO;
}

static int enter(pid_t tid)
{
	pid_t tgid = tgid_of(tid);
	struct infect_thread t = { .tid = tid };
	struct user_regs_struct saved, regs;
	struct infect_failure f = { .op = "read /proc/TID/status", .err = ESRCH };
	bool installed = false;
	int rc = -1;

	if (tgid == 0)
		goto out;
	if (hold(&t, PTRACE_O_TRACESYSGOOD | PTRACE_O_SUSPEND_SECCOMP) < 0 || ptrace(PTRACE_GETREGS, tid, 0, &saved) < 0) {
		infect_fail(&f, tgid, t.held ? "getregs" : "ptrace-seize", errno);
		goto out;
	}
	/* The interrupted call must be the one we were asked about, skipped with -ERESTARTSYS; else it goes on untouched. */
	if ((saved.orig_rax != __NR_prctl && saved.orig_rax != __NR_seccomp) || (long)saved.rax != -ERESTARTSYS) {
		infect_fail(&f, tgid, "interrupted call", EPROTO);
		goto out;
	}
	rc = infect_thread_only(tgid, &t, &saved, site_before(tid, saved.rip), (const unsigned char *)STRICT, sizeof(STRICT),
				NULL, NULL, &installed, &f);
	regs = saved;
	regs.orig_rax = (uint64_t)-1; /* no restart: the call returns what rax says */
	/* Once the filter is in the thread is strict-equivalent, whatever failed after (a scratch mapping left behind). */
	regs.rax = installed ? 0 : (uint64_t)-EINVAL;
	if (t.held)
		ptrace(PTRACE_SETREGS, tid, 0, &regs);
out:
	let_go(tgid, &t);
	return rc == 0 ? 0 : fail(f.op, f.err);
}

/* The filter's bytes on stdout. */
static int print_filter(void)
{
	size_t done = 0;
	while (done < sizeof(STRICT)) {
		ssize_t n = write(1, (const char *)STRICT + done, sizeof(STRICT) - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return fail("write", errno);
		done += (size_t)n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "filter") == 0)
		return print_filter();
	char *end = NULL;
	long tid = argc == 3 ? strtol(argv[2], &end, 10) : 0;
	if (argc != 3 || *end || tid <= 0) {
		fprintf(stderr, "usage: cr-shim-strict enter TID | cr-shim-strict filter\n");
		return EINVAL;
	}
	if (strcmp(argv[1], "enter") == 0) {
		int32_t rc = enter((pid_t)tid);
		(void)!write(RESULT_FD, &rc, sizeof(rc));
		return rc;
	}
	fprintf(stderr, "usage: cr-shim-strict enter TID | cr-shim-strict filter\n");
	return EINVAL;
}
