/*
 * cr-subject single|tree|files|threads|divergent|daemon STATEFILE
 *
 * A checkpoint/restore subject. Its stdio may all be /dev/null (so CRIU sees
 * no pipes to the outside): it speaks through files next to STATEFILE.
 *
 *   STATEFILE.progress  rewritten in place every 50 ms tick, fixed width (so the
 *                       file's size never changes, which CRIU checks on restore):
 *                       "counter=%010lu\nrelease=%-64s\n", release from SYS_uname
 *                       made in that tick
 *   STATEFILE.go        created by the test: write the report and exit
 *   STATEFILE           the report, key=value lines (kv.h), written atomically
 *                       (STATEFILE.tmp, then rename)
 *
 * It calls setsid() first, so a tree dumped from it is its own session.
 *
 * Modes, set up before the first tick (so a dump taken after the first progress
 * write sees them):
 *   single   nothing more.
 *   tree     forks a child that exits with status 7 at once; the child stays a
 *            zombie until the report, which reaps it.
 *   files    STATEFILE.data (20 bytes "0123456789abcdefghij") open at offset 7;
 *            a pipe holding "pipe-data" unread; a socketpair holding "sock-data"
 *            unread; SIGUSR1 blocked and pending; a SIGUSR2 handler counting.
 *   threads  4 threads, each counting its own ticks and, once the report is
 *            asked for, calling SYS_uname once more.
 *   divergent as threads, but thread 0 first installs an allow-all seccomp
 *            filter on itself alone, so the threads' filters differ and no
 *            filter can be synchronised onto all of them (TSYNC fails).
 *   daemon   daemonizes first: forks, the first process exits 0 at once, the
 *            child calls setsid, writes its pid to STATEFILE.daemon
 *            (atomically) and goes on as threads.
 *
 * Report keys: mode, pid, counter, release (SYS_uname), sysctl_osrelease or
 * sysctl_errno (_sysctl {CTL_KERN, KERN_OSRELEASE}), version (SYS_uname),
 * proc_version (/proc/version without its newline, or proc_version_errno),
 * lookup_dcookie_errno (lookup_dcookie(0, NULL, 0): EINVAL or EPERM where the
 * kernel has it, before 5.12; ENOSYS after), vdso_note (LINUX_VERSION_CODE in
 * its vDSO's note, vdso-note.h); tree: zombie_state (the
 * /proc state letter before reaping), child_status, reaped; files: file_offset,
 * file_next (3 bytes read there), pipe_data, socket_data, sigusr1_pending,
 * sigusr2_count; threads: threads, threads_alive (counters that moved), and
 * thread.I.release.
 *
 * Exit status: 42 after the report; the errno of a failed operation otherwise
 * (kv_die), 22 for bad usage.
 */
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/utsname.h>
#include <sys/wait.h>
#include <time.h>

#include "kv.h"
#include "sysctl-args.h"
#include "vdso-note.h"

#define PROG "cr-subject"
#define TICK_MS 50
#define EXIT_REPORTED 42
#define NTHREADS 4
#define DATA "0123456789abcdefghij"
#define DATA_OFFSET 7


static const char *statefile;

static struct {
	pid_t child;
	int data_fd;
	int pipe_fd[2];
	int sock_fd[2];
} files = { .child = -1, .data_fd = -1 };

static volatile sig_atomic_t sigusr2_count;

static struct {
	pthread_t id;
	volatile unsigned long counter;
	struct new_utsname uts;
	volatile int answered;
} threads[NTHREADS];
static volatile int report_asked;
static volatile int diverge;	/* divergent: 1 asks thread 0 for its own filter, 2 once it has it */

static char *path_with(const char *suffix)
{
	static char buf[4][4096];
	static int next;
	char *p = buf[next++ % 4];
	snprintf(p, sizeof(buf[0]), "%s%s", statefile, suffix);
	return p;
}

static void tick(void)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = TICK_MS * 1000000L };
	/* EINTR (a signal, a restore) only shortens this tick. */
	nanosleep(&ts, NULL);
}

static void release_now(struct new_utsname *uts)
{
	if (syscall(SYS_uname, uts) < 0)
		kv_die(PROG, "SYS_uname", errno);
}

static void on_sigusr2(int sig)
{
	(void)sig;
	sigusr2_count++;
}

/* An allow-all filter on the calling thread only (no TSYNC). */
static void own_filter(void)
{
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { .len = 1, .filter = &allow };
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		kv_die(PROG, "seccomp", errno);
}

static void *thread_main(void *arg)
{
	size_t i = (size_t)arg;
	if (i == 0 && diverge == 1) {
		own_filter();
		diverge = 2;
	}
	for (;;) {
		tick();
		threads[i].counter++;
		if (report_asked && !threads[i].answered) {
			release_now(&threads[i].uts);
			threads[i].answered = 1;
		}
	}
	return NULL;
}

static void write_all(int fd, const void *buf, size_t len, const char *op)
{
	if (write(fd, buf, len) != (ssize_t)len)
		kv_die(PROG, op, errno ? errno : EIO);
}

static void setup(const char *mode)
{
	if (strcmp(mode, "tree") == 0) {
		files.child = fork();
		if (files.child < 0)
			kv_die(PROG, "fork", errno);
		if (files.child == 0)
			_exit(7);
		/* Let it become a zombie before the first progress line. */
		siginfo_t info;
		if (waitid(P_PID, (id_t)files.child, &info, WEXITED | WNOWAIT) < 0)
			kv_die(PROG, "waitid", errno);
	} else if (strcmp(mode, "files") == 0) {
		files.data_fd = open(path_with(".data"), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (files.data_fd < 0)
			kv_die(PROG, "open data", errno);
		write_all(files.data_fd, DATA, strlen(DATA), "write data");
		if (lseek(files.data_fd, DATA_OFFSET, SEEK_SET) < 0)
			kv_die(PROG, "lseek", errno);
		if (pipe2(files.pipe_fd, O_CLOEXEC) < 0)
			kv_die(PROG, "pipe2", errno);
		write_all(files.pipe_fd[1], "pipe-data", 9, "write pipe");
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, files.sock_fd) < 0)
			kv_die(PROG, "socketpair", errno);
		write_all(files.sock_fd[0], "sock-data", 9, "write socket");
		sigset_t usr1;
		sigemptyset(&usr1);
		sigaddset(&usr1, SIGUSR1);
		if (sigprocmask(SIG_BLOCK, &usr1, NULL) < 0)
			kv_die(PROG, "sigprocmask", errno);
		if (kill(getpid(), SIGUSR1) < 0)
			kv_die(PROG, "kill SIGUSR1", errno);
		struct sigaction sa = { .sa_handler = on_sigusr2 };
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGUSR2, &sa, NULL) < 0)
			kv_die(PROG, "sigaction", errno);
	} else if (strcmp(mode, "threads") == 0 || strcmp(mode, "divergent") == 0 || strcmp(mode, "daemon") == 0) {
		diverge = strcmp(mode, "divergent") == 0;
		for (size_t i = 0; i < NTHREADS; i++) {
			int err = pthread_create(&threads[i].id, NULL, thread_main, (void *)i);
			if (err)
				kv_die(PROG, "pthread_create", err);
		}
		while (diverge == 1)
			tick();
	} else if (strcmp(mode, "single") != 0) {
		kv_usage(PROG " single|tree|files|threads|divergent|daemon STATEFILE");
	}
}

/* The classic daemon's first step: the caller sees its child exit 0, the work goes on in a grandchild of nobody. */
static void daemonize(void)
{
	pid_t child = fork();
	if (child < 0)
		kv_die(PROG, "fork", errno);
	if (child > 0)
		_exit(0);
	char line[32];
	int len = snprintf(line, sizeof(line), "%d\n", getpid());
	int fd = open(path_with(".daemon.tmp"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		kv_die(PROG, "open daemon pid file", errno);
	write_all(fd, line, (size_t)len, "write daemon pid");
	close(fd);
	if (rename(path_with(".daemon.tmp"), path_with(".daemon")) < 0)
		kv_die(PROG, "rename daemon pid file", errno);
}

static void report_sysctl(void)
{
	int name[2] = { 1 /* CTL_KERN */, 2 /* KERN_OSRELEASE */ };
	char value[128] = { 0 };
	size_t len = sizeof(value) - 1;
	struct __sysctl_args args = { .name = name, .nlen = 2, .oldval = value, .oldlenp = &len };
	if (syscall(SYS__sysctl, &args) < 0)
		kv_str("sysctl_errno", kv_errname(errno));
	else
		kv_bytes("sysctl_osrelease", value, strnlen(value, len));
}

/* What the program reads as its kernel's banner: a restored one must keep its old kernel's. */
static void report_proc_version(void)
{
	char buf[512];
	int fd = open("/proc/version", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	int err = errno;
	if (fd >= 0)
		close(fd);
	if (n < 0) {
		kv_str("proc_version_errno", kv_errname(err));
		return;
	}
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	kv_bytes("proc_version", buf, (size_t)n);
}

/* lookup_dcookie left with oprofile in 5.12: whether it answers ENOSYS tells the kernels apart. */
static void report_lookup_dcookie(void)
{
	long r = syscall(SYS_lookup_dcookie, 0UL, NULL, 0UL);
	kv_str("lookup_dcookie_errno", r < 0 ? kv_errname(errno) : "none");
}

static void read_report(const char *key, int fd)
{
	char buf[64];
	ssize_t n = read(fd, buf, sizeof(buf));
	kv_bytes(key, buf, n > 0 ? (size_t)n : 0);
}

static char proc_state(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return '?';
	buf[n] = '\0';
	char *paren = strrchr(buf, ')');
	return paren && paren[1] ? paren[2] : '?';
}

static void report(const char *mode, unsigned long counter)
{
	if (!freopen(path_with(".tmp"), "w", stdout))
		kv_die(PROG, "open report", errno);
	struct new_utsname uts;
	release_now(&uts);
	kv_str("mode", mode);
	kv_long("pid", getpid());
	kv_long("counter", (long)counter);
	kv_field("release", uts.release, sizeof(uts.release));
	report_sysctl();
	kv_field("version", uts.version, sizeof(uts.version));
	report_proc_version();
	report_lookup_dcookie();
	kv_vdso_note("vdso_note");

	if (files.child > 0) {
		char state[2] = { proc_state(files.child), 0 };
		kv_str("zombie_state", state);
		int status = 0;
		pid_t r = waitpid(files.child, &status, 0);
		kv_long("reaped", r == files.child);
		kv_long("child_status", r == files.child && WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
	if (files.data_fd >= 0) {
		kv_long("file_offset", (long)lseek(files.data_fd, 0, SEEK_CUR));
		char next[3];
		ssize_t n = read(files.data_fd, next, sizeof(next));
		kv_bytes("file_next", next, n > 0 ? (size_t)n : 0);
		read_report("pipe_data", files.pipe_fd[0]);
		read_report("socket_data", files.sock_fd[1]);
		sigset_t pending;
		sigpending(&pending);
		kv_long("sigusr1_pending", sigismember(&pending, SIGUSR1));
		kv_long("sigusr2_count", sigusr2_count);
	}
	if (strcmp(mode, "threads") == 0 || strcmp(mode, "divergent") == 0 || strcmp(mode, "daemon") == 0) {
		unsigned long before[NTHREADS];
		for (size_t i = 0; i < NTHREADS; i++)
			before[i] = threads[i].counter;
		report_asked = 1;
		int alive = 0;
		/* Every thread answers within a few ticks; give them two seconds. */
		for (int waited = 0; waited < 2000 / TICK_MS; waited++) {
			alive = 0;
			for (size_t i = 0; i < NTHREADS; i++)
				alive += threads[i].answered && threads[i].counter > before[i];
			if (alive == NTHREADS)
				break;
			tick();
		}
		kv_long("threads", NTHREADS);
		kv_long("threads_alive", alive);
		for (size_t i = 0; i < NTHREADS; i++) {
			char key[32];
			snprintf(key, sizeof(key), "thread.%zu.release", i);
			kv_field(key, threads[i].answered ? threads[i].uts.release : "", sizeof(threads[i].uts.release));
		}
	}
	fflush(stdout);
	if (rename(path_with(".tmp"), statefile) < 0)
		kv_die(PROG, "rename report", errno);
}

int main(int argc, char **argv)
{
	if (argc != 3)
		kv_usage(PROG " single|tree|files|threads|divergent|daemon STATEFILE");
	const char *mode = argv[1];
	statefile = argv[2];
	if (strcmp(mode, "daemon") == 0)
		daemonize();
	/* Its own session and process group, so CRIU needs no --shell-job. Fails only if already a leader. */
	setsid();

	int progress = open(path_with(".progress"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (progress < 0)
		kv_die(PROG, "open progress", errno);
	setup(mode);

	for (unsigned long counter = 0;;) {
		struct new_utsname uts;
		char line[128];
		release_now(&uts);
		int len = snprintf(line, sizeof(line), "counter=%010lu\nrelease=%-64.64s\n", counter, uts.release);
		if (pwrite(progress, line, (size_t)len, 0) != len)
			kv_die(PROG, "write progress", errno ? errno : EIO);
		if (access(path_with(".go"), F_OK) == 0) {
			report(mode, counter);
			return EXIT_REPORTED;
		}
		tick();
		counter++;
	}
}
