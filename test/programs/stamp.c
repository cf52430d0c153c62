/*
 * stamp FILE
 *
 * For measuring downtime around a checkpoint: every millisecond, writes one
 * fixed-width line at offset 0 of FILE (created 0644): the CLOCK_REALTIME time
 * in ns and the longest gap between two writes (ns) since the last reset.
 * A reset is asked for by creating FILE.reset, which it removes. The file never
 * changes size, so CRIU restores it as it was. Prints pid= and ready=1 once the
 * first line is written; calls setsid() first (dumpable without --shell-job).
 *
 *   LINE ::= NOW_NS " " MAX_GAP_NS "\n"      each a 20-digit decimal
 */
#include <fcntl.h>
#include <stdint.h>
#include <time.h>

#include "kv.h"

static int64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		kv_usage("stamp FILE");
	setsid();
	char reset[4096];
	snprintf(reset, sizeof(reset), "%s.reset", argv[1]);
	int fd = open(argv[1], O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		kv_die("stamp", "open", errno);
	int64_t last = now_ns(), max_gap = 0;
	for (long i = 0;; i++) {
		int64_t now = now_ns();
		if (now - last > max_gap)
			max_gap = now - last;
		last = now;
		if (access(reset, F_OK) == 0) {
			unlink(reset);
			max_gap = 0;
		}
		char line[64];
		int len = snprintf(line, sizeof(line), "%020lld %020lld\n", (long long)now, (long long)max_gap);
		if (pwrite(fd, line, (size_t)len, 0) != len)
			kv_die("stamp", "pwrite", errno);
		if (i == 0) {
			kv_long("pid", getpid());
			kv_long("ready", 1);
		}
		struct timespec tick = { .tv_sec = 0, .tv_nsec = 1000000L };
		/* EINTR (a restore, a stop/continue) just ends this tick early. */
		nanosleep(&tick, NULL);
	}
}
