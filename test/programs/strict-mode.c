/*
 * strict-mode (prctl | seccomp) [--thread] [--wait] [--own-filter] [--alarm]
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
 * --alarm: arm a 200 ms ITIMER_REAL before entering; in strict mode the thread spins until its
 *   SIGALRM handler (which prints signal.handled=1 with write) returns by rt_sigreturn, then
 *   prints signal.returned=1. The timer's signal is blocked in every other thread.
 * --own-filter: first install a filter of its own (everything allowed; no_new_privs set), so the
 *   kernel refuses strict mode with EINVAL (seccomp_may_assign_mode) and the thread runs on.
 * Exit status: 0 when the thread survived, else the death strict mode gives.
 */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>

#include "kv.h"

static bool g_seccomp_form;
static bool g_wait;
static bool g_alarm;
static volatile sig_atomic_t g_alarmed;

/* key=value with write(2) only: strict mode forbids stdio's fstat. */
static void raw_long(const char *key, long value)
{
	char buf[96];
	int n = snprintf(buf, sizeof(buf), "%s=%ld\n", key, value);
	(void)!syscall(SYS_write, 1, buf, (size_t)n);
}

static void on_alarm(int sig)
{
	(void)sig;
	raw_long("signal.handled", 1);
	g_alarmed = 1;
}

/* Catch SIGALRM in this thread alone and arm the timer (before strict mode: these are forbidden in it). */
static void arm_alarm(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { .it_value = { .tv_usec = 200 * 1000 } };
	sigset_t alrm;
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	sigaction(SIGALRM, &sa, NULL);
	pthread_sigmask(SIG_UNBLOCK, &alrm, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
}

static void *strict_thread(void *arg)
{
	(void)arg;
	if (g_alarm)
		arm_alarm();
	long ret = g_seccomp_form ? syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, NULL)
				  : syscall(SYS_prctl, PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0);
	int err = ret < 0 ? errno : 0;
	raw_long("strict.ret", ret);
	if (ret < 0)
		raw_long("strict.errno", err);
	long r = syscall(SYS_read, -1, NULL, 0);
	raw_long("read.errno", r < 0 ? errno : 0);
	if (g_alarm) {
		while (!g_alarmed)
			;
		raw_long("signal.returned", 1);
	}
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

static void own_filter(void)
{
	static const struct sock_filter allow[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
	const struct sock_fprog prog = { .len = 1, .filter = (struct sock_filter *)allow };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
		int err = errno;
		fprintf(stderr, "strict-mode: seccomp: %s\n", strerror(err));
		exit(err);
	}
}

int main(int argc, char **argv)
{
	bool thread = false, own = false;
	if (argc < 2 || (strcmp(argv[1], "prctl") != 0 && strcmp(argv[1], "seccomp") != 0))
		kv_usage("strict-mode (prctl | seccomp) [--thread] [--wait] [--own-filter] [--alarm]");
	g_seccomp_form = strcmp(argv[1], "seccomp") == 0;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--thread") == 0)
			thread = true;
		else if (strcmp(argv[i], "--wait") == 0)
			g_wait = true;
		else if (strcmp(argv[i], "--own-filter") == 0)
			own = true;
		else if (strcmp(argv[i], "--alarm") == 0)
			g_alarm = true;
		else
			kv_usage("strict-mode (prctl | seccomp) [--thread] [--wait] [--own-filter] [--alarm]");
	}
	if (own)
		own_filter();
	kv_long("pid", (long)getpid());
	kv_long("ready", 1);
	if (!thread) {
		strict_thread(NULL);
		return 0;
	}
	/* The timer's signal goes to the strict thread alone: blocked here, inherited blocked, unblocked there. */
	sigset_t alrm;
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alrm, NULL);
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
