/*
 * loop getppid|uname|nr=NR N
 *
 * Makes the same syscall N times and prints the mean cost: getppid (a cheap
 * call the filter lets through), uname (a call the supervisor answers) or
 * syscall NR with zero arguments (pass a number the persona refuses to time
 * the ENOSYS path). NR is checked against syscall-deny.h. Prints syscall=,
 * calls=, total_ns=, ns_per_call= and the last call's ret=/errno=/errname=.
 */
#include <linux/utsname.h>
#include <sys/syscall.h>
#include <time.h>

#include "kv.h"
#include "syscall-deny.h"

static const char usage[] = "loop getppid|uname|nr=NR N";

static long long now_ns(void)
{
	struct timespec ts;
	/* Read through the vDSO: timing must not add syscalls of its own. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long long nr = -1, calls = 0;
	if (argc != 3 || kv_parse_long(argv[2], &calls) != 0 || calls < 1)
		kv_usage(usage);
	if (strcmp(argv[1], "getppid") == 0)
		nr = SYS_getppid;
	else if (strcmp(argv[1], "uname") == 0)
		nr = SYS_uname;
	else if (strncmp(argv[1], "nr=", 3) != 0 || kv_parse_long(argv[1] + 3, &nr) != 0)
		kv_usage(usage);

	const char *denied = syscall_denied(nr);
	if (denied != NULL) {
		fprintf(stderr, "loop: refusing %lld (%s): see syscall-deny.h\n", nr, denied);
		return EPERM;
	}

	/* uname needs a buffer; every other call gets all-zero arguments. */
	struct new_utsname uts;
	void *arg0 = nr == SYS_uname ? (void *)&uts : NULL;
	long ret = 0;
	int err = 0;
	long long start = now_ns();
	for (long long i = 0; i < calls; i++)
		ret = syscall((long)nr, arg0, 0L, 0L, 0L, 0L, 0L);
	err = errno;
	long long total = now_ns() - start;

	kv_str("syscall", argv[1]);
	kv_long("calls", (long)calls);
	kv_long("total_ns", (long)total);
	printf("ns_per_call=%.1f\n", (double)total / (double)calls);
	fflush(stdout);
	kv_result("", ret, err);
	return 0;
}
