/*
 * tree UNAME_PROGRAM OUT_FILE
 *
 * Builds the process shapes a supervisor must follow:
 *   - a zombie: a child that exits at once, reaped only after 100 ms;
 *   - an orphan: a double-forked grandchild that outlives this process, sleeps
 *     200 ms, calls SYS_uname and writes "release=...\n" to OUT_FILE (written
 *     to OUT_FILE.tmp and renamed, so a reader never sees half a file). Its
 *     stdio is /dev/null, so it does not hold the caller's pipes open;
 *   - an exec: a child that execs UNAME_PROGRAM with stdout on a pipe.
 * Prints child_release (from the exec'd program's release= line),
 * child_status, grandchild_pid and zombie_pid, and exits 0 without waiting
 * for the grandchild.
 */
#include <fcntl.h>
#include <linux/utsname.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "kv.h"

static const char usage[] = "tree UNAME_PROGRAM OUT_FILE";

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

/* Runs in the grandchild; its exit status is an errno value. */
static __attribute__((noreturn)) void grandchild(const char *out_file)
{
	int devnull = open("/dev/null", O_RDWR);
	if (devnull == -1 || dup2(devnull, 0) == -1 || dup2(devnull, 1) == -1 || dup2(devnull, 2) == -1)
		_exit(errno);
	sleep_ms(200);

	struct new_utsname uts;
	if (syscall(SYS_uname, &uts) == -1)
		_exit(errno);
	char tmp[4096];
	char line[128];
	snprintf(tmp, sizeof(tmp), "%s.tmp", out_file);
	int len = snprintf(line, sizeof(line), "release=%.*s\n", (int)sizeof(uts.release), uts.release);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1)
		_exit(errno);
	if (write(fd, line, (size_t)len) != len || close(fd) == -1 || rename(tmp, out_file) == -1)
		_exit(errno != 0 ? errno : EIO);
	_exit(0);
}

static pid_t start_orphan(const char *out_file)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) == -1)
		kv_die("tree", "pipe2", errno);
	pid_t middle = fork();
	if (middle == -1)
		kv_die("tree", "fork", errno);
	if (middle == 0) {
		pid_t gc = fork();
		if (gc == 0)
			grandchild(out_file);
		/* Tell the parent the grandchild's pid, then orphan it. */
		if (gc == -1 || write(pipefd[1], &gc, sizeof(gc)) != sizeof(gc))
			_exit(gc == -1 ? errno : EIO);
		_exit(0);
	}
	close(pipefd[1]);
	pid_t gc = -1;
	if (read(pipefd[0], &gc, sizeof(gc)) != sizeof(gc))
		gc = -1;
	close(pipefd[0]);
	int status;
	if (waitpid(middle, &status, 0) == -1)
		kv_die("tree", "waitpid middle", errno);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || gc == -1)
		kv_die("tree", "double fork", WIFEXITED(status) ? WEXITSTATUS(status) : ECHILD);
	return gc;
}

/* Copies the value of the first "release=" line of OUTPUT into RELEASE. */
static void find_release(const char *output, char *release, size_t size)
{
	release[0] = '\0';
	for (const char *line = output; line != NULL && *line != '\0';) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		if (len > 8 && strncmp(line, "release=", 8) == 0) {
			snprintf(release, size, "%.*s", (int)(len - 8), line + 8);
			return;
		}
		line = end ? end + 1 : NULL;
	}
}

static void run_child(const char *program)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) == -1)
		kv_die("tree", "pipe2", errno);
	pid_t child = fork();
	if (child == -1)
		kv_die("tree", "fork", errno);
	if (child == 0) {
		if (dup2(pipefd[1], 1) == -1)
			_exit(errno);
		execl(program, program, (char *)NULL);
		_exit(errno);
	}
	close(pipefd[1]);
	__attribute__((cleanup(close_fd))) int rd = pipefd[0];
	char output[8192];
	size_t used = 0;
	for (;;) {
		ssize_t n = read(rd, output + used, sizeof(output) - 1 - used);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
	}
	output[used] = '\0';

	int status;
	if (waitpid(child, &status, 0) == -1)
		kv_die("tree", "waitpid child", errno);
	char release[256];
	find_release(output, release, sizeof(release));
	/* Values in OUTPUT are already escaped by the child's kv convention. */
	printf("child_release=%s\n", release);
	fflush(stdout);
	kv_long("child_status", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

int main(int argc, char **argv)
{
	if (argc != 3)
		kv_usage(usage);

	pid_t zombie = fork();
	if (zombie == -1)
		kv_die("tree", "fork", errno);
	if (zombie == 0)
		_exit(0);

	pid_t gc = start_orphan(argv[2]);
	run_child(argv[1]);

	sleep_ms(100);
	int status;
	if (waitpid(zombie, &status, 0) == -1)
		kv_die("tree", "waitpid zombie", errno);
	kv_long("zombie_pid", zombie);
	kv_long("grandchild_pid", gc);
	return 0;
}
