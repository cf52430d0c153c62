/*
 * cr-shim-guard SUPERVISOR_PID CGROUP_DIR [keep]
 *
 * Outlive the supervisor and kill the tree it supervised if it dies first.
 * The tree lives in the cgroup v2 directory CGROUP_DIR (cr-shim moves every
 * task there before it runs unsupervised code, and children inherit it).
 * One job: watch the supervisor, then either kill the cgroup's tasks and
 * remove it, or only remove it.
 *
 * Protocol on fd 3, a Unix stream socket, one line a message:
 *   guard → supervisor   "ready\n"     watching: the supervisor's pidfd is held
 *   supervisor → guard   "hold FD\n"   copy the supervisor's fd FD, a seccomp listener
 *                                      (pidfd_getfd), and hold it open, never read
 *   guard → supervisor   "held\n"      done; "error ERRNO\n": pidfd_getfd failed
 *   supervisor → guard   "release\n"   supervision ended normally: remove the
 *                                      cgroup (and its subdirectories) if empty, exit 0
 *                        "kill\n"      the supervisor failed: as below
 *   EOF on fd 3, or the supervisor's pidfd readable (it exited, whatever the
 *   signal, SIGKILL included): write "1" to cgroup.kill (5.14+), wait until the
 *   cgroup is unpopulated, remove it, exit 0.
 *
 * Without cgroup.kill (before 5.14) every pid in cgroup.procs is sent SIGKILL
 * until none is left.
 *
 * "keep": the cgroup is not the supervisor's but a container's, made and
 * removed by its engine (a tree cr-shim serve got from the CRIU plugin): it
 * is killed the same way, never removed.
 *
 * The listeners are held so that the tree's trapped calls wait (and are then
 * killed) instead of failing with ENOSYS once the supervisor's copies are gone.
 * They come by "hold" rather than at spawn, so that the guard can start before
 * the tree's first listener exists (cr-shim run starts it beside the launcher).
 *
 * The guard runs in its own session (the caller spawns it detached) and
 * ignores the terminal's signals, so ^C to cr-shim's process group leaves it
 * watching. Exit status: 0, or the errno of the step that failed (one stderr
 * line "cr-shim-guard: <operation>: <strerror>").
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "channel.h"
#include "cleanup.h"

#include "pidfd-calls.h"

/* Listeners held per guard: one per task of a restored tree with threads of their own filters. */
#define MAX_HELD 4096

/* How long a killed cgroup may take to empty before the guard gives up removing it. */
#define DRAIN_MS 10000
/*
 * How long a released cgroup whose tasks have all exited may still count as
 * populated. A task leaves its cgroup after its last context switch, not at
 * exit(): since 6.17 the unlink is deferred to the scheduler's task-dead
 * hook, so rmdir right after the tree's last exit can see EBUSY.
 */
#define SETTLE_MS 2000
#define STEP_MS 10

static int fail(const char *op, int err)
{
	fprintf(stderr, "cr-shim-guard: %s: %s\n", op, strerror(err));
	return err;
}

static void nap(void)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = STEP_MS * 1000000L };
	nanosleep(&ts, NULL);
}

/*
 * Read the cgroup file `name` into buf as a string (one read: cgroup files are
 * generated whole at the first read). The length, or -1 when unreadable.
 */
static ssize_t read_cgroup_file(int cg, const char *name, char *buf, size_t size)
{
	autoclose int fd = openat(cg, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, size - 1);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* 1 while "populated 1" is in cgroup.events, 0 once not, -1 when unreadable. */
static int populated(int cg)
{
	char buf[256];
	if (read_cgroup_file(cg, "cgroup.events", buf, sizeof(buf)) < 0)
		return -1;
	return strstr(buf, "populated 1") != NULL;
}

/* How many pids cgroup.procs lists (exited tasks are not listed); -1 when unreadable. */
static int listed(int cg)
{
	char buf[8192];
	if (read_cgroup_file(cg, "cgroup.procs", buf, sizeof(buf)) < 0)
		return -1;
	int count = 0;
	for (char *p = buf; *p; p++)
		count += *p == '\n';
	return count;
}

/* SIGKILL every pid listed in cgroup.procs once; the number sent. */
static int kill_listed(int cg)
{
	char buf[8192];
	if (read_cgroup_file(cg, "cgroup.procs", buf, sizeof(buf)) <= 0)
		return 0;
	int sent = 0;
	for (char *p = buf, *end; *p; p = end) {
		long pid = strtol(p, &end, 10);
		if (end == p)
			break;
		if (pid > 0 && kill((pid_t)pid, SIGKILL) == 0)
			sent++;
	}
	return sent;
}

/*
 * Kill every task of the cgroup and its descendants. cgroup.kill does it in
 * one step and races no fork (the kernel marks the cgroup first); without it,
 * repeat the listing until a pass finds nobody.
 */
static int kill_tree(int cg)
{
	autoclose int fd = openat(cg, "cgroup.kill", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1", 1) == 1)
			return 0;
		return fail("write cgroup.kill", errno);
	}
	for (int i = 0; i < DRAIN_MS / STEP_MS && kill_listed(cg) > 0; i++)
		nap();
	return 0;
}

/* rmdir `name` under `parent` after its subdirectories, deepest first. */
static int remove_tree(int parent, const char *name)
{
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : errno;
	DIR *d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return errno;
	}
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		if (e->d_type == DT_DIR && strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			remove_tree(dirfd(d), e->d_name);
	}
	closedir(d);
	return unlinkat(parent, name, AT_REMOVEDIR) < 0 ? errno : 0;
}

/* Set from argv: the cgroup belongs to someone else, who removes it. */
static int keep_cgroup;

static int remove_cgroup(const char *dir)
{
	if (keep_cgroup)
		return 0;
	autofree char *copy = strdup(dir);
	if (copy == NULL)
		return fail("strdup", ENOMEM);
	char *slash = strrchr(copy, '/');
	if (slash == NULL || slash[1] == '\0')
		return fail("cgroup directory", EINVAL);
	*slash = '\0';
	autoclose int parent = open(copy[0] ? copy : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (parent < 0)
		return fail("open the cgroup's parent", errno);
	int err = remove_tree(parent, slash + 1);
	return err == 0 || err == EBUSY ? 0 : fail("rmdir cgroup", err);
}

/*
 * Supervision ended normally: remove the cgroup once the tasks that already
 * exited have left it. Tasks still listed live on (a tree may outlive a
 * normal end): the cgroup stays, nothing is killed.
 */
static int release_cgroup(int cg, const char *dir)
{
	for (int i = 0; i < SETTLE_MS / STEP_MS && listed(cg) == 0 && populated(cg) == 1; i++)
		nap();
	return remove_cgroup(dir);
}

/* The supervisor is gone: nothing of its tree may run on unsupervised. */
static int kill_and_remove(int cg, const char *dir)
{
	int err = kill_tree(cg);
	for (int i = 0; i < DRAIN_MS / STEP_MS && populated(cg) == 1; i++)
		nap();
	int rm = remove_cgroup(dir);
	return err ? err : rm;
}

int main(int argc, char **argv)
{
	if (argc != 3 && !(argc == 4 && strcmp(argv[3], "keep") == 0)) {
		fprintf(stderr, "usage: cr-shim-guard SUPERVISOR_PID CGROUP_DIR [keep]\n");
		return EINVAL;
	}
	keep_cgroup = argc == 4;
	pid_t supervisor = (pid_t)atoi(argv[1]);
	const char *dir = argv[2];
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);

	autoclose int cg = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0)
		return fail("open the cgroup", errno);
	/* A supervisor already gone (ESRCH) is the kill case, not an error. */
	autoclose int pidfd = (int)syscall(SYS_pidfd_open, supervisor, 0);
	if (pidfd < 0 || getppid() != supervisor)
		return kill_and_remove(cg, dir);
	if (write_full(CHANNEL_FD, "ready\n", 6) < 0)
		return kill_and_remove(cg, dir);

	struct pollfd fds[2] = { { .fd = pidfd, .events = POLLIN }, { .fd = CHANNEL_FD, .events = POLLIN } };
	char line[64];
	size_t have = 0;
	unsigned held = 0;
	for (;;) {
		int n = poll(fds, 2, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return kill_and_remove(cg, dir);
		/* A release written just before the supervisor exited still counts: read the channel first. */
		if (!fds[1].revents)
			return kill_and_remove(cg, dir);
		ssize_t got = read(CHANNEL_FD, line + have, sizeof(line) - 1 - have);
		if (got < 0 && errno == EINTR)
			continue;
		/* EOF or an error on the channel: treat as the supervisor's end. */
		if (got <= 0)
			return kill_and_remove(cg, dir);
		have += (size_t)got;
		line[have] = '\0';
		for (char *nl; (nl = strchr(line, '\n')) != NULL;) {
			*nl = '\0';
			int fd;
			if (strcmp(line, "release") == 0)
				return release_cgroup(cg, dir);
			if (sscanf(line, "hold %d", &fd) != 1 || held == MAX_HELD)
				/* "kill" or anything else: the supervisor failed or speaks nonsense. */
				return kill_and_remove(cg, dir);
			/* Kept open until the guard exits; never read. */
			int copy = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
			char reply[32];
			int len = copy >= 0 ? snprintf(reply, sizeof(reply), "held\n") : snprintf(reply, sizeof(reply), "error %d\n", errno);
			if (copy >= 0)
				held++;
			if (write_full(CHANNEL_FD, reply, (size_t)len) < 0)
				return kill_and_remove(cg, dir);
			size_t used = (size_t)(nl + 1 - line);
			memmove(line, nl + 1, have - used + 1);
			have -= used;
		}
		/* A line longer than any message: nonsense. */
		if (have == sizeof(line) - 1)
			return kill_and_remove(cg, dir);
	}
}
