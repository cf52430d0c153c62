/*
 * The calling task's side of uname(2): see task-uts.h.
 *
 * A thread's UTS namespace is named by the inode of /proc/TID/ns/uts. When it is
 * the supervisor's own, uname() here reads the current names (about 0.2 us).
 * Otherwise this thread enters that namespace with setns(CLONE_NEWUTS), which
 * affects only the calling thread, reads, and goes back; the namespace fds are
 * kept, one per inode, so an entry costs two setns calls.
 *
 * A tid that exits and is reused by a new task before its entry is dropped
 * would inherit the dead task's cached namespace and personality; entries are
 * few and a reused tid is rare within one supervised tree, but not impossible.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cleanup.h"
#include "task-uts.h"

#define TASK_SLOTS 1024	/* direct-mapped by tid */
#define NS_SLOTS 16

struct task_slot {
	pid_t tid;	/* 0: empty */
	ino_t ns;
	unsigned long personality;
};

struct ns_slot {
	ino_t ino;	/* 0: empty */
	int fd;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct task_slot tasks[TASK_SLOTS];
static struct ns_slot spaces[NS_SLOTS];
static ino_t own_ns;
static int own_fd = -1;

static void unlock(pthread_mutex_t **m)
{
	pthread_mutex_unlock(*m);
}
#define autounlock __attribute__((cleanup(unlock)))

/* Look a thread's namespace and personality up in /proc. 0 or an errno. */
static int probe(pid_t tid, struct task_slot *s)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%d/ns/uts", tid);
	if (stat(path, &st) != 0)
		return errno == ENOENT ? ESRCH : errno;
	snprintf(path, sizeof(path), "/proc/%d/personality", tid);
	autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? ESRCH : errno;
	char text[32];
	ssize_t n = read(fd, text, sizeof(text) - 1);
	if (n <= 0)
		return n < 0 ? errno : EIO;
	text[n] = '\0';
	*s = (struct task_slot){ .tid = tid, .ns = st.st_ino, .personality = strtoul(text, NULL, 16) };
	return 0;
}

/* An fd for namespace `ino`, which thread `tid` is in; -1 with errno set. Caller holds mu. */
static int ns_fd(ino_t ino, pid_t tid)
{
	for (int i = 0; i < NS_SLOTS; i++)
		if (spaces[i].ino == ino)
			return spaces[i].fd;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/uts", tid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return -1;
	/* The thread may have moved since it was probed: the fd must name `ino`. */
	if (fstat(fd, &st) != 0 || st.st_ino != ino) {
		close(fd);
		errno = EAGAIN;
		return -1;
	}
	/* Full: replace a slot round-robin; its namespace reopens on next use. */
	static unsigned next;
	struct ns_slot *slot = &spaces[next++ % NS_SLOTS];
	if (slot->ino != 0)
		close(slot->fd);
	*slot = (struct ns_slot){ .ino = ino, .fd = fd };
	return fd;
}

static int own_namespace(void)
{
	if (own_fd >= 0)
		return 0;
	struct stat st;
	int fd = open("/proc/thread-self/ns/uts", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (fstat(fd, &st) != 0) {
		int err = errno;
		close(fd);
		return err;
	}
	own_ns = st.st_ino;
	own_fd = fd;
	return 0;
}

static void copy_names(struct task_uts *u, const struct utsname *n)
{
	snprintf(u->nodename, sizeof(u->nodename), "%s", n->nodename);
	snprintf(u->domainname, sizeof(u->domainname), "%s", n->domainname);
}

int task_uts(pid_t tid, struct task_uts *u)
{
	pthread_mutex_t *m = &mu;
	pthread_mutex_lock(m);
	autounlock pthread_mutex_t *held = m;
	int err = own_namespace();
	if (err != 0)
		return err;
	struct task_slot *s = &tasks[(unsigned)tid % TASK_SLOTS];
	if (s->tid != tid && (err = probe(tid, s)) != 0) {
		s->tid = 0;
		return err;
	}
	u->personality = s->personality;
	struct utsname n;
	if (s->ns == own_ns) {
		uname(&n);
		copy_names(u, &n);
		return 0;
	}
	int fd = ns_fd(s->ns, tid);
	if (fd < 0) {
		err = errno;
		s->tid = 0;
		return err == ENOENT ? ESRCH : err;
	}
	if (setns(fd, CLONE_NEWUTS) != 0)
		return errno;
	uname(&n);
	/* Back home before anything else runs on this thread; failing that is fatal to its answers. */
	if (setns(own_fd, CLONE_NEWUTS) != 0)
		abort();
	copy_names(u, &n);
	return 0;
}

void task_uts_forget(pid_t tid)
{
	pthread_mutex_lock(&mu);
	struct task_slot *s = &tasks[(unsigned)tid % TASK_SLOTS];
	if (s->tid == tid)
		s->tid = 0;
	pthread_mutex_unlock(&mu);
}
