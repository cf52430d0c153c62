/*
 * tiocsti
 *
 * Opens a pseudo-terminal, makes its slave the controlling terminal of a new session, turns
 * canonical mode and echo off, drops to uid/gid 65534 (no capabilities), then calls
 * ioctl(TIOCSTI) by syscall(2):
 *   ctty.*    pushes 'x' into the slave (the controlling terminal); ctty.read is what a read
 *             of the slave then gives
 *   master.*  on the master side (not the controlling terminal: EPERM before 6.2)
 *   fault.*   with the byte at address 1 (EFAULT)
 *   file.*    on a descriptor that is not a terminal (ENOTTY)
 */
#include <fcntl.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include "kv.h"

static const char usage[] = "tiocsti";

static int child(void)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 || setsid() < 0)
		return errno;
	const char *name = ptsname(master);
	int slave = name ? open(name, O_RDWR | O_CLOEXEC) : -1; /* a session leader's first terminal becomes its controlling one */
	struct termios t;
	if (slave < 0 || tcgetattr(slave, &t) < 0)
		return errno;
	t.c_lflag &= ~(ICANON | ECHO);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(slave, TCSANOW, &t) < 0 || setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
		return errno;

	char ch = 'x', got[8] = { 0 };
	long ret = syscall(SYS_ioctl, slave, TIOCSTI, &ch);
	kv_result("ctty.", ret, errno);
	long n = read(slave, got, sizeof(got));
	kv_bytes("ctty.read", got, n > 0 ? (size_t)n : 0);

	ret = syscall(SYS_ioctl, master, TIOCSTI, &ch);
	kv_result("master.", ret, errno);
	ret = syscall(SYS_ioctl, slave, TIOCSTI, (char *)1);
	kv_result("fault.", ret, errno);
	int file = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ret = syscall(SYS_ioctl, file, TIOCSTI, &ch);
	kv_result("file.", ret, errno);
	return 0;
}

int main(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		kv_usage(usage);
	/* setsid needs a caller that leads no process group: a fresh child. */
	pid_t pid = fork();
	if (pid < 0)
		return errno;
	if (pid == 0)
		_exit(child());
	int status;
	if (waitpid(pid, &status, 0) < 0)
		return errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
