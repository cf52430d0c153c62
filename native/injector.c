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
 *  - Injecting the call itself, and why: native/infect.h (shared with the CRIU plugin).
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
#include "infect.h"

#ifndef PTRACE_O_SUSPEND_SECCOMP
#define PTRACE_O_SUSPEND_SECCOMP (1 << 21)
#endif

#define MAX_FILTER_BYTES INFECT_MAX_FILTER_BYTES

struct proc {
	pid_t pid;
	struct infect_thread *threads;
	size_t n;
};

struct tree {
	struct proc *procs;
	size_t n;
	unsigned seize_options;
};

/* A directory closed by scope, beside cleanup.h's autofree and autoclose. */
static void close_dir(DIR **d)
{
	if (*d)
		closedir(*d);
}
#define autoclosedir __attribute__((cleanup(close_dir)))

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

static struct infect_thread *find_thread(struct proc *p, pid_t tid)
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
static int wait_first_stop(struct infect_thread *t)
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
static int seize_thread(struct tree *tr, struct proc *p, pid_t tid, struct infect_failure *f)
{
	if (dead_state(task_state(p->pid, tid)))
		return 1;
	struct infect_thread *grown = realloc(p->threads, (p->n + 1) * sizeof(*grown));
	if (!grown)
		return infect_fail(f, p->pid, "seize", ENOMEM);
	p->threads = grown;
	struct infect_thread *t = &p->threads[p->n];
	*t = (struct infect_thread){ .tid = tid };

	long rc = ptrace(PTRACE_SEIZE, tid, 0, (void *)(uintptr_t)tr->seize_options);
	if (rc < 0 && (errno == EPERM || errno == EINVAL) && (tr->seize_options & PTRACE_O_SUSPEND_SECCOMP)) {
		/* No CAP_SYS_ADMIN or no CONFIG_CHECKPOINT_RESTORE: inject through the task's own filters. */
		tr->seize_options &= ~(unsigned)PTRACE_O_SUSPEND_SECCOMP;
		rc = ptrace(PTRACE_SEIZE, tid, 0, (void *)(uintptr_t)tr->seize_options);
	}
	if (rc < 0) {
		if (errno == ESRCH || dead_state(task_state(p->pid, tid)))
			return 1;
		return infect_fail(f, p->pid, "ptrace-seize", errno);
	}
	p->n++;
	int w = wait_first_stop(t);
	if (w < 0)
		return infect_fail(f, p->pid, "ptrace-wait", errno);
	t->held = w == 0;
	return w;
}

/*
 * Hold every live thread of p. Threads are listed again until a pass finds no
 * new one: a thread seized late may have cloned before it stopped.
 */
static int seize_process(struct tree *tr, struct proc *p, struct infect_failure *f)
{
	for (bool grew = true; grew;) {
		autofree pid_t *tids = NULL;
		size_t n = 0;
		grew = false;
		if (list_threads(p->pid, &tids, &n) < 0) {
			if (errno == ENOENT && p->n == 0)
				return 0;
			return infect_fail(f, p->pid, "list-threads", errno);
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

static int add_process(struct tree *tr, pid_t pid, struct infect_failure *f)
{
	struct proc *grown = realloc(tr->procs, (tr->n + 1) * sizeof(*grown));
	if (!grown)
		return infect_fail(f, pid, "seize", ENOMEM);
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
static int add_children(struct tree *tr, size_t i, struct infect_failure *f)
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
static struct infect_thread *pick_thread(struct proc *p)
{
	struct infect_thread *any = NULL;
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

/* The supervisor copies the listener out with pidfd_getfd and says so on stdin. */
static int take_by_protocol(void *ctx, pid_t pid, long listener)
{
	char line[64], want[64];
	(void)ctx;
	printf("listener %d %ld\n", pid, listener);
	fflush(stdout);
	snprintf(want, sizeof(want), "taken %d\n", pid);
	if (read_line(line, sizeof(line)) < 0)
		return -1;
	if (strcmp(line, want) != 0) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

/* The filter goes in, the listener comes out, the registers go back. */
static int infect(struct proc *p, const struct filter *flt, struct infect_failure *f)
{
	struct infect_thread *t = pick_thread(p);
	if (!t)
		return 0; /* every thread died meanwhile: nothing left to filter */
	return infect_process(p->pid, t, p->threads, p->n, flt->bytes, flt->len, take_by_protocol, NULL, f);
}

/* ---- cure: let go of everything ---- */

static void detach_all(struct tree *tr)
{
	for (size_t i = 0; i < tr->n; i++) {
		struct proc *p = &tr->procs[i];
		for (size_t k = 0; k < p->n; k++) {
			struct infect_thread *t = &p->threads[k];
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

static int read_filter(const char *path, int fd, struct filter *out, struct infect_failure *f)
{
	autoclose int own = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (path && own < 0)
		return infect_fail(f, 0, "open-filter", errno);
	int from = path ? own : fd;
	out->bytes = malloc(MAX_FILTER_BYTES + 1);
	if (!out->bytes)
		return infect_fail(f, 0, "read-filter", ENOMEM);
	out->len = 0;
	for (;;) {
		ssize_t n = read(from, out->bytes + out->len, MAX_FILTER_BYTES + 1 - out->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return infect_fail(f, 0, "read-filter", errno);
		if (n == 0)
			break;
		out->len += (size_t)n;
		if (out->len > MAX_FILTER_BYTES)
			return infect_fail(f, 0, "read-filter", E2BIG);
	}
	if (out->len == 0 || out->len % sizeof(struct sock_filter) != 0)
		return infect_fail(f, 0, "read-filter", EINVAL);
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

	struct infect_failure f = { 0 };
	struct filter flt = { 0 };
	struct tree tr = { .seize_options = PTRACE_O_TRACESYSGOOD | PTRACE_O_SUSPEND_SECCOMP };
	int rc = read_filter(filter_path, filter_fd, &flt, &f);

	/* Seize everything before injecting anything: no process of the tree runs meanwhile. */
	size_t listed = 0;
	for (int k = i; rc == 0 && k < argc; k++) {
		char *end;
		long pid = strtol(argv[k], &end, 10);
		if (*end || pid <= 0)
			rc = infect_fail(&f, 0, "parse-pid", EINVAL);
		else if (!in_tree(&tr, (pid_t)pid))
			rc = add_process(&tr, (pid_t)pid, &f);
		listed = tr.n;
	}
	/* A listed process with no live thread is the caller's mistake (it is gone, or a zombie). */
	for (size_t k = 0; rc == 0 && k < listed; k++)
		if (held_threads(&tr.procs[k]) == 0)
			rc = infect_fail(&f, tr.procs[k].pid, "seize", ESRCH);
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
