/*
 * cr-shim-vdso: set the LINUX_VERSION_CODE in the vDSO note of running processes
 * (restore, before the tree is resumed; attach, once the filter is in).
 *
 *   cr-shim-vdso CODE [--read-implies-exec] PID...
 *                                every PID's note becomes CODE (decimal or 0x hex); with
 *                                --read-implies-exec (restore under personas before 5.8, the
 *                                tree held stopped), every thread of a PID whose image those
 *                                kernels gave READ_IMPLIES_EXEC gets it (native/read-implies-exec.c)
 *   cr-shim-vdso --read PID      print the note of PID's vDSO as 0x%06x
 *
 * A PID that is gone or has no vDSO (vdso=0) is skipped: it reads nothing.
 * Exit status: 0, 22 (EINVAL) for bad usage, else the errno of the first
 * failure, after one line on stderr naming the process.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "read-implies-exec.h"
#include "vdso-note.h"

static int number(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	*out = strtoul(s, &end, 0);
	return errno == 0 && *s != '\0' && *end == '\0' && *out <= max ? 0 : EINVAL;
}

static int wait_blocking(pid_t tid, int *status)
{
	return waitpid(tid, status, __WALL) == tid ? 0 : errno;
}

/* Seize and hold one thread (a held one reports PTRACE_EVENT_STOP), set the flag, let go. */
static int thread_read_implies_exec(pid_t tid)
{
	int status;
	if (ptrace(PTRACE_SEIZE, tid, 0, 0) < 0)
		return errno;
	int err = 0;
	if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0 || waitpid(tid, &status, __WALL) != tid)
		err = errno;
	else if (!WIFSTOPPED(status))
		err = ESRCH;
	else
		err = read_implies_exec_set(tid, false, wait_blocking);
	/* A thread held in a group-stop goes back to it (__ptrace_unlink re-arms JOBCTL_STOP_PENDING). */
	ptrace(PTRACE_DETACH, tid, 0, 0);
	return err;
}

/* Every thread of pid; ESRCH when it is gone. */
static int process_read_implies_exec(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	DIR *d = opendir(path);
	if (!d)
		return ESRCH;
	int err = 0;
	struct dirent *e;
	while (err == 0 && (e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			err = thread_read_implies_exec((pid_t)atoi(e->d_name));
	closedir(d);
	return err;
}

int main(int argc, char **argv)
{
	unsigned long code, pid;
	if (argc == 3 && strcmp(argv[1], "--read") == 0) {
		uint32_t got;
		if (number(argv[2], 0x3fffffff, &pid) != 0)
			goto usage;
		int err = vdso_note_read((pid_t)pid, &got);
		if (err != 0) {
			fprintf(stderr, "cr-shim-vdso: read the vDSO note of process %lu: %s\n", pid, strerror(err));
			return err;
		}
		printf("0x%06x\n", got);
		return 0;
	}
	if (argc < 3 || number(argv[1], UINT32_MAX, &code) != 0)
		goto usage;
	int first = 2;
	bool read_implies_exec = strcmp(argv[2], "--read-implies-exec") == 0;
	if (read_implies_exec && ++first == argc)
		goto usage;
	for (int i = first; i < argc; i++) {
		if (number(argv[i], 0x3fffffff, &pid) != 0)
			goto usage;
		int err = vdso_note_write((pid_t)pid, (uint32_t)code);
		if (err == ESRCH)
			continue;
		if (err != 0 && err != ENOENT) {
			fprintf(stderr, "cr-shim-vdso: write the vDSO note of process %lu: %s\n", pid, strerror(err));
			return err;
		}
		if (read_implies_exec && read_implies_exec_wanted((pid_t)pid) && (err = process_read_implies_exec((pid_t)pid)) != 0 &&
		    err != ESRCH) {
			fprintf(stderr, "cr-shim-vdso: set READ_IMPLIES_EXEC in process %lu: %s\n", pid, strerror(err));
			return err;
		}
	}
	return 0;
usage:
	fprintf(stderr, "usage: cr-shim-vdso CODE [--read-implies-exec] PID... | cr-shim-vdso --read PID\n");
	return EINVAL;
}
