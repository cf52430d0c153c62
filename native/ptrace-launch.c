/*
 * cr-shim-ptrace-launch [--no-new-privs] -- PROGRAM ARGS...
 *
 * Start PROGRAM as a child that a ptrace tracer can seize before it runs one
 * instruction of PROGRAM, under a filter whose notify calls return
 * SECCOMP_RET_TRACE. The tracer is a thread of the supervisor, not this
 * process: ptrace stops of a tracee are reported to the tracer's whole thread
 * group, so a tracee that was also a child libuv waits for would have its
 * stops consumed by libuv's waitpid. Hence this helper: it is libuv's child,
 * the program is its child, and the tracer seizes the program.
 *
 * Protocol on fd 3, a Unix stream socket. Integers are 32-bit little-endian.
 *
 *   supervisor → helper   FILTER ::= LEN:u32 INSNS     struct sock_filter array, LEN % 8 == 0
 *   helper → supervisor   PID    ::= PID:s32           the program's pid (> 0), or -errno of fork
 *   supervisor → program  GO     ::= 1 byte            sent once the tracer has seized PID
 *
 * After GO the program installs the filter (seccomp(SET_MODE_FILTER), retried
 * after PR_SET_NO_NEW_PRIVS on EACCES) and execs; a notify call before the
 * tracer is attached would fail with ENOSYS, which GO rules out.
 *
 * Exit status: the program's (its code, or 128+N when killed by signal N, as a
 * shell reports it); 125 when the helper or the program fails before exec
 * (one stderr line "cr-shim-ptrace-launch: <operation>: <strerror>"); 126 when
 * exec fails, 127 when the program is not found.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "channel.h"
#include "exec-program.h"

static int fail(const char *op, int err)
{
	fprintf(stderr, "cr-shim-ptrace-launch: %s: %s\n", op, strerror(err));
	return -1;
}

static struct sock_filter filter_buf[BPF_MAXINSNS];

static int read_filter(unsigned short *count)
{
	unsigned char lenb[4];
	uint32_t len;

	if (read_full(CHANNEL_FD, lenb, sizeof(lenb)) < 0)
		return fail("read filter length from fd 3", errno);
	len = lenb[0] | lenb[1] << 8 | lenb[2] << 16 | (uint32_t)lenb[3] << 24;
	if (len == 0 || len % sizeof(struct sock_filter) != 0 || len > sizeof(filter_buf))
		return fail("filter length", EINVAL);
	if (read_full(CHANNEL_FD, filter_buf, len) < 0)
		return fail("read filter from fd 3", errno);
	*count = (unsigned short)(len / sizeof(struct sock_filter));
	return 0;
}

/* The program's side: wait for GO, install the filter, exec. Never returns. */
static void program(char **argv, unsigned short count, int no_new_privs)
{
	struct sock_fprog prog = { .len = count, .filter = filter_buf };
	const char *op = "read go from fd 3";
	char go;

	if (read_full(CHANNEL_FD, &go, 1) < 0)
		goto failed;
	close(CHANNEL_FD);
	op = "prctl(PR_SET_NO_NEW_PRIVS)";
	if (no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		goto failed;
	op = "seccomp(SET_MODE_FILTER)";
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
		if (errno != EACCES)
			goto failed;
		op = "prctl(PR_SET_NO_NEW_PRIVS)";
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			goto failed;
		op = "seccomp(SET_MODE_FILTER)";
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
			goto failed;
	}
	static char path[PATH_MAX];
	exec_program(argv, path);
	_exit(exec_failed(argv[0], path));
failed:
	fail(op, errno);
	_exit(EXIT_LAUNCHER);
}

int main(int argc, char **argv)
{
	int no_new_privs = 0;
	int i = 1;
	unsigned short count = 0;

	for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--no-new-privs") != 0) {
			fprintf(stderr, "usage: cr-shim-ptrace-launch [--no-new-privs] -- PROGRAM ARGS...\n");
			return EXIT_LAUNCHER;
		}
		no_new_privs = 1;
	}
	if (i + 1 >= argc) {
		fprintf(stderr, "usage: cr-shim-ptrace-launch [--no-new-privs] -- PROGRAM ARGS...\n");
		return EXIT_LAUNCHER;
	}
	/* The helper must die with its supervisor; the program has PTRACE_O_EXITKILL for that. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		return fail("prctl(PR_SET_PDEATHSIG)", errno), EXIT_LAUNCHER;
	if (read_filter(&count) < 0)
		return EXIT_LAUNCHER;

	pid_t pid = fork();
	if (pid == 0)
		program(&argv[i + 1], count, no_new_privs);
	int err = errno;
	/* PID carries -errno on failure, so the supervisor learns it as a value. */
	if (write_u32(CHANNEL_FD, pid < 0 ? (uint32_t)-err : (uint32_t)pid) < 0 || pid < 0)
		return fail(pid < 0 ? "fork" : "write pid to fd 3", pid < 0 ? err : errno), EXIT_LAUNCHER;
	close(CHANNEL_FD);

	/*
	 * Signals for the program reach it from the supervisor (or from a terminal,
	 * which signals the whole process group): the helper only waits, so that
	 * its exit status stays the program's. Ignored dispositions survive exec,
	 * so this is set after fork, in the helper only.
	 */
	static const int ignored[] = { SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2 };
	for (size_t k = 0; k < sizeof(ignored) / sizeof(ignored[0]); k++)
		signal(ignored[k], SIG_IGN);

	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return fail("waitpid", errno), EXIT_LAUNCHER;
	}
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}
