/*
 * bench-supervisor [--sync-wakeup | --no-sync-wakeup] [--poll] [CALLS]
 *
 * The baseline for "a translated call that writes memory": the smallest
 * correct seccomp supervisor in C. A child traps uname(2) with
 * SECCOMP_RET_USER_NOTIF and calls it CALLS times (default 100000); the parent
 * answers each one the way cr-shim's native writeArg verdict does
 * (NOTIF_RECV, NOTIF_ID_VALID, process_vm_writev of a fixed struct utsname,
 * NOTIF_SEND) and prints one JSON line:
 *
 *   {"calls":N,"nsPerCall":F,"unfilteredNsPerCall":F,"syncWakeup":B,"poll":B}
 *
 * nsPerCall is measured in the child around the calls: what the program sees.
 * syncWakeup (on by default) is SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, reported
 * false when the kernel lacks it. --poll waits in poll() on the listener and a
 * stop eventfd before each NOTIF_RECV, as cr-shim's notification loop does (so
 * that another thread can stop it): the benchmark's measure of what that one
 * extra syscall per notification costs. Exit status: 0, or the errno of the
 * failure.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "seccomp-compat.h"


#define WARMUP 1000

/* One stderr line naming the operation; returns the errno for `return fail(...)`. */
static int fail(const char *op, int err)
{
	fprintf(stderr, "bench-supervisor: %s: %s\n", op, strerror(err));
	return err;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static double time_uname(long calls)
{
	struct utsname u;
	uint64_t t0 = now_ns();
	for (long i = 0; i < calls; i++)
		uname(&u);
	return (double)(now_ns() - t0) / (double)calls;
}

static int send_fd(int sock, int fd)
{
	char data = 'L';
	struct iovec iov = { &data, 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) < 0 ? -1 : 0;
}

static int recv_fd(int sock)
{
	char data;
	struct iovec iov = { &data, 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	int fd = -1;
	if (recvmsg(sock, &msg, 0) <= 0)
		return -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS) {
		errno = EPROTO;
		return -1;
	}
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* The traced side. Returns 0 or an errno; the result goes to the parent over sock. */
static int child(int sock, long calls)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_uname, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(insns) / sizeof(insns[0]), .filter = insns };
	double result[2];
	char go;

	result[1] = time_uname(calls);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail("prctl(PR_SET_NO_NEW_PRIVS)", errno);
	autoclose int listener = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	if (listener < 0)
		return fail("seccomp(SET_MODE_FILTER)", errno);
	if (send_fd(sock, listener) < 0)
		return fail("sendmsg listener", errno);
	if (read(sock, &go, 1) != 1)
		return fail("read go", errno ? errno : EPIPE);
	time_uname(WARMUP);
	result[0] = time_uname(calls);
	if (write(sock, result, sizeof(result)) != sizeof(result))
		return fail("write result", errno ? errno : EPIPE);
	return 0;
}

/* The supervisor side: answer exactly `calls` uname notifications. */
static int supervise(int listener, long calls, int use_poll)
{
	struct seccomp_notif_sizes sizes;
	struct utsname fake;
	/* Never written: it only gives poll() the same two fds as cr-shim's loop. */
	autoclose int stopfd = use_poll ? eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) : -1;

	memset(&fake, 0, sizeof(fake));
	strcpy(fake.sysname, "Linux");
	strcpy(fake.nodename, "bench");
	strcpy(fake.release, "5.10.0-bench");
	strcpy(fake.version, "#1 SMP");
	strcpy(fake.machine, "x86_64");

	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
		return fail("seccomp GET_NOTIF_SIZES", errno);
	size_t nsize = sizes.seccomp_notif > sizeof(struct seccomp_notif) ? sizes.seccomp_notif : sizeof(struct seccomp_notif);
	size_t rsize = sizes.seccomp_notif_resp > sizeof(struct seccomp_notif_resp) ? sizes.seccomp_notif_resp
										    : sizeof(struct seccomp_notif_resp);
	autofree struct seccomp_notif *n = malloc(nsize);
	autofree struct seccomp_notif_resp *r = malloc(rsize);
	if (!n || !r)
		return fail("malloc", ENOMEM);
	if (use_poll && stopfd < 0)
		return fail("eventfd", errno);

	for (long i = 0; i < calls; i++) {
		struct pollfd p[2] = { { .fd = listener, .events = POLLIN }, { .fd = stopfd, .events = POLLIN } };
		if (use_poll && poll(p, 2, -1) < 0) {
			if (errno == EINTR) {
				i--;
				continue;
			}
			return fail("poll", errno);
		}
		memset(n, 0, nsize);
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, n) < 0) {
			if (errno == EINTR) {
				i--;
				continue;
			}
			return fail("seccomp NOTIF_RECV", errno);
		}
		memset(r, 0, rsize);
		r->id = n->id;
		/* The pid may have been reused if the task died: check before writing. */
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &n->id) < 0)
			return fail("seccomp NOTIF_ID_VALID", errno);
		struct iovec local = { &fake, sizeof(fake) };
		struct iovec remote = { (void *)(uintptr_t)n->data.args[0], sizeof(fake) };
		if (process_vm_writev((pid_t)n->pid, &local, 1, &remote, 1, 0) != (ssize_t)sizeof(fake))
			r->error = -EFAULT;
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, r) < 0)
			return fail("seccomp NOTIF_SEND", errno);
	}
	return 0;
}

static int run(int sync_wakeup, int use_poll, long calls)
{
	int sv[2];
	double result[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return fail("socketpair", errno);
	autoclose int sock = sv[0];
	pid_t pid = fork();
	if (pid < 0) {
		close(sv[1]);
		return fail("fork", errno);
	}
	if (pid == 0) {
		close(sv[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(child(sv[1], calls));
	}
	close(sv[1]);

	int err = 0;
	autoclose int listener = recv_fd(sock);
	if (listener < 0)
		err = fail("receive listener", errno ? errno : EPIPE);
	if (!err && sync_wakeup &&
	    ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) < 0) {
		if (errno != EINVAL && errno != ENOTTY)
			err = fail("seccomp NOTIF_SET_FLAGS", errno);
		sync_wakeup = 0;
	}
	if (!err && write(sock, "g", 1) != 1)
		err = fail("write go", errno);
	if (!err)
		err = supervise(listener, WARMUP + calls, use_poll);
	if (!err && read(sock, result, sizeof(result)) != sizeof(result))
		err = fail("read result", errno ? errno : EPIPE);
	if (err)
		kill(pid, SIGKILL);

	int status;
	if (waitpid(pid, &status, 0) < 0 && !err)
		err = fail("waitpid", errno);
	if (!err && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		err = fail("child", WIFEXITED(status) ? WEXITSTATUS(status) : EINTR);
	if (!err)
		printf("{\"calls\":%ld,\"nsPerCall\":%.1f,\"unfilteredNsPerCall\":%.1f,\"syncWakeup\":%s,\"poll\":%s}\n",
		       calls, result[0], result[1], sync_wakeup ? "true" : "false", use_poll ? "true" : "false");
	return err;
}

int main(int argc, char **argv)
{
	int sync_wakeup = 1;
	int use_poll = 0;
	long calls = 100000;

	for (int i = 1; i < argc; i++) {
		char *end;
		if (strcmp(argv[i], "--sync-wakeup") == 0) {
			sync_wakeup = 1;
		} else if (strcmp(argv[i], "--no-sync-wakeup") == 0) {
			sync_wakeup = 0;
		} else if (strcmp(argv[i], "--poll") == 0) {
			use_poll = 1;
		} else if ((calls = strtol(argv[i], &end, 10)) <= 0 || *end) {
			fprintf(stderr, "usage: bench-supervisor [--sync-wakeup | --no-sync-wakeup] [--poll] [CALLS]\n");
			return EINVAL;
		}
	}
	return run(sync_wakeup, use_poll, calls);
}
