/*
 * cr-shim-launch [--no-new-privs] [--identity-stage DIR --identity TARGET=TEXT ... --add TARGET=TEXT ...] -- PROGRAM ARGS...
 *
 * With --identity, first enter a private mount namespace where each TARGET
 * (e.g. /proc/version) reads TEXT (native/identity-mount.c); with --add, each
 * TARGET the host's kernel no longer has (a removed sysctl file) is added,
 * writable, reading TEXT until written. Then install a
 * seccomp filter that the supervisor sends over fd 3, hand the
 * supervisor the filter's listener, then exec PROGRAM under the filter. One
 * job, then exec: everything else (plans, BPF, the notification loop) lives in
 * the supervisor.
 *
 * Protocol on fd 3, a Unix stream socket (Node's stdio 'pipe' at index 3).
 * All integers are 32-bit little-endian.
 *
 *   supervisor → launcher   FILTER  ::= LEN:u32 INSNS        LEN bytes of struct sock_filter,
 *                                                           LEN % 8 == 0, 1..BPF_MAXINSNS insns
 *   launcher → supervisor   REPLY   ::= FD:s32               >= 0: listener fd number in the
 *                                                           launcher; < 0: -errno of the install
 *   supervisor → launcher   ACK     ::= 1 byte               sent once the supervisor holds its
 *                                                           own copy (pidfd_open + pidfd_getfd)
 *   launcher → supervisor   RESULT  ::= EOF                  exec succeeded (fd 3 is close-on-exec)
 *                                     | ERRNO:u32 EOF        exec failed with ERRNO
 *
 * Exit statuses (the launcher's own; after a successful exec the status is the
 * program's). They follow env(1)/timeout(1) so that a shell can tell a launcher
 * failure from the program's own statuses; the errno itself travels in REPLY or
 * RESULT, so the supervisor still gets it as a value.
 *   125  launcher failure before exec: usage, protocol on fd 3, prctl, seccomp
 *        (one stderr line "cr-shim-launch: <operation>: <strerror>")
 *   126  exec failed for any reason other than ENOENT
 *   127  exec failed with ENOENT (one stderr line "cr-shim: PROGRAM: <strerror>")
 * A file the kernel refuses with ENOEXEC is not handed to /bin/sh as
 * execvp(3) would (exec-program.h): 126, and the stderr line names the cause
 * when the header shows it ("... (a 32-bit x86 (i386) program: ...)").
 *
 * After the filter is installed the launcher itself makes only write, read,
 * close, execve (possibly several, PATH is walked) and exit_group, so a
 * plan must allow those; after ENOEXEC it also opens the file to name the cause. PR_SET_PDEATHSIG, the parent check and close-on-exec
 * on fd 3 are done before the filter for that reason.
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
#include <unistd.h>

#include "channel.h"
#include "exec-program.h"
#include "identity-mount.h"

#define USAGE "usage: cr-shim-launch [--no-new-privs] [--identity-stage DIR --identity TARGET=TEXT ... --add TARGET=TEXT ...] -- PROGRAM ARGS...\n"

/* One stderr line naming the failed operation; returns -1 for `return fail(...)`. */
static int fail(const char *op, int err)
{
	fprintf(stderr, "cr-shim-launch: %s: %s\n", op, strerror(err));
	return -1;
}

/*
 * Tie the program's life to the supervisor: the kernel sends SIGKILL when the
 * parent thread exits, and the death signal survives execve. If the parent is
 * already gone (we were reparented before prctl), stop here.
 */
static int bind_to_parent(void)
{
	const char *op;
	int err;
	pid_t parent = getppid();

	op = "prctl(PR_SET_PDEATHSIG)";
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		goto failed;
	op = "getppid";
	errno = ESRCH;
	if (getppid() != parent)
		goto failed;
	return 0;
failed:
	err = errno;
	return fail(op, err);
}

/*
 * Receive FILTER into a static buffer: no malloc, so no free (and no brk or
 * munmap) happens after the filter is installed.
 */
static struct sock_filter filter_buf[BPF_MAXINSNS];

static int read_filter(unsigned short *count)
{
	const char *op;
	unsigned char lenb[4];
	uint32_t len;

	op = "read filter length from fd 3";
	if (read_full(CHANNEL_FD, lenb, sizeof(lenb)) < 0)
		goto failed;
	len = lenb[0] | lenb[1] << 8 | lenb[2] << 16 | (uint32_t)lenb[3] << 24;
	op = "filter length";
	errno = EINVAL;
	if (len == 0 || len % sizeof(struct sock_filter) != 0 || len > sizeof(filter_buf))
		goto failed;
	op = "read filter from fd 3";
	if (read_full(CHANNEL_FD, filter_buf, len) < 0)
		goto failed;
	*count = (unsigned short)(len / sizeof(struct sock_filter));
	return 0;
failed:
	return fail(op, errno);
}

/*
 * seccomp(SET_MODE_FILTER, NEW_LISTENER). Without CAP_SYS_ADMIN the kernel
 * wants no_new_privs first (EACCES); set it and retry once.
 * Returns the listener fd, or -errno after its stderr line.
 */
static int install_filter(struct sock_filter *insns, unsigned short count)
{
	struct sock_fprog prog = { .len = count, .filter = insns };
	const char *op = "seccomp(SET_MODE_FILTER)";
	int err;

	long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	if (fd < 0 && errno == EACCES) {
		op = "prctl(PR_SET_NO_NEW_PRIVS)";
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			goto failed;
		op = "seccomp(SET_MODE_FILTER)";
		fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	}
	if (fd < 0)
		goto failed;
	return (int)fd;
failed:
	err = errno;
	fail(op, err);
	return -err;
}

/* The identity overlay, if asked for: before the filter, which may refuse mount(2). */
struct identity_request {
	const char *stage;
	struct identity_file files[IDENTITY_MAX_FILES];
	size_t n;
};

/* Everything up to exec. 0, or -1 after its one stderr line. */
static int prepare(int no_new_privs, const struct identity_request *identity)
{
	const char *op = NULL;
	unsigned short count = 0;
	char ack;
	int listener;

	if (bind_to_parent() < 0)
		return -1;
	if (identity->n > 0 && identity_mount(identity->stage, identity->files, identity->n) < 0)
		return -1;
	op = "fcntl(fd 3, F_SETFD)";
	if (fcntl(CHANNEL_FD, F_SETFD, FD_CLOEXEC) < 0)
		goto failed;
	op = "prctl(PR_SET_NO_NEW_PRIVS)";
	if (no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		goto failed;
	if (read_filter(&count) < 0)
		return -1;

	listener = install_filter(filter_buf, count);
	/* REPLY carries the fd or -errno, so the supervisor learns the failure as a value. */
	op = "write listener fd to fd 3";
	if (write_u32(CHANNEL_FD, (uint32_t)listener) < 0)
		goto failed;
	if (listener < 0)
		return -1;
	op = "read ack from fd 3";
	if (read_full(CHANNEL_FD, &ack, 1) < 0)
		goto failed;
	/* The supervisor holds its copy now; ours must not reach the program. */
	op = "close listener";
	if (close(listener) < 0)
		goto failed;
	return 0;
failed:
	return fail(op, errno);
}

/*
 * --identity TARGET=TEXT (added 0) or --add TARGET=TEXT (added 1, a file the host's kernel no
 * longer has): split at the first '=' (a target is an absolute path without one).
 */
static int add_identity(struct identity_request *r, char *arg, int added)
{
	char *eq = strchr(arg, '=');
	if (!eq || arg[0] != '/' || r->n == IDENTITY_MAX_FILES)
		return -1;
	*eq = '\0';
	r->files[r->n++] = (struct identity_file){ .target = arg, .text = eq + 1, .added = added };
	return 0;
}

int main(int argc, char **argv)
{
	int no_new_privs = 0;
	struct identity_request identity = { 0 };
	int i = 1;

	for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--no-new-privs") == 0) {
			no_new_privs = 1;
		} else if (strcmp(argv[i], "--identity-stage") == 0 && i + 1 < argc) {
			identity.stage = argv[++i];
		} else if (strcmp(argv[i], "--identity") == 0 && i + 1 < argc && add_identity(&identity, argv[i + 1], 0) == 0) {
			i++;
		} else if (strcmp(argv[i], "--add") == 0 && i + 1 < argc && add_identity(&identity, argv[i + 1], 1) == 0) {
			i++;
		} else {
			fprintf(stderr, "cr-shim-launch: bad option %s\n" USAGE, argv[i]);
			return EXIT_LAUNCHER;
		}
	}
	if (i + 1 >= argc || (identity.n > 0 && !identity.stage)) {
		fprintf(stderr, USAGE);
		return EXIT_LAUNCHER;
	}
	char **program = &argv[i + 1];

	if (prepare(no_new_privs, &identity) < 0)
		return EXIT_LAUNCHER;

	static char path[PATH_MAX];
	exec_program(program, path);
	int status = exec_failed(program[0], path);
	int err = errno;
	/* Best effort: the exit status carries the same fact if the supervisor misses this. */
	(void)write_u32(CHANNEL_FD, (uint32_t)err);
	return status;
}
