/*
 * cr-shim-exec-watch: write the persona's LINUX_VERSION_CODE into the vDSO of
 * each new program image before its first instruction. The notify loop
 * (native/notify-core.c, verdict execVdso) starts one per persona and, for each
 * trapped execve/execveat, asks it to seize the task before letting the call
 * continue (SECCOMP_USER_NOTIF_FLAG_CONTINUE).
 *
 *   cr-shim-exec-watch CODE [--read-implies-exec]   fd 3: a SOCK_SEQPACKET socket to the loop
 *   REQUEST ::= TID:u32              a task trapped in execve/execveat
 *   REPLY   ::= ERR:s32              0: seized (or ours already), let the exec go on;
 *                                    else the errno of PTRACE_SEIZE (the exec goes on unpatched)
 *   EOF on fd 3: exit; the kernel detaches our tracees (exit_ptrace) and they run on.
 *
 * Kernel facts: PTRACE_SEIZE does not stop the task, which stays in the seccomp
 * wait. With PTRACE_O_TRACEEXEC a successful exec stops in PTRACE_EVENT_EXEC
 * inside execve, after the new image (and its fresh vDSO) is mapped and before
 * it returns to user space, reported under the thread group's id (a non-leader
 * thread takes it over in de_thread). A failed exec returns to user space
 * without a stop; the task stays ours until its next exec (a PATH search's next
 * try), a signal (passed on as we detach) or its exit.
 * The tracer is notified by SIGCHLD, read here from a signalfd.
 *
 * --read-implies-exec (personas before 5.8): an image those kernels gave READ_IMPLIES_EXEC
 * gets it here, after the exec (native/read-implies-exec.c; exec leaves one thread, so one
 * injected call covers the process).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "read-implies-exec.h"
#include "vdso-note.h"

#define LOOP_FD 3

static uint32_t g_code;
static bool g_read_implies_exec;
static int g_sfd;

static void serve_request(void);

/* Is tid traced by us already (an earlier exec of it failed)? */
static int ours(pid_t tid)
{
	char path[64], line[128];
	int found = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "TracerPid:", 10) == 0) {
			found = atoi(line + 10) == getpid();
			break;
		}
	fclose(f);
	return found;
}

static void serve_request(void)
{
	uint32_t tid;
	ssize_t n = recv(LOOP_FD, &tid, sizeof(tid), 0);
	if (n == 0)
		exit(0);
	if (n != (ssize_t)sizeof(tid))
		exit(n < 0 ? errno : EPROTO);
	int32_t err = 0;
	if (ptrace(PTRACE_SEIZE, (pid_t)tid, 0, (void *)(long)PTRACE_O_TRACEEXEC) < 0 && !(errno == EPERM && ours((pid_t)tid)))
		err = errno;
	if (send(LOOP_FD, &err, sizeof(err), MSG_NOSIGNAL) != (ssize_t)sizeof(err))
		exit(errno);
}

/*
 * Wait for tid's next stop while answering the loop: the personality() injected into tid is
 * trapped and answered by the supervisor's loop, which may itself be waiting for our answer
 * to another task's exec. SIGCHLD stays pending for the caller's sweep (waitpid(-1) loop).
 */
static int wait_serving(pid_t tid, int *status)
{
	struct pollfd p[2] = { { .fd = LOOP_FD, .events = POLLIN }, { .fd = g_sfd, .events = POLLIN } };
	for (;;) {
		pid_t r = waitpid(tid, status, __WALL | WNOHANG);
		if (r == tid)
			return 0;
		if (r < 0)
			return errno;
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return errno;
		if (p[0].revents & POLLIN)
			serve_request();
		else if (p[0].revents)
			exit(0);
		if (p[1].revents) {
			struct signalfd_siginfo si;
			while (read(g_sfd, &si, sizeof(si)) > 0)
				;
		}
	}
}

/* One stop of a tracee: after exec, patch; otherwise the exec is over or never ran. Either way, let go. */
static void serve_stop(pid_t pid, int status)
{
	int sig = 0;
	if (status >> 8 == (SIGTRAP | (PTRACE_EVENT_EXEC << 8))) {
		int err = vdso_note_write(pid, g_code);
		if (err != 0 && err != ENOENT && err != ESRCH)
			fprintf(stderr, "cr-shim-exec-watch: write the vDSO note of process %d: %s\n", pid, strerror(err));
		if (g_read_implies_exec && read_implies_exec_wanted(pid) && (err = read_implies_exec_set(pid, true, wait_serving)) != 0 && err != ESRCH)
			fprintf(stderr, "cr-shim-exec-watch: set READ_IMPLIES_EXEC in process %d: %s\n", pid, strerror(err));
	} else if (status >> 16 == 0) {
		/* Signal-delivery-stop: the signal is the task's; deliver it as we detach. */
		sig = WSTOPSIG(status);
	}
	/* A group-stop (PTRACE_EVENT_STOP) stays a group-stop after the detach. */
	ptrace(PTRACE_DETACH, pid, 0, (void *)(long)sig);
}

int main(int argc, char **argv)
{
	char *end;
	unsigned long code;
	sigset_t chld;

	g_read_implies_exec = argc == 3 && strcmp(argv[2], "--read-implies-exec") == 0;
	if (argc != 2 + g_read_implies_exec || (code = strtoul(argv[1], &end, 0), *end != '\0' || code > UINT32_MAX)) {
		fprintf(stderr, "usage: cr-shim-exec-watch CODE [--read-implies-exec] (fd 3: the notify loop's socket)\n");
		return EINVAL;
	}
	g_code = (uint32_t)code;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	int sfd = g_sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		perror("cr-shim-exec-watch: signalfd");
		return errno;
	}
	struct pollfd p[2] = { { .fd = LOOP_FD, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("cr-shim-exec-watch: poll");
			return errno;
		}
		if (p[1].revents) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) > 0)
				;
			int status;
			pid_t pid;
			while ((pid = waitpid(-1, &status, __WALL | WNOHANG)) > 0)
				if (WIFSTOPPED(status))
					serve_stop(pid, status);
		}
		if (p[0].revents & POLLIN)
			serve_request();
		else if (p[0].revents)
			return 0;
	}
}
