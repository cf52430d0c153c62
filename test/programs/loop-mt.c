/*
 * loop-mt getppid|uname|nr=NR[:ARG0]|open=PATH N THREADS
 *
 * The benchmark's workload: THREADS threads (1..64) each make the same call N
 * times, started together from a barrier. getppid is a call the filter lets
 * through, uname one the supervisor answers, nr=NR syscall NR with zero
 * arguments (a number the persona refuses: the ENOSYS path; checked against
 * syscall-deny.h), or with ARG0 as its first and zero for the rest (a value an
 * argument rule refuses in BPF), open=PATH an open(PATH, O_RDONLY) followed by close of the
 * fd it returns (the /proc identity files are answered by a different call).
 * Built dynamically (loop-mt) and statically (loop-mt-static, for proot).
 *
 * Prints syscall=, threads=, calls= (per thread), wall_ns= (the first
 * thread's first call to the last thread's last), ns_per_call= (wall_ns / (calls * threads): wall time per
 * call with every thread's calls counted), thread_ns_per_call= (wall_ns /
 * calls: what one thread waited per call), then the last call's ret/errno/errname
 * (of thread 0; for open=, the open's).
 */
#include <fcntl.h>
#include <linux/utsname.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>

#include "kv.h"
#include "syscall-deny.h"

static const char usage[] = "loop-mt getppid|uname|nr=NR[:ARG0]|open=PATH N THREADS";

struct job {
	long nr;
	long arg0;
	const char *path;
	long long calls;
	pthread_barrier_t *start;
	long long t_start, t_end;
	long ret;
	int err;
};

static long long now_ns(void)
{
	struct timespec ts;
	/* Read through the vDSO: timing must not add syscalls of its own. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *worker(void *arg)
{
	struct job *j = arg;
	struct new_utsname uts;
	long arg0 = j->nr == SYS_uname ? (long)&uts : j->arg0;
	long ret = 0;
	int err = 0;

	pthread_barrier_wait(j->start);
	j->t_start = now_ns();
	for (long long i = 0; i < j->calls; i++) {
		if (j->path != NULL) {
			ret = syscall(SYS_open, j->path, O_RDONLY);
			err = errno;
			if (ret >= 0)
				close((int)ret);
		} else {
			ret = syscall(j->nr, arg0, 0L, 0L, 0L, 0L, 0L);
			err = errno;
		}
	}
	j->t_end = now_ns();
	j->ret = ret;
	j->err = err;
	return NULL;
}

int main(int argc, char **argv)
{
	long long nr = -1, arg0 = 0, calls = 0, threads = 0;
	const char *path = NULL;
	if (argc != 4 || kv_parse_long(argv[2], &calls) != 0 || calls < 1 || kv_parse_long(argv[3], &threads) != 0 ||
	    threads < 1 || threads > 64)
		kv_usage(usage);
	if (strcmp(argv[1], "getppid") == 0)
		nr = SYS_getppid;
	else if (strcmp(argv[1], "uname") == 0)
		nr = SYS_uname;
	else if (strncmp(argv[1], "open=", 5) == 0 && argv[1][5] != '\0')
		path = argv[1] + 5, nr = SYS_open;
	else if (strncmp(argv[1], "nr=", 3) == 0) {
		char number[32];
		const char *colon = strchr(argv[1] + 3, ':');
		size_t len = colon ? (size_t)(colon - (argv[1] + 3)) : strlen(argv[1] + 3);
		if (len == 0 || len >= sizeof(number))
			kv_usage(usage);
		memcpy(number, argv[1] + 3, len);
		number[len] = '\0';
		if (kv_parse_long(number, &nr) != 0 || (colon && kv_parse_long(colon + 1, &arg0) != 0))
			kv_usage(usage);
	} else
		kv_usage(usage);

	const char *denied = path == NULL ? syscall_denied(nr) : NULL;
	if (denied != NULL) {
		fprintf(stderr, "loop-mt: refusing %lld (%s): see syscall-deny.h\n", nr, denied);
		return EPERM;
	}

	pthread_barrier_t start;
	pthread_t tids[64];
	struct job jobs[64];
	int e = pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
	if (e != 0)
		kv_die("loop-mt", "pthread_barrier_init", e);
	for (long long t = 0; t < threads; t++) {
		jobs[t] = (struct job){ .nr = (long)nr, .arg0 = (long)arg0, .path = path, .calls = calls, .start = &start };
		e = pthread_create(&tids[t], NULL, worker, &jobs[t]);
		if (e != 0)
			kv_die("loop-mt", "pthread_create", e);
	}
	pthread_barrier_wait(&start);
	/* Each thread times itself: the main thread may be scheduled out while they run. */
	long long first = 0, last = 0;
	for (long long t = 0; t < threads; t++) {
		pthread_join(tids[t], NULL);
		if (t == 0 || jobs[t].t_start < first)
			first = jobs[t].t_start;
		if (t == 0 || jobs[t].t_end > last)
			last = jobs[t].t_end;
	}
	long long wall = last - first;

	kv_str("syscall", argv[1]);
	kv_long("threads", (long)threads);
	kv_long("calls", (long)calls);
	kv_long("wall_ns", (long)wall);
	printf("ns_per_call=%.1f\n", (double)wall / (double)(calls * threads));
	printf("thread_ns_per_call=%.1f\n", (double)wall / (double)calls);
	fflush(stdout);
	kv_result("", jobs[0].ret, jobs[0].err);
	return 0;
}
