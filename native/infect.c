/*
 * One held process under a filter by ptrace injection (infect.h states the
 * contract and the kernel facts).
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "infect.h"

#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif

#define SYSCALL_STOP (SIGTRAP | 0x80)

int infect_fail(struct infect_failure *f, pid_t pid, const char *op, int err)
{
	f->pid = pid;
	f->op = op;
	f->err = err ? err : EIO;
	return -1;
}

/* ---- syscall: run one call inside a held thread ---- */

/*
 * Resume t until its next syscall-stop. Group-stop and interrupt traps are
 * passed over; a signal met on the way is dequeued here and noted for re-queueing.
 */
static int next_syscall_stop(struct infect_thread *t)
{
	for (;;) {
		int status;
		if (ptrace(PTRACE_SYSCALL, t->tid, 0, 0) < 0)
			return -1;
		pid_t r;
		while ((r = waitpid(t->tid, &status, __WALL)) < 0 && errno == EINTR)
			;
		if (r < 0)
			return -1;
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			t->held = false;
			errno = ESRCH;
			return -1;
		}
		if (WSTOPSIG(status) == SYSCALL_STOP)
			return 0;
		if (status >> 16 == 0)
			t->requeue = WSTOPSIG(status);
	}
}

/*
 * Make thread t call syscall nr with args from the syscall instruction at
 * site; *ret is the kernel's return (-errno on failure). The registers are
 * left as the call left them: the caller puts the saved ones back (cure).
 */
static int inject_syscall(struct infect_thread *t, const struct user_regs_struct *saved, uint64_t site, long nr,
			  const uint64_t args[6], long *ret)
{
	struct user_regs_struct regs = *saved;
	regs.rip = site;
	regs.rax = (uint64_t)nr;
	regs.orig_rax = (uint64_t)-1;
	regs.rdi = args[0];
	regs.rsi = args[1];
	regs.rdx = args[2];
	regs.r10 = args[3];
	regs.r8 = args[4];
	regs.r9 = args[5];
	if (ptrace(PTRACE_SETREGS, t->tid, 0, &regs) < 0)
		return -1;
	/* Entry, then exit. */
	if (next_syscall_stop(t) < 0 || next_syscall_stop(t) < 0)
		return -1;
	if (ptrace(PTRACE_GETREGS, t->tid, 0, &regs) < 0)
		return -1;
	*ret = (long)regs.rax;
	return 0;
}

/* ---- prepare: a syscall instruction and scratch memory ---- */

/* The address of a `syscall` instruction (0f 05) in PID's [vdso]; -1 with errno. */
static int find_syscall_site(pid_t pid, uint64_t *site)
{
	char path[64], line[512];
	uint64_t lo = 0, hi = 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	FILE *maps = fopen(path, "re");
	if (!maps)
		return -1;
	while (fgets(line, sizeof(line), maps)) {
		if (strstr(line, "[vdso]") && sscanf(line, "%lx-%lx", &lo, &hi) == 2)
			break;
		lo = hi = 0;
	}
	fclose(maps);
	if (hi <= lo || hi - lo > (1 << 20)) {
		errno = ENOEXEC;
		return -1;
	}
	size_t len = hi - lo;
	autofree unsigned char *code = malloc(len);
	if (!code) {
		errno = ENOMEM;
		return -1;
	}
	struct iovec local = { code, len }, remote = { (void *)(uintptr_t)lo, len };
	if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != (ssize_t)len)
		return -1;
	for (size_t i = 0; i + 1 < len; i++) {
		if (code[i] == 0x0f && code[i + 1] == 0x05) {
			*site = lo + i;
			return 0;
		}
	}
	errno = ENOEXEC;
	return -1;
}

/* ---- one process: prepare, syscall, hand over, cure ---- */

static long call(struct infect_thread *t, const struct user_regs_struct *saved, uint64_t site, long nr, uint64_t a0,
		 uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5, long *ret)
{
	const uint64_t args[6] = { a0, a1, a2, a3, a4, a5 };
	return inject_syscall(t, saved, site, nr, args, ret);
}

/*
 * seccomp(SET_MODE_FILTER, flags, prog) called by thread t; EACCES (no
 * CAP_SYS_ADMIN, no no_new_privs) sets no_new_privs on t and retries once.
 * 0 with *ret the kernel's answer, or -1 with errno and *op set.
 */
static int install(struct infect_thread *t, const struct user_regs_struct *saved, uint64_t site, uint64_t flags,
		   uint64_t prog, long *ret, const char **op)
{
	*op = "seccomp";
	if (call(t, saved, site, SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog, 0, 0, 0, ret) < 0)
		return -1;
	if (*ret != -EACCES)
		return 0;
	*op = "prctl-no-new-privs";
	if (call(t, saved, site, SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0, ret) < 0)
		return -1;
	if (*ret < 0)
		return 0;
	*op = "seccomp";
	return call(t, saved, site, SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog, 0, 0, 0, ret);
}

/*
 * The listener is fd `listener` in pid: hand it to TAKE, then make thread t
 * close the task's copy. 0, or -1 with errno and *op set.
 */
static int hand_over(pid_t pid, struct infect_thread *t, const struct user_regs_struct *saved, uint64_t site,
		     long listener, infect_take_fn take, void *ctx, long *ret, const char **op)
{
	*op = "take-listener";
	if (take(ctx, pid, listener) < 0)
		return -1;
	*op = "close-listener";
	if (call(t, saved, site, SYS_close, (uint64_t)listener, 0, 0, 0, 0, 0, ret) < 0)
		return -1;
	if (*ret < 0) {
		errno = (int)-*ret;
		return -1;
	}
	return 0;
}

/*
 * Thread t alone (no TSYNC) installs the program at prog: with TAKE, with a listener of its
 * own, handed to TAKE and closed in the task. 0, or the errno with *op naming the step;
 * *installed says whether the filter went in.
 */
static int install_on_thread(pid_t pid, struct infect_thread *t, const struct user_regs_struct *saved, uint64_t site,
			     uint64_t prog, infect_take_fn take, void *ctx, bool *installed, const char **op)
{
	long ret = 0;
	*installed = false;
	if (install(t, saved, site, take ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0, prog, &ret, op) < 0)
		return errno;
	if (ret < 0)
		return (int)-ret;
	*installed = true;
	if (take && hand_over(pid, t, saved, site, ret, take, ctx, &ret, op) < 0)
		return errno;
	return 0;
}

/*
 * The threads of pid run under different filters, so TSYNC refused (ESRCH):
 * every held thread installs the filter itself, without TSYNC, and each gets
 * its own listener (a thread's chain may hold one). Threads created later
 * inherit their creator's filter, listener included. `first` already ran the
 * refused call with `first_saved` as its registers; every other thread's are
 * put back here.
 */
static int infect_each_thread(pid_t pid, struct infect_thread *threads, size_t n, struct infect_thread *first,
			      const struct user_regs_struct *first_saved, uint64_t site, uint64_t prog,
			      infect_take_fn take, void *ctx, struct infect_failure *f)
{
	const char *op = "getregs";
	bool installed;
	for (size_t i = 0; i < n; i++) {
		struct infect_thread *u = &threads[i];
		struct user_regs_struct own;
		if (!u->held)
			continue;
		if (u != first && ptrace(PTRACE_GETREGS, u->tid, 0, &own) < 0)
			return infect_fail(f, pid, "getregs", errno);
		const struct user_regs_struct *saved = u == first ? first_saved : &own;
		int err = install_on_thread(pid, u, saved, site, prog, take, ctx, &installed, &op);
		if (u != first)
			ptrace(PTRACE_SETREGS, u->tid, 0, &own);
		if (err)
			return infect_fail(f, pid, op, err);
	}
	return 0;
}

/*
 * A scratch mapping in pid holding struct sock_fprog { unsigned short len; struct sock_filter *filter; }
 * then the program: *scratch its address (left -1 on failure), *size its length. 0, or -1 with errno and *op.
 */
static int map_program(pid_t pid, struct infect_thread *t, const struct user_regs_struct *saved, uint64_t site,
		       const unsigned char *filter, size_t len, long *scratch, size_t *size, const char **op)
{
	*size = 16 + len;
	*op = "mmap";
	if (call(t, saved, site, SYS_mmap, 0, *size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 (uint64_t)-1, 0, scratch) < 0) {
		*scratch = -1;
		return -1;
	}
	if (*scratch < 0 && *scratch > -4096) {
		errno = (int)-*scratch;
		*scratch = -1;
		return -1;
	}
	unsigned char header[16] = { 0 };
	uint16_t count = (uint16_t)(len / sizeof(struct sock_filter));
	uint64_t prog_at = (uint64_t)*scratch + 16;
	memcpy(header, &count, sizeof(count));
	memcpy(header + 8, &prog_at, sizeof(prog_at));
	struct iovec local[2] = { { header, 16 }, { (void *)filter, len } };
	struct iovec remote = { (void *)(uintptr_t)*scratch, *size };
	*op = "write-filter";
	if (process_vm_writev(pid, local, 2, &remote, 1, 0) != (ssize_t)*size)
		return -1;
	return 0;
}

int infect_thread_only(pid_t pid, struct infect_thread *t, const struct user_regs_struct *saved, uint64_t site,
		       const unsigned char *filter, size_t len, infect_take_fn take, void *ctx, bool *installed,
		       struct infect_failure *f)
{
	long ret = 0, scratch = -1;
	size_t size = 0;
	const char *op = "find-syscall-site";
	int err = 0;

	*installed = false;
	if (site == 0 && find_syscall_site(pid, &site) < 0)
		return infect_fail(f, pid, op, errno);
	if (map_program(pid, t, saved, site, filter, len, &scratch, &size, &op) < 0)
		goto failed;
	err = install_on_thread(pid, t, saved, site, (uint64_t)scratch, take, ctx, installed, &op);
	if (err) {
		errno = err;
		goto failed;
	}
	op = "munmap";
	if (call(t, saved, site, SYS_munmap, (uint64_t)scratch, size, 0, 0, 0, 0, &ret) < 0)
		goto failed;
	return 0;

failed:
	err = errno;
	if (t->held && scratch >= 0)
		call(t, saved, site, SYS_munmap, (uint64_t)scratch, size, 0, 0, 0, 0, &ret);
	return infect_fail(f, pid, op, err);
}

/* The filter goes in, the listener comes out, the registers go back. */
int infect_process(pid_t pid, struct infect_thread *t, struct infect_thread *threads, size_t n,
		   const unsigned char *filter, size_t len, infect_take_fn take, void *ctx, struct infect_failure *f)
{
	struct user_regs_struct saved;
	uint64_t site;
	long ret = 0, scratch = -1;
	size_t size = 0;
	const char *op;
	int err = 0;

	op = "getregs";
	if (ptrace(PTRACE_GETREGS, t->tid, 0, &saved) < 0)
		goto failed;
	op = "find-syscall-site";
	if (find_syscall_site(pid, &site) < 0)
		goto failed;

	if (map_program(pid, t, &saved, site, filter, len, &scratch, &size, &op) < 0)
		goto failed;

	const uint64_t flags = SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_TSYNC |
			       SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
	if (install(t, &saved, site, flags, (uint64_t)scratch, &ret, &op) < 0)
		goto failed;
	if (ret == -ESRCH && threads != NULL) {
		/* One listener per thread instead; its failure is reported there, after its cure. */
		if (infect_each_thread(pid, threads, n, t, &saved, site, (uint64_t)scratch, take, ctx, f) < 0) {
			call(t, &saved, site, SYS_munmap, (uint64_t)scratch, size, 0, 0, 0, 0, &ret);
			ptrace(PTRACE_SETREGS, t->tid, 0, &saved);
			return -1;
		}
	} else {
		if (ret < 0)
			goto failed_ret;
		if (hand_over(pid, t, &saved, site, ret, take, ctx, &ret, &op) < 0)
			goto failed;
	}

	op = "munmap";
	if (call(t, &saved, site, SYS_munmap, (uint64_t)scratch, size, 0, 0, 0, 0, &ret) < 0)
		goto failed;
	scratch = -1;

	op = "setregs";
	if (ptrace(PTRACE_SETREGS, t->tid, 0, &saved) < 0)
		goto failed;
	return 0;

failed_ret:
	errno = (int)-ret;
failed:
	err = errno;
	/* Cure what can be cured: no scratch mapping left behind, registers as found. */
	if (t->held && scratch >= 0)
		call(t, &saved, site, SYS_munmap, (uint64_t)scratch, size, 0, 0, 0, 0, &ret);
	if (t->held)
		ptrace(PTRACE_SETREGS, t->tid, 0, &saved);
	return infect_fail(f, pid, op, err);
}

