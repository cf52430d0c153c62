/*
 * strict-mode (prctl | seccomp) [--thread] [--wait]
 *
 * Enters SECCOMP_MODE_STRICT by prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT) or
 * seccomp(SECCOMP_SET_MODE_STRICT, 0, NULL), then makes the calls strict mode allows and one
 * it forbids. Before: pid=, ready=1. After entering (with write(2) alone, which strict mode
 * allows; stdio would fstat): strict.ret= (0, or -1 with strict.errno=), read.errno= (a read
 * of fd -1: EBADF, 9, allowed), then getpid. In strict mode getpid kills the thread with
 * SIGKILL (kernel/seccomp.c __secure_computing_strict); if it returns, survived=1 and the
 * thread leaves by exit(2).
 *
 * --thread: a second thread does all that; the main thread joins it, then prints
 *   main.joined=1 and exits 0 (strict mode ends the calling thread alone).
 * --wait: between entering and the forbidden call, print waiting=1 and block in read(0, ...):
 *   for attach and dump, which meet a task already in strict mode; one byte on stdin goes on.
 * Exit status: 0 when the thread survived, else the death strict mode gives.
 */
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "kv.h"

static bool g_seccomp_form;
static bool g_wait;

/* key=value with write(2) only: strict mode forbids stdio's fstat. */
static void raw_long(const char *key, long value)
{
	char buf[96];
	int n = snprintf(buf, sizeof(buf), "%s=%ld\n", key, value);
	(void)!syscall(SYS_write, 1, buf, (size_t)n);
}

static void *strict_thread(void *arg)
{
	(void)arg;
	long ret = g_seccomp_form ? syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, NULL)
				  : syscall(SYS_prctl, PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0);
	int err = ret < 0 ? errno : 0;
	raw_long("strict.ret", ret);
	if (ret < 0)
		raw_long("strict.errno", err);
	long r = syscall(SYS_read, -1, NULL, 0);
	raw_long("read.errno", r < 0 ? errno : 0);
	if (g_wait) {
		char byte;
		raw_long("waiting", 1);
		(void)!syscall(SYS_read, 0, &byte, 1);
	}
	syscall(SYS_getpid);
	raw_long("survived", 1);
	syscall(SYS_exit, 0);
	return NULL;
}

int main(int argc, char **argv)
{
	bool thread = false;
	if (argc < 2 || (strcmp(argv[1], "prctl") != 0 && strcmp(argv[1], "seccomp") != 0))
		kv_usage("strict-mode (prctl | seccomp) [--thread] [--wait]");
	g_seccomp_form = strcmp(argv[1], "seccomp") == 0;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--thread") == 0)
			thread = true;
		else if (strcmp(argv[i], "--wait") == 0)
			g_wait = true;
		else
			kv_usage("strict-mode (prctl | seccomp) [--thread] [--wait]");
	}
	kv_long("pid", (long)getpid());
	kv_long("ready", 1);
	if (!thread) {
		strict_thread(NULL);
		return 0;
	}
	pthread_t t;
	int err = pthread_create(&t, NULL, strict_thread, NULL);
	if (err != 0) {
		fprintf(stderr, "strict-mode: pthread_create: %s\n", strerror(err));
		return err;
	}
	pthread_join(t, NULL);
	kv_long("main.joined", 1);
	return 0;
}
