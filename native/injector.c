/*
 * cr-shim-inject [--descendants] (--filter PATH | --filter-fd N) PID...
 *
 * Put running or stopped processes under a seccomp filter from outside, the way
 * CRIU's compel infects a task: seize every thread of every process so none of
 * them runs, make one thread per process call
 * seccomp(SET_MODE_FILTER, NEW_LISTENER | TSYNC | TSYNC_ESRCH) (TSYNC puts all
 * its threads under the filter; when their filters differ TSYNC refuses with
 * ESRCH, and every thread then calls it without TSYNC, one listener each),
 * let the supervisor copy the listener out with
 * pidfd_getfd, make the thread close its own copy, put its registers back and
 * detach, leaving every task as stopped or running as it was found.
 * Verbs, as in compel: seize, prepare (find a syscall site), syscall, cure.
 *
 * --filter PATH / --filter-fd N: raw struct sock_filter bytes (read to EOF).
 * --descendants: also take every process descended from the PIDs, found from
 *   /proc/P/task/T/children once the listed ones are held (so none can fork
 *   an unseen child), repeated until no new one appears.
 *
 * Protocol, one line per message (stdout → supervisor, stdin ← supervisor):
 *
 *   OUT     ::= { SEIZED } { LISTENER TAKEN } ( DONE | ERROR )
 *   SEIZED  ::= "seized " PID " " NTHREADS "\n"   every live thread of PID is held
 *   LISTENER::= "listener " PID " " FD "\n"        the filter is in PID; FD is the
 *                                                  listener's number inside PID (one
 *                                                  per thread when TSYNC refused)
 *   TAKEN   ::= "taken " PID "\n"                  (stdin) the supervisor holds its copy
 *   DONE    ::= "done\n"                           every task detached, exit status 0
 *   ERROR   ::= "error " PID " " OP " " ERRNO "\n" OP is one word (seize, seccomp, ...);
 *                                                  exit status ERRNO (PID 0: no process)
 *
 * On an error the injector still puts the failing thread's registers back and
 * detaches everything, so an untouched process is left as it was; processes
 * that already got the filter keep it (a filter cannot be removed), and the
 * supervisor decides what to do with them (restore and attach kill the tree).
 *
 * Kernel facts this relies on (x86_64):
 *  - PTRACE_SEIZE of a task already in group-stop makes it trap by itself before
 *    SEIZE returns; PTRACE_INTERRUPT on it would queue a second trap. So look
 *    with a non-blocking waitpid first and interrupt only when nothing came.
 *  - A trap from group-stop reports PTRACE_EVENT_STOP with the stop signal; one
 *    from PTRACE_INTERRUPT reports SIGTRAP. PTRACE_DETACH from either puts a task
 *    whose group is still stopped back into group-stop, and lets the others run.
 *  - A signal-delivery-stop met on the way has dequeued the signal: it is
 *    re-queued with tgkill before detaching, so the task still gets it (the
 *    siginfo becomes the injector's).
 *  - PTRACE_O_SUSPEND_SECCOMP (CAP_SYS_ADMIN, CONFIG_CHECKPOINT_RESTORE) keeps
 *    the task's existing filters (e.g. a copy CRIU restored without its
 *    listener) from judging the injected calls; it ends with the detach.
 *  - The `syscall` instruction (0f 05) exists in [vdso]: no code is written.
 *    rip = site, rax = nr, orig_rax = -1 (no restart fix-ups on resume), args
 *    in rdi rsi rdx r10 r8 r9; run to syscall-exit-stop with PTRACE_SYSCALL;
 *    then the saved registers go back unchanged, which keeps an interrupted
 *    call's restart semantics.
 *  - NEW_LISTENER with TSYNC needs TSYNC_ESRCH (5.7), or the return value would
 *    be ambiguous. EACCES: the task lacks CAP_SYS_ADMIN and no_new_privs; set
 *    it (permanent, inherited) and retry. EBUSY: a thread already sits under a
 *    filter with a live listener (one per thread at most).
 *  - The listener must not stay in the task: the program could answer its own
 *    notifications, and CRIU refuses to dump a task holding one.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdbool.h>
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

#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef PTRACE_O_SUSPEND_SECCOMP
#define PTRACE_O_SUSPEND_SECCOMP (1 << 21)
#endif

#define MAX_FILTER_BYTES (BPF_MAXINSNS * sizeof(struct sock_filter))
#define SYSCALL_STOP (SIGTRAP | 0x80)

struct thread {
	pid_t tid;
	bool held;		/* seized and in a ptrace-stop */
	int requeue;		/* a signal dequeued while held, sent again before detach */
};

struct proc {
	pid_t pid;
	struct thread *threads;
	size_t n;
};

struct tree {
	struct proc *procs;
	size_t n;
	unsigned seize_options;
};

/* Where a failure happened, for the ERROR line. */
struct failure {
	pid_t pid;
	const char *op;
	int err;
};

/* A directory closed by scope, beside cleanup.h's autofree and autoclose. */
static void close_dir(DIR **d)
{
	if (*d)
		closedir(*d);
}
#define autoclosedir __attribute__((cleanup(close_dir)))

static int fail(struct failure *f, pid_t pid, const char *op, int err)
{
	f->pid = pid;
	f->op = op;
	f->err = err ? err : EIO;
	return -1;
}

/* ---- reading /proc ---- */

/* The state letter of /proc/PID/task/TID/stat ("R", "S", "T", "t", "Z", ...), or 0 when gone. */
static char task_state(pid_t pid, pid_t tid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t len = read(fd, buf, sizeof(buf) - 1);
	if (len <= 0)
		return 0;
	buf[len] = '\0';
	/* "PID (COMM) S ...": COMM may hold spaces and parentheses, so look after the last ')'. */
	char *close_paren = strrchr(buf, ')');
	return close_paren && close_paren[1] == ' ' ? close_paren[2] : 0;
}

static bool dead_state(char s)
{
	return s == 0 || s == 'Z' || s == 'X' || s == 'x';
}

/* Thread ids of PID into *out (malloc'd); -1 with errno when /proc/PID/task cannot be read. */
static int list_threads(pid_t pid, pid_t **out, size_t *count)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	autoclosedir DIR *d = opendir(path);
	size_t cap = 8, n = 0;
	pid_t *tids = malloc(cap * sizeof(*tids));
	if (!d || !tids) {
		int err = d ? ENOMEM : errno;
		free(tids);
		errno = err;
		return -1;
	}
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		if (n == cap) {
			pid_t *grown = realloc(tids, (cap *= 2) * sizeof(*tids));
			if (!grown) {
				free(tids);
				errno = ENOMEM;
				return -1;
			}
			tids = grown;
		}
		tids[n++] = (pid_t)atoi(e->d_name);
	}
	*out = tids;
	*count = n;
	return 0;
}

/* ---- seize ---- */

static struct thread *find_thread(struct proc *p, pid_t tid)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->threads[i].tid == tid)
			return &p->threads[i];
	return NULL;
}

/*
 * Wait for the seized thread's first ptrace-stop and leave it in a
 * PTRACE_EVENT_STOP. Signal-delivery-stops on the way are noted for re-queueing
 * and passed over. Returns 0, 1 when the thread died, -1 with errno.
 */
static int wait_first_stop(struct thread *t)
{
	int status;
	bool interrupted = false;
	pid_t r = waitpid(t->tid, &status, __WALL | WNOHANG);
	for (;;) {
		if (r < 0 && errno == EINTR) {
			r = waitpid(t->tid, &status, __WALL);
			continue;
		}
		if (r < 0)
			return -1;
		if (r == 0) {
			/* Running (or asleep): ask for a trap. A task already in group-stop trapped by itself. */
			if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0)
				return errno == ESRCH ? 1 : -1;
			interrupted = true;
			r = waitpid(t->tid, &status, __WALL);
			continue;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status))
			return 1;
		if (status >> 16 == PTRACE_EVENT_STOP)
			return 0;
		/* Signal-delivery-stop: keep the signal for later, and go on to the trap. */
		t->requeue = WSTOPSIG(status);
		if (!interrupted && ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0)
			return errno == ESRCH ? 1 : -1;
		interrupted = true;
		if (ptrace(PTRACE_CONT, t->tid, 0, 0) < 0)
			return errno == ESRCH ? 1 : -1;
		r = waitpid(t->tid, &status, __WALL);
	}
}

/*
 * Seize one thread. 0 held; 1 it is dead or gone (nothing to do); -1 failure.
 * A zombie thread cannot be seized (EPERM) and needs no filter.
 */
static int seize_thread(struct tree *tr, struct proc *p, pid_t tid, struct failure *f)
{
	if (dead_state(task_state(p->pid, tid)))
		return 1;
	struct thread *grown = realloc(p->threads, (p->n + 1) * sizeof(*grown));
	if (!grown)
		return fail(f, p->pid, "seize", ENOMEM);
	p->threads = grown;
	struct thread *t = &p->threads[p->n];
	*t = (struct thread){ .tid = tid };

	long rc = ptrace(PTRACE_SEIZE, tid, 0, (void *)(uintptr_t)tr->seize_options);
	if (rc < 0 && (errno == EPERM || errno == EINVAL) && (tr->seize_options & PTRACE_O_SUSPEND_SECCOMP)) {
		/* No CAP_SYS_ADMIN or no CONFIG_CHECKPOINT_RESTORE: inject through the task's own filters. */
		tr->seize_options &= ~(unsigned)PTRACE_O_SUSPEND_SECCOMP;
		rc = ptrace(PTRACE_SEIZE, tid, 0, (void *)(uintptr_t)tr->seize_options);
	}
	if (rc < 0) {
		if (errno == ESRCH || dead_state(task_state(p->pid, tid)))
			return 1;
		return fail(f, p->pid, "ptrace-seize", errno);
	}
	p->n++;
	int w = wait_first_stop(t);
	if (w < 0)
		return fail(f, p->pid, "ptrace-wait", errno);
	t->held = w == 0;
	return w;
}

/*
 * Hold every live thread of p. Threads are listed again until a pass finds no
 * new one: a thread seized late may have cloned before it stopped.
 */
static int seize_process(struct tree *tr, struct proc *p, struct failure *f)
{
	for (bool grew = true; grew;) {
		autofree pid_t *tids = NULL;
		size_t n = 0;
		grew = false;
		if (list_threads(p->pid, &tids, &n) < 0) {
			if (errno == ENOENT && p->n == 0)
				return 0;
			return fail(f, p->pid, "list-threads", errno);
		}
		for (size_t i = 0; i < n; i++) {
			if (find_thread(p, tids[i]))
				continue;
			int r = seize_thread(tr, p, tids[i], f);
			if (r < 0)
				return -1;
			grew |= r == 0;
		}
	}
	return 0;
}

static size_t held_threads(const struct proc *p)
{
	size_t k = 0;
	for (size_t i = 0; i < p->n; i++)
		k += p->threads[i].held;
	return k;
}

static bool in_tree(const struct tree *tr, pid_t pid)
{
	for (size_t i = 0; i < tr->n; i++)
		if (tr->procs[i].pid == pid)
			return true;
	return false;
}

static int add_process(struct tree *tr, pid_t pid, struct failure *f)
{
	struct proc *grown = realloc(tr->procs, (tr->n + 1) * sizeof(*grown));
	if (!grown)
		return fail(f, pid, "seize", ENOMEM);
	tr->procs = grown;
	tr->procs[tr->n] = (struct proc){ .pid = pid };
	struct proc *p = &tr->procs[tr->n++];
	if (seize_process(tr, p, f) < 0)
		return -1;
	if (held_threads(p) > 0) {
		printf("seized %d %zu\n", pid, held_threads(p));
		fflush(stdout);
	}
	return 0;
}

/* Children of every held thread of tr->procs[i], added (and seized) when new. */
static int add_children(struct tree *tr, size_t i, struct failure *f)
{
	for (size_t k = 0; k < tr->procs[i].n; k++) {
		char path[96], buf[4096];
		pid_t pid = tr->procs[i].pid;
		snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, tr->procs[i].threads[k].tid);
		autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t len = read(fd, buf, sizeof(buf) - 1);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		for (char *s = buf, *end; *s; s = end) {
			long child = strtol(s, &end, 10);
			if (end == s)
				break;
			if (child > 0 && !in_tree(tr, (pid_t)child) && add_process(tr, (pid_t)child, f) < 0)
				return -1;
		}
	}
	return 0;
}

/* ---- syscall: run one call inside a held thread ---- */

/*
 * Resume t until its next syscall-stop. Group-stop and interrupt traps are
 * passed over; a signal met on the way is dequeued here and noted for re-queueing.
 */
static int next_syscall_stop(struct thread *t)
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
static int inject_syscall(struct thread *t, const struct user_regs_struct *saved, uint64_t site, long nr,
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

struct filter {
	unsigned char *bytes;
	size_t len;
};

static int read_line(char *buf, size_t size)
{
	if (!fgets(buf, (int)size, stdin)) {
		errno = EPIPE;
		return -1;
	}
	return 0;
}

/* The first held thread, preferring the thread-group leader. */
static struct thread *pick_thread(struct proc *p)
{
	struct thread *any = NULL;
	for (size_t i = 0; i < p->n; i++) {
		if (!p->threads[i].held)
			continue;
		if (p->threads[i].tid == p->pid)
			return &p->threads[i];
		if (!any)
			any = &p->threads[i];
	}
	return any;
}

static long call(struct thread *t, const struct user_regs_struct *saved, uint64_t site, long nr, uint64_t a0,
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
static int install(struct thread *t, const struct user_regs_struct *saved, uint64_t site, uint64_t flags,
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
 * The listener is fd `listener` in p: say so, wait until the supervisor holds
 * its copy, then make thread t close it. 0, or -1 with errno (and *ret for a
 * failed close) and *op set.
 */
static int hand_over(struct proc *p, struct thread *t, const struct user_regs_struct *saved, uint64_t site,
		     long listener, long *ret, const char **op)
{
	printf("listener %d %ld\n", p->pid, listener);
	fflush(stdout);
	char line[64], want[64];
	snprintf(want, sizeof(want), "taken %d\n", p->pid);
	*op = "read-taken";
	if (read_line(line, sizeof(line)) < 0)
		return -1;
	errno = EPROTO;
	if (strcmp(line, want) != 0)
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
 * The threads of p run under different filters, so TSYNC refused (ESRCH):
 * every held thread installs the filter itself, without TSYNC, and each gets
 * its own listener (a thread's chain may hold one). Threads created later
 * inherit their creator's filter, listener included. `first` already ran the
 * refused call with `first_saved` as its registers; every other thread's are
 * put back here.
 */
static int infect_each_thread(struct proc *p, struct thread *first, const struct user_regs_struct *first_saved,
			      uint64_t site, uint64_t prog, struct failure *f)
{
	const char *op = "getregs";
	long ret = 0;
	for (size_t i = 0; i < p->n; i++) {
		struct thread *u = &p->threads[i];
		struct user_regs_struct own;
		if (!u->held)
			continue;
		if (u != first && ptrace(PTRACE_GETREGS, u->tid, 0, &own) < 0)
			return fail(f, p->pid, "getregs", errno);
		const struct user_regs_struct *saved = u == first ? first_saved : &own;
		int err = 0;
		if (install(u, saved, site, SECCOMP_FILTER_FLAG_NEW_LISTENER, prog, &ret, &op) < 0)
			err = errno;
		else if (ret < 0)
			err = (int)-ret;
		else if (hand_over(p, u, saved, site, ret, &ret, &op) < 0)
			err = errno;
		if (u != first)
			ptrace(PTRACE_SETREGS, u->tid, 0, &own);
		if (err)
			return fail(f, p->pid, op, err);
	}
	return 0;
}

/* The filter goes in, the listener comes out, the registers go back. */
static int infect(struct proc *p, const struct filter *flt, struct failure *f)
{
	struct thread *t = pick_thread(p);
	struct user_regs_struct saved;
	uint64_t site;
	long ret = 0, scratch = -1;
	const char *op;
	int err = 0;

	if (!t)
		return 0; /* every thread died meanwhile: nothing left to filter */
	op = "getregs";
	if (ptrace(PTRACE_GETREGS, t->tid, 0, &saved) < 0)
		goto failed;
	op = "find-syscall-site";
	if (find_syscall_site(p->pid, &site) < 0)
		goto failed;

	/* struct sock_fprog { unsigned short len; struct sock_filter *filter; } then the program. */
	size_t size = 16 + flt->len;
	op = "mmap";
	if (call(t, &saved, site, SYS_mmap, 0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 (uint64_t)-1, 0, &scratch) < 0)
		goto failed;
	if (scratch < 0 && scratch > -4096) {
		errno = (int)-scratch;
		scratch = -1;
		goto failed;
	}
	unsigned char header[16] = { 0 };
	uint16_t count = (uint16_t)(flt->len / sizeof(struct sock_filter));
	uint64_t prog_at = (uint64_t)scratch + 16;
	memcpy(header, &count, sizeof(count));
	memcpy(header + 8, &prog_at, sizeof(prog_at));
	struct iovec local[2] = { { header, 16 }, { flt->bytes, flt->len } };
	struct iovec remote = { (void *)(uintptr_t)scratch, size };
	op = "write-filter";
	if (process_vm_writev(p->pid, local, 2, &remote, 1, 0) != (ssize_t)size)
		goto failed;

	const uint64_t flags = SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_TSYNC |
			       SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
	if (install(t, &saved, site, flags, (uint64_t)scratch, &ret, &op) < 0)
		goto failed;
	if (ret == -ESRCH) {
		/* One listener per thread instead; its failure is reported there, after its cure. */
		if (infect_each_thread(p, t, &saved, site, (uint64_t)scratch, f) < 0) {
			call(t, &saved, site, SYS_munmap, (uint64_t)scratch, size, 0, 0, 0, 0, &ret);
			ptrace(PTRACE_SETREGS, t->tid, 0, &saved);
			return -1;
		}
	} else {
		if (ret < 0)
			goto failed_ret;
		if (hand_over(p, t, &saved, site, ret, &ret, &op) < 0)
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
	return fail(f, p->pid, op, err);
}

/* ---- cure: let go of everything ---- */

static void detach_all(struct tree *tr)
{
	for (size_t i = 0; i < tr->n; i++) {
		struct proc *p = &tr->procs[i];
		for (size_t k = 0; k < p->n; k++) {
			struct thread *t = &p->threads[k];
			if (!t->held)
				continue;
			if (t->requeue)
				syscall(SYS_tgkill, p->pid, t->tid, t->requeue);
			ptrace(PTRACE_DETACH, t->tid, 0, 0);
			t->held = false;
		}
		free(p->threads);
	}
	free(tr->procs);
}

/* ---- main ---- */

static int read_filter(const char *path, int fd, struct filter *out, struct failure *f)
{
	autoclose int own = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (path && own < 0)
		return fail(f, 0, "open-filter", errno);
	int from = path ? own : fd;
	out->bytes = malloc(MAX_FILTER_BYTES + 1);
	if (!out->bytes)
		return fail(f, 0, "read-filter", ENOMEM);
	out->len = 0;
	for (;;) {
		ssize_t n = read(from, out->bytes + out->len, MAX_FILTER_BYTES + 1 - out->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail(f, 0, "read-filter", errno);
		if (n == 0)
			break;
		out->len += (size_t)n;
		if (out->len > MAX_FILTER_BYTES)
			return fail(f, 0, "read-filter", E2BIG);
	}
	if (out->len == 0 || out->len % sizeof(struct sock_filter) != 0)
		return fail(f, 0, "read-filter", EINVAL);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: cr-shim-inject [--descendants] (--filter PATH | --filter-fd N) PID...\n");
	return EINVAL;
}

int main(int argc, char **argv)
{
	const char *filter_path = NULL;
	int filter_fd = -1;
	bool descendants = false;
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--descendants") == 0)
			descendants = true;
		else if (strcmp(argv[i], "--filter") == 0 && i + 1 < argc)
			filter_path = argv[++i];
		else if (strcmp(argv[i], "--filter-fd") == 0 && i + 1 < argc)
			filter_fd = atoi(argv[++i]);
		else
			return usage();
	}
	if (i >= argc || (!filter_path && filter_fd < 0))
		return usage();

	struct failure f = { 0 };
	struct filter flt = { 0 };
	struct tree tr = { .seize_options = PTRACE_O_TRACESYSGOOD | PTRACE_O_SUSPEND_SECCOMP };
	int rc = read_filter(filter_path, filter_fd, &flt, &f);

	/* Seize everything before injecting anything: no process of the tree runs meanwhile. */
	size_t listed = 0;
	for (int k = i; rc == 0 && k < argc; k++) {
		char *end;
		long pid = strtol(argv[k], &end, 10);
		if (*end || pid <= 0)
			rc = fail(&f, 0, "parse-pid", EINVAL);
		else if (!in_tree(&tr, (pid_t)pid))
			rc = add_process(&tr, (pid_t)pid, &f);
		listed = tr.n;
	}
	/* A listed process with no live thread is the caller's mistake (it is gone, or a zombie). */
	for (size_t k = 0; rc == 0 && k < listed; k++)
		if (held_threads(&tr.procs[k]) == 0)
			rc = fail(&f, tr.procs[k].pid, "seize", ESRCH);
	/* tr.n grows as children are found, so their children are walked too. */
	for (size_t k = 0; rc == 0 && descendants && k < tr.n; k++)
		rc = add_children(&tr, k, &f);

	for (size_t k = 0; rc == 0 && k < tr.n; k++)
		rc = infect(&tr.procs[k], &flt, &f);

	detach_all(&tr);
	free(flt.bytes);
	if (rc < 0) {
		printf("error %d %s %d\n", f.pid, f.op, f.err);
		fflush(stdout);
		return f.err;
	}
	printf("done\n");
	fflush(stdout);
	return 0;
}
