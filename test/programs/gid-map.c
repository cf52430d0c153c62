/*
 * gid-map
 *
 * As uid/gid 65534 without capabilities, in a new user namespace, maps gid 0 to 65534 by
 * writing /proc/self/gid_map, by write(2) on a fresh open:
 *   nodeny.*  without writing "deny" to /proc/self/setgroups first (EPERM since 3.19)
 *   deny.*    in another new namespace, after writing "deny" there (accepted since 3.19)
 * Each step runs in its own child; `STEP.errname` is the first failing call's errno, or empty.
 */
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "kv.h"

static const char usage[] = "gid-map";

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	int err = write(fd, text, strlen(text)) < 0 ? errno : 0;
	close(fd);
	return err;
}

/* In a child: the step's errno through a pipe, 0 for success. */
static void step(const char *prefix, int deny)
{
	int p[2];
	if (pipe(p) < 0)
		exit(errno);
	pid_t pid = fork();
	if (pid < 0)
		exit(errno);
	if (pid == 0) {
		int err = 0;
		/* Changing uid clears dumpable, which leaves /proc/self owned by root: set it again. */
		if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0 ||
		    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0 || unshare(CLONE_NEWUSER) < 0)
			err = errno;
		if (err == 0 && deny)
			err = write_file("/proc/self/setgroups", "deny");
		if (err == 0)
			err = write_file("/proc/self/gid_map", "0 65534 1\n");
		(void)!write(p[1], &err, sizeof(err));
		_exit(0);
	}
	close(p[1]);
	int err = -1;
	if (read(p[0], &err, sizeof(err)) != sizeof(err))
		err = EIO;
	waitpid(pid, NULL, 0);
	char key[32];
	snprintf(key, sizeof(key), "%s.errname", prefix);
	kv_str(key, err == 0 ? "" : kv_errname(err));
}

int main(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		kv_usage(usage);
	step("nodeny", 0);
	step("deny", 1);
	return 0;
}
