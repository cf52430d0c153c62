/*
 * holders KIND...
 *
 * A tree for the live walk before a dump (cr-shim dump's unmovable check): one child per
 * KIND, each holding what its name says, and a parent that keeps counting.
 *   perf       a perf event fd on a software counter (PERF_COUNT_SW_TASK_CLOCK of itself:
 *              no hardware PMU needed; perf_event_paranoid <= 1 or CAP_PERFMON)
 *   dev:PATH   PATH opened O_RDWR (a device node such as /dev/fuse)
 *   tcp        an established loopback TCP connection, both ends in that child
 *   listen     a listening loopback TCP socket (CRIU dumps it)
 *   unix:PATH  a unix stream socket connected to the listener at PATH
 *   eventfd    an eventfd (CRIU dumps it)
 *   shm        a shared anonymous mapping, shared with a grandchild it forks (which pauses)
 *   plain      nothing special
 * A KIND ending in "+noterm" ignores SIGTERM (only SIGKILL ends that child).
 * Prints child.I.kind and child.I.pid per child (after it holds its state), pid and
 * ready=1, then every 10 ticks of 50 ms counter= and release= (SYS_uname), forever.
 * Calls setsid() first, so the tree is a session of its own.
 * A child that cannot set up its state makes the parent exit with the child's errno,
 * after `child.I.error=ERRNAME`; children end when the parent does (PR_SET_PDEATHSIG).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <linux/utsname.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <time.h>

#include "kv.h"

static const char usage[] = "holders perf|dev:PATH|tcp|listen|unix:PATH|eventfd|shm|plain...";

/* Returns 0 or the errno of the failed step; the fds stay open for the child's life. */
static int hold_perf(void)
{
	struct perf_event_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_TASK_CLOCK;
	attr.exclude_kernel = 1;
	attr.exclude_hv = 1;
	return syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC) == -1 ? errno : 0;
}

static int hold_dev(const char *path)
{
	return open(path, O_RDWR | O_CLOEXEC) == -1 ? errno : 0;
}

static int hold_tcp(void)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(addr);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l == -1 || bind(l, (struct sockaddr *)&addr, len) == -1 || listen(l, 1) == -1 || getsockname(l, (struct sockaddr *)&addr, &len) == -1)
		return errno;
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c == -1 || connect(c, (struct sockaddr *)&addr, len) == -1)
		return errno;
	if (accept4(l, NULL, NULL, SOCK_CLOEXEC) == -1)
		return errno;
	return 0;
}

static int hold_listen(void)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l == -1 || bind(l, (struct sockaddr *)&addr, sizeof(addr)) == -1 || listen(l, 1) == -1)
		return errno;
	return 0;
}

static int hold_unix(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(addr.sun_path))
		return ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s == -1 || connect(s, (struct sockaddr *)&addr, sizeof(addr)) == -1)
		return errno;
	return 0;
}

static int hold_shm(void)
{
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return errno;
	p[0] = 1;
	pid_t gc = fork();
	if (gc == -1)
		return errno;
	if (gc == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		for (;;)
			pause();
	}
	return 0;
}

static int hold(const char *kind)
{
	if (strcmp(kind, "perf") == 0)
		return hold_perf();
	if (strncmp(kind, "dev:", 4) == 0)
		return hold_dev(kind + 4);
	if (strcmp(kind, "tcp") == 0)
		return hold_tcp();
	if (strncmp(kind, "unix:", 5) == 0)
		return hold_unix(kind + 5);
	if (strcmp(kind, "listen") == 0)
		return hold_listen();
	if (strcmp(kind, "shm") == 0)
		return hold_shm();
	if (strcmp(kind, "eventfd") == 0)
		return eventfd(0, EFD_CLOEXEC) == -1 ? errno : 0;
	if (strcmp(kind, "plain") == 0)
		return 0;
	return EINVAL;
}

static pid_t start_child(const char *kind, int *err)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) == -1)
		kv_die("holders", "pipe2", errno);
	pid_t pid = fork();
	if (pid == -1)
		kv_die("holders", "fork", errno);
	if (pid == 0) {
		close(pipefd[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		char what[4096];
		snprintf(what, sizeof(what), "%s", kind);
		size_t n = strlen(what);
		if (n > 7 && strcmp(what + n - 7, "+noterm") == 0) {
			what[n - 7] = '\0';
			signal(SIGTERM, SIG_IGN);
		}
		int e = hold(what);
		if (write(pipefd[1], &e, sizeof(e)) != sizeof(e) || e != 0)
			_exit(e != 0 ? e : EIO);
		close(pipefd[1]);
		for (;;)
			pause();
	}
	close(pipefd[1]);
	if (read(pipefd[0], err, sizeof(*err)) != sizeof(*err))
		*err = EIO;
	close(pipefd[0]);
	return pid;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		kv_usage(usage);
	/* A session of its own, so a dump of this tree needs no --shell-job (fails with EPERM when already a leader). */
	setsid();
	for (int i = 1; i < argc; i++) {
		int err = 0;
		pid_t pid = start_child(argv[i], &err);
		char key[64];
		snprintf(key, sizeof(key), "child.%d.kind", i - 1);
		kv_str(key, argv[i]);
		if (err != 0) {
			snprintf(key, sizeof(key), "child.%d.error", i - 1);
			kv_str(key, kv_errname(err));
			return err == EINVAL ? KV_EXIT_USAGE : err;
		}
		snprintf(key, sizeof(key), "child.%d.pid", i - 1);
		kv_long(key, pid);
	}
	kv_long("pid", getpid());
	kv_long("ready", 1);
	for (unsigned long counter = 0;;) {
		struct timespec tick = { .tv_sec = 0, .tv_nsec = 50 * 1000000L };
		/* EINTR (a restore, a stop/continue, a child's SIGCHLD) just ends this tick early. */
		nanosleep(&tick, NULL);
		if (++counter % 10 != 0)
			continue;
		kv_long("counter", (long)counter);
		struct new_utsname uts;
		if (syscall(SYS_uname, &uts) == 0)
			kv_field("release", uts.release, sizeof(uts.release));
	}
}
