/*
 * threads [N]
 *
 * Starts N threads (default 4, at most 64) that each call SYS_uname 1000 times
 * and count the answers whose release differs from the one the main thread
 * saw first. The supervisor answers each thread's notifications separately,
 * so this catches per-thread state and races in the emulation. Prints
 * thread.I.release and thread.I.mismatches, then consistent=1 or 0.
 */
#include <linux/utsname.h>
#include <pthread.h>
#include <sys/syscall.h>

#include "kv.h"

#define CALLS_PER_THREAD 1000
#define MAX_THREADS 64

static const char usage[] = "threads [N]   (1..64, default 4)";

struct worker {
	pthread_t thread;
	const char *reference;
	pthread_barrier_t *start;
	char release[sizeof(((struct new_utsname *)0)->release)];
	long mismatches;
	int err;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	pthread_barrier_wait(w->start);
	for (int i = 0; i < CALLS_PER_THREAD; i++) {
		struct new_utsname uts;
		if (syscall(SYS_uname, &uts) == -1) {
			w->err = errno;
			break;
		}
		if (strncmp(uts.release, w->reference, sizeof(uts.release)) != 0)
			w->mismatches++;
		memcpy(w->release, uts.release, sizeof(w->release));
	}
	return NULL;
}

int main(int argc, char **argv)
{
	long long n = 4;
	if (argc > 2 || (argc == 2 && (kv_parse_long(argv[1], &n) != 0 || n < 1 || n > MAX_THREADS)))
		kv_usage(usage);

	struct new_utsname reference;
	if (syscall(SYS_uname, &reference) == -1)
		kv_die("threads", "SYS_uname", errno);

	static struct worker workers[MAX_THREADS];
	pthread_barrier_t start;
	int err = pthread_barrier_init(&start, NULL, (unsigned)n);
	if (err != 0)
		kv_die("threads", "pthread_barrier_init", err);
	for (int i = 0; i < n; i++) {
		workers[i].reference = reference.release;
		workers[i].start = &start;
		err = pthread_create(&workers[i].thread, NULL, work, &workers[i]);
		if (err != 0)
			kv_die("threads", "pthread_create", err);
	}

	int consistent = 1;
	kv_long("threads", (long)n);
	kv_field("reference_release", reference.release, sizeof(reference.release));
	for (int i = 0; i < n; i++) {
		char key[64];
		pthread_join(workers[i].thread, NULL);
		if (workers[i].err != 0)
			kv_die("threads", "SYS_uname in worker", workers[i].err);
		snprintf(key, sizeof(key), "thread.%d.release", i);
		kv_field(key, workers[i].release, sizeof(workers[i].release));
		snprintf(key, sizeof(key), "thread.%d.mismatches", i);
		kv_long(key, workers[i].mismatches);
		if (workers[i].mismatches != 0)
			consistent = 0;
	}
	pthread_barrier_destroy(&start);
	kv_long("consistent", consistent);
	return 0;
}
